import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestConnection } from "../../broker/compat/test-connection";
import { KafkaClient } from "../../kafka/client";
import { Acks } from "../../kafka/constants";
import { ErrorCode, errorName } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { BrokerCluster } from "@/server/testing/broker-cluster";
import { kcatMetadata, run, type KcatPartition } from "@/server/testing/kcat";
import { tempDirs } from "@/server/testing/temp-dir";
import { clusterDatabase, eventually } from "../test-support";

const SESSION_MS = 3000;
const LAG_MS = 1500;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
let cluster: BrokerCluster;
const IDS = [1, 2, 3];
const tempDir = tempDirs("replication");

beforeAll(async () => {
  db = await clusterDatabase();
  cluster = await BrokerCluster.start({ nodeIds: IDS, databaseUrl: db.url, sessionTimeoutMs: SESSION_MS, dataDir: tempDir, args: ["--replica-lag-time-max-ms", String(LAG_MS)], proxied: true });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await db?.dispose();
});

const bootstrap = () => cluster.bootstrap().join(",");

/** Partition 0 of a topic as a live broker other than `not` sees it. */
async function partitionOf(topic: string, not?: number): Promise<KcatPartition | undefined> {
  const asked = IDS.find((id) => id !== not && cluster.isUp(id))!;
  return (await kcatMetadata(cluster.port(asked), topic))?.topics[0]?.partitions[0];
}

async function createTopic(name: string): Promise<KcatPartition> {
  const client = new KafkaClient({ bootstrap: [`127.0.0.1:${cluster.port(1)}`] });
  try {
    await client.admin.createTopics([{ name, numPartitions: 1, replicationFactor: 3, configs: { "min.insync.replicas": "2" } }]);
  } finally {
    await client.close();
  }
  return eventually(async () => {
    const p = await partitionOf(name);
    return p && p.leader > 0 && p.isrs.length === 3 ? p : undefined;
  }, 10_000, `${name} in sync on three brokers`);
}

/** A broker's segment files of partition 0, concatenated. */
function segments(nodeId: number, topic: string): Buffer {
  const dir = join(cluster.dataDir(nodeId), "log", `${topic}-0`);
  return Buffer.concat(
    readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .sort()
      .map((f) => readFileSync(join(dir, f))),
  );
}

async function consumeAll(topic: string): Promise<string[]> {
  const { stdout } = await run("kcat", ["-C", "-b", bootstrap(), "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%s\\n"]);
  return stdout.split("\n").filter(Boolean);
}

const produceRaw = (conn: TestConnection, topic: string, acks: number, value: string, timeoutMs = 5000) =>
  conn.request(Apis.Produce, 9, { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from(value) }]) }] }] }).then((r) => r.responses[0].partitionResponses[0]);

describe("replication across `tributary broker` processes (RF=3, min.insync.replicas=2)", () => {
  it("SIGKILL of the leader during idempotent acks=all production by kcat: every record read back exactly once, in order; the restarted broker catches up byte-identical and rejoins the ISR", async () => {
    const topic = "payments";
    const { leader } = await createTopic(topic);
    const kcat = spawn("kcat", ["-P", "-b", bootstrap(), "-t", topic, "-p", "0", "-X", "enable.idempotence=true", "-X", "acks=all", "-X", "linger.ms=5", "-X", "message.timeout.ms=60000"], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    kcat.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => kcat.once("exit", r));
    const sent: string[] = [];
    for (let round = 0; round < 30; round++) {
      const lines = Array.from({ length: 100 }, (_, i) => `m-${String(round * 100 + i).padStart(6, "0")}`);
      sent.push(...lines);
      kcat.stdin.write(lines.join("\n") + "\n");
      if (round === 10) await cluster.kill(leader);
      await new Promise((r) => setTimeout(r, 100));
    }
    kcat.stdin.end();
    expect(await exited, stderr).toBe(0);
    expect(await consumeAll(topic)).toEqual(sent);

    cluster.restart(leader);
    const back = await eventually(async () => {
      const p = await partitionOf(topic);
      return p && p.isrs.some((r) => r.id === leader) ? p : undefined;
    }, 20_000, "the restarted broker back in the ISR");
    await eventually(() => (segments(leader, topic).equals(segments(back.leader, topic)) ? true : undefined), 10_000, "the restarted broker's log equal to the leader's");
  }, 60_000);

  it("SIGKILL of the leader during idempotent acks=all production by kafkajs and by this project's client: both read back exactly once, in order; ours retries as soon as a new leader is named, not after its grown back-off", async () => {
    const topic = "orders";
    const { leader } = await createTopic(topic);
    const kafkajs = new Kafka({ brokers: cluster.bootstrap(), clientId: "kafkajs-failover", logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await kafkajs.connect();
    // A back-off that doubles without a cap reaches seconds while the dead leader refuses connections.
    const ours = new KafkaClient({ bootstrap: cluster.bootstrap(), retryBackoffMs: 100, retryBackoffMaxMs: 60_000 });
    const producer = ours.producer({ acks: Acks.ALL, lingerMs: 0 });
    const sent = { kafkajs: [] as string[], ours: [] as string[] };
    let killedAt = 0;
    let electedAt = 0;
    let firstAckAfterKill = 0;
    const rounds = 40;
    const write = async (who: "kafkajs" | "ours", send: (v: string) => Promise<unknown>) => {
      for (let i = 0; i < rounds; i++) {
        const value = `${who}-${String(i).padStart(4, "0")}`;
        const sentAt = Date.now();
        await send(value);
        sent[who].push(value);
        if (who === "ours" && killedAt && sentAt > killedAt && !firstAckAfterKill) firstAckAfterKill = Date.now();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      const writing = Promise.all([
        write("kafkajs", (value) => kafkajs.send({ topic, acks: -1, messages: [{ value, partition: 0 }] })),
        write("ours", (value) => producer.send([{ topic, partition: 0, value: Buffer.from(value) }])),
      ]);
      await new Promise((r) => setTimeout(r, 500));
      killedAt = Date.now();
      await cluster.kill(leader);
      await eventually(async () => {
        const p = await partitionOf(topic, leader);
        return p && p.leader > 0 && p.leader !== leader ? (electedAt = Date.now()) : undefined;
      }, 20_000, "a new leader named in the metadata");
      await writing.catch((err: Error) => {
        throw new Error(`${err.message}\n${IDS.map((id) => `broker ${id}: ${cluster.output(id)}`).join("\n")}`);
      });
      // Metadata is read every retryBackoffMs while the leader is gone; the old back-off would wait 3.2 s or 6.4 s.
      expect(firstAckAfterKill - electedAt).toBeLessThan(1000);
      const read = await consumeAll(topic);
      expect(read.filter((v) => v.startsWith("kafkajs-"))).toEqual(sent.kafkajs);
      expect(read.filter((v) => v.startsWith("ours-"))).toEqual(sent.ours);
      expect(sent.ours).toHaveLength(rounds);
    } finally {
      await kafkajs.disconnect();
      await producer.close();
      await ours.close();
    }
    cluster.restart(leader);
    await eventually(async () => ((await partitionOf(topic))?.isrs.some((r) => r.id === leader) ? true : undefined), 20_000, "the restarted broker back in the ISR");
  }, 90_000);

  it("SIGSTOP of the leader past its lease: a new leader takes writes; resumed, the old one acknowledges nothing, truncates what only it had and catches up byte-identical", async () => {
    const topic = "stopped";
    const { leader } = await createTopic(topic);
    const old = await TestConnection.open(`127.0.0.1:${cluster.port(leader)}`);
    try {
      expect((await produceRaw(old, topic, Acks.ALL, "replicated")).errorCode).toBe(ErrorCode.NONE);
      // The followers' link to the leader cut for less than the lag time: the leader alone takes an acks=1 write.
      cluster.proxy(leader).set({ kind: "drop" });
      expect((await produceRaw(old, topic, Acks.LEADER, "only on the old leader")).errorCode).toBe(ErrorCode.NONE);
      cluster.pause(leader);
      cluster.proxy(leader).set({ kind: "pass" });
      // Sent while it is stopped: read when it resumes, past its lease.
      const late = produceRaw(old, topic, Acks.LEADER, "sent to the stopped leader").catch((err: Error) => err);
      const lateReplicated = produceRaw(old, topic, Acks.ALL, "sent to the stopped leader, acks=all").catch((err: Error) => err);

      const moved = await eventually(async () => {
        const p = await partitionOf(topic, leader);
        return p && p.leader !== leader && p.leader > 0 ? p : undefined;
      }, SESSION_MS * 5, "a new leader");
      const client = new KafkaClient({ bootstrap: [`127.0.0.1:${cluster.port(moved.leader)}`] });
      try {
        const acked = await client.producer({ acks: Acks.ALL }).send(Array.from({ length: 20 }, (_, i) => ({ topic, partition: 0, value: Buffer.from(`new leader ${i}`) })));
        expect(acked[0].offset).toBe(1);
      } finally {
        await client.close();
      }

      cluster.resume(leader);
      expect(await late).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
      // acks=all needs no lease: its followers fetch from the new leader, so it is never acknowledged.
      const answer = await lateReplicated;
      expect(answer instanceof Error ? answer.message : errorName(answer.errorCode)).not.toBe(errorName(ErrorCode.NONE));
      await eventually(() => (segments(leader, topic).equals(segments(moved.leader, topic)) ? true : undefined), 15_000, "the old leader's log equal to the new leader's");
      expect(await consumeAll(topic)).toEqual(["replicated", ...Array.from({ length: 20 }, (_, i) => `new leader ${i}`)]);
      await eventually(async () => ((await partitionOf(topic))?.isrs.some((r) => r.id === leader) ? true : undefined), 15_000, "the old leader back in the ISR");
    } finally {
      cluster.resume(leader);
      old.close();
    }
  }, 60_000);

  it("links cut by a TCP proxy: the ISR shrinks to the leader, acks=all gets NOT_ENOUGH_REPLICAS (before and after the append), healed it expands; a slow link only slows acks", async () => {
    const topic = "links";
    const { leader } = await createTopic(topic);
    const proxy = cluster.proxy(leader);
    const conn = await TestConnection.open(`127.0.0.1:${cluster.port(leader)}`);
    const isr = async () => (await partitionOf(topic))?.isrs.map((r) => r.id).sort();
    try {
      // Followers' fetches reach the leader, its answers never reach them: they stop advancing.
      proxy.set({ kind: "one-way", passes: "to-broker" });
      const waiting = produceRaw(conn, topic, Acks.ALL, "written while the ISR shrinks", 10_000);
      expect((await waiting).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
      await eventually(async () => ((await isr())?.join() === String(leader) ? true : undefined), LAG_MS * 6, "the ISR to shrink to the leader");
      expect((await produceRaw(conn, topic, Acks.ALL, "refused")).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
      expect((await produceRaw(conn, topic, Acks.LEADER, "leader only")).errorCode).toBe(ErrorCode.NONE);

      proxy.set({ kind: "pass" });
      await eventually(async () => ((await isr())?.length === 3 ? true : undefined), LAG_MS * 6, "the ISR to expand");

      proxy.set({ kind: "delay", ms: 200 });
      const started = Date.now();
      expect((await produceRaw(conn, topic, Acks.ALL, "slow link")).errorCode).toBe(ErrorCode.NONE);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);

      // Cut both ways: the same shrink.
      proxy.set({ kind: "drop" });
      await eventually(async () => ((await isr())?.join() === String(leader) ? true : undefined), LAG_MS * 6, "the ISR to shrink again");
      proxy.set({ kind: "pass" });
      await eventually(async () => ((await isr())?.length === 3 ? true : undefined), LAG_MS * 6, "the ISR to expand again");
    } finally {
      conn.close();
      proxy.set({ kind: "pass" });
    }
  }, 60_000);
});
