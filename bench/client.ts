/**
 * The Kafka client's speed next to kafkajs's, on one machine against one broker process: records/s
 * producing 100-byte records (acks=all, page-cache topic so the broker's fsync does not set the
 * pace) and consuming them back in a consumer group. Each figure is the median of RUNS runs.
 * Usage: npm run bench:client [-- --records N]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Kafka, logLevel } from "kafkajs";
import { KafkaClient } from "../server/kafka/client";
import { captureEnvironment, formatEnvironment } from "./lib/environment";
import { formatSummary, markdownTable } from "./lib/markdown";
import { summarize, type Summary } from "./lib/stats";
import { startBroker } from "./broker";
import { NO_FSYNC, PROJECT_ROOT } from "./peers/tributary";

const RUNS = 3;
const VALUE = Buffer.alloc(100, "x");
/** Records per send() call and sends in flight: how the topic sink and the console's bulk produce call a producer. */
const PER_SEND = 1000;
const IN_FLIGHT = 8;

const recordsArg = process.argv.indexOf("--records");
const RECORDS = recordsArg > 0 ? Number(process.argv[recordsArg + 1]) : 200_000;

interface ClientUnderTest {
  name: string;
  produce(topic: string): Promise<void>;
  /** Resolves with the time the first record arrived: joining the group is not part of the rate. */
  consume(topic: string): Promise<number>;
  close(): Promise<void>;
}

/** Sends RECORDS records in chunks of PER_SEND with IN_FLIGHT sends outstanding. */
async function pump(send: (from: number, count: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < RECORDS) {
      const from = next;
      next += PER_SEND;
      await send(from, Math.min(PER_SEND, RECORDS - from));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

function ours(bootstrap: string): ClientUnderTest {
  const client = new KafkaClient({ bootstrap: [bootstrap], clientId: "bench" });
  const producer = client.producer({ lingerMs: 5 });
  let group = 0;
  return {
    name: "Tributary client",
    produce: (topic) => pump((from, count) => producer.send(Array.from({ length: count }, () => ({ topic, value: VALUE })))),
    async consume(topic) {
      const consumer = client.consumer({ groupId: `bench-${group++}`, topics: [topic], autoOffsetReset: "earliest", maxWaitMs: 100 });
      let n = 0;
      let first = 0;
      while (n < RECORDS) {
        for (const b of await consumer.poll()) {
          first ||= performance.now();
          n += b.records.length;
        }
      }
      await consumer.close();
      return first;
    },
    async close() {
      await producer.close();
      await client.close();
    },
  };
}

function kafkajs(bootstrap: string): ClientUnderTest {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: "bench", logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  let connected: Promise<void> | null = null;
  let group = 0;
  return {
    name: "kafkajs 2.2.4",
    async produce(topic) {
      connected ??= producer.connect();
      await connected;
      await pump((from, count) => producer.send({ topic, acks: -1, messages: Array.from({ length: count }, () => ({ value: VALUE })) }));
    },
    async consume(topic) {
      const consumer = kafka.consumer({ groupId: `bench-kjs-${group++}` });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      let n = 0;
      let first = 0;
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachBatch: ({ batch }) => {
              first ||= performance.now();
              n += batch.messages.length;
              if (n >= RECORDS) resolve();
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      return first;
    },
    async close() {
      if (connected) await producer.disconnect();
    },
  };
}

/** Records per second from the start (or the first record, when work returns its time) to the end. */
async function timedRate(work: () => Promise<number | void>): Promise<number> {
  const t0 = performance.now();
  const first = await work();
  return RECORDS / ((performance.now() - (first || t0)) / 1000);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-bench-client-"));
  const broker = await startBroker(dataDir);
  const bootstrap = broker.bootstrap;
  const admin = new KafkaClient({ bootstrap: [bootstrap] });
  const results: { client: string; produce: Summary; consume: Summary }[] = [];
  let topicSeq = 0;
  try {
    for (const make of [ours, kafkajs]) {
      const c = make(bootstrap);
      const produce: number[] = [];
      const consume: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const topic = `bench-client-${topicSeq++}`;
        await admin.admin.createTopics([{ name: topic, numPartitions: 1, configs: { "flush.messages": NO_FSYNC } }]);
        produce.push(await timedRate(() => c.produce(topic)));
        consume.push(await timedRate(() => c.consume(topic)));
        await admin.admin.deleteTopics([topic]);
        process.stdout.write(`${c.name} run ${run + 1}: produce ${Math.round(produce[run])}/s, consume ${Math.round(consume[run])}/s\n`);
      }
      await c.close();
      results.push({ client: c.name, produce: summarize(produce), consume: summarize(consume) });
    }
  } finally {
    await admin.close();
    await broker.stop();
  }
  const env = await captureEnvironment(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  const table = markdownTable(
    ["client", "produce records/s", "consume records/s"],
    results.map((r) => [r.client, formatSummary(r.produce), formatSummary(r.consume)]),
    ["left", "right", "right"],
  );
  process.stdout.write(`\n${RECORDS} records of ${VALUE.length} bytes, ${PER_SEND} per send, ${IN_FLIGHT} sends in flight, acks=all, one partition; median (min–max) of ${RUNS} runs\n${table}\n${formatEnvironment(env)}\n`);
  writeFileSync(join(PROJECT_ROOT, "bench/results/client.json"), JSON.stringify({ records: RECORDS, valueBytes: VALUE.length, perSend: PER_SEND, inFlight: IN_FLIGHT, results, environment: env }, null, 2) + "\n");
}

await main();
