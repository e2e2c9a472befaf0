/**
 * Client quotas under load: one producer limited to 1 MiB/s (producer_byte_rate on its user) and
 * one unlimited, on the same broker. The unlimited one is measured alone first, then both
 * together; each rate is the bytes acknowledged over MEASURE_S seconds after WARMUP_S seconds
 * (Kafka's quota window lets a new client send ten seconds' worth before it is throttled).
 * Usage: npm run bench:quotas
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../server/broker/broker";
import { Apis } from "../server/kafka/messages";
import { KafkaClient } from "../server/kafka/client";
import { call, userConnection } from "../server/broker/security/testing";
import { NO_FSYNC } from "./peers/tributary";

const LIMIT = 1024 * 1024;
const VALUE = Buffer.alloc(16 * 1024, "q");
const PER_SEND = 8;
const IN_FLIGHT = 4;
const WARMUP_S = 24;
const MEASURE_S = 10;
const MiB = 1024 * 1024;

/** Sends as fast as the broker takes it until stopped; returns the acknowledged bytes in [from, to). */
function pump(client: KafkaClient, topic: string) {
  const producer = client.producer({ lingerMs: 2 });
  const acked: { at: number; bytes: number }[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      await producer.send(Array.from({ length: PER_SEND }, () => ({ topic, value: VALUE })));
      acked.push({ at: Date.now(), bytes: PER_SEND * VALUE.length });
    }
  };
  const done = Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return {
    between: (from: number, to: number) => acked.filter((a) => a.at >= from && a.at < to).reduce((n, a) => n + a.bytes, 0),
    async stop() {
      running = false;
      await done;
      await producer.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(client: KafkaClient, topic: string): Promise<number> {
  const p = pump(client, topic);
  await sleep(WARMUP_S * 1000);
  const from = Date.now();
  await sleep(MEASURE_S * 1000);
  const bytes = p.between(from, from + MEASURE_S * 1000);
  await p.stop();
  return bytes / MEASURE_S / MiB;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-bench-quotas-"));
  const users = { admin: "admin-pw", limited: "limited-pw", free: "free-pw" };
  const broker = await Broker.start({ dataDir, host: "127.0.0.1", port: 0, sasl: { mechanisms: ["SCRAM-SHA-256"], users }, topicDefaults: { "flush.messages": NO_FSYNC } });
  const client = (user: keyof typeof users) => new KafkaClient({ bootstrap: [broker.bootstrap], clientId: `bench-${user}`, sasl: { mechanism: "SCRAM-SHA-256", username: user, password: users[user] }, requestTimeoutMs: 60_000 });
  try {
    const admin = await userConnection(broker.bootstrap, "admin", users.admin);
    const set = await call(admin, Apis.AlterClientQuotas, 1, { entries: [{ entity: [{ entityType: "user", entityName: "limited" }], ops: [{ key: "producer_byte_rate", value: LIMIT, remove: false }] }], validateOnly: false });
    if (set.entries[0].errorCode) throw new Error(`AlterClientQuotas failed: ${set.entries[0].errorMessage}`);
    admin.close();
    const free = client("free");
    const limited = client("limited");
    await free.admin.createTopics([{ name: "free-alone", numPartitions: 1 }, { name: "free", numPartitions: 1 }, { name: "limited", numPartitions: 1 }]);
    const alone = await measure(free, "free-alone");
    const [freeRate, limitedRate] = await Promise.all([measure(free, "free"), measure(limited, "limited")]);
    await free.close();
    await limited.close();
    console.log(`producer_byte_rate ${LIMIT / MiB} MiB/s on user limited; ${VALUE.length / 1024} KiB records, ${PER_SEND} per send, ${IN_FLIGHT} sends in flight; rates over ${MEASURE_S} s after ${WARMUP_S} s`);
    console.log(`| producer | MiB/s |\n|---|---:|\n| unlimited, alone | ${alone.toFixed(2)} |\n| unlimited, next to the limited one | ${freeRate.toFixed(2)} |\n| limited to 1 MiB/s | ${limitedRate.toFixed(2)} |`);
    if (limitedRate < 0.9 || limitedRate > 1.1) process.exitCode = 1;
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
