/**
 * Cluster benchmark: three `tributary broker` processes sharing one Postgres, a topic of three
 * partitions (one led by each broker) with replication factor 3 and min.insync.replicas=2, 100-byte
 * records, acks=all. Measures produce and consume records/s, produce-to-ack latency at a fixed
 * rate, and failover: SIGKILL the leader of a partition while a producer writes to it and a
 * consumer reads it, and time from the kill to the first write acknowledged after it and to the
 * first records a fetch sent after it returns (the broker restarted between rounds).
 *
 * `npm run bench:cluster [-- --quick] [-- --page-cache]` prints a markdown table and writes
 * bench/results/cluster[-page-cache][-quick].json. Durable topics (fsync before a replica counts
 * its records) by default; --page-cache uses Kafka's flush default. Postgres: TEST_DATABASE_URL,
 * else a private server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterDatabase, eventually } from "@/server/cluster/test-support";
import { BrokerCluster } from "@/server/testing/broker-cluster";
import { kcatMetadata } from "@/server/testing/kcat";
import { KafkaClient } from "@/server/kafka/client";
import { Writer } from "@/server/kafka/codec";
import type { BrokerConnection } from "@/server/kafka/client/connection";
import { Acks, CONSUMER_REPLICA_ID, FetchSession, IsolationLevel, ListOffsetsTimestamp } from "@/server/kafka/constants";
import { ErrorCode } from "@/server/kafka/errors";
import { Apis } from "@/server/kafka/messages";
import { decodeResponse, encodeRequest } from "@/server/kafka/protocol";
import { encodeRecordBatch, forEachBatch } from "@/server/kafka/records/batch";
import { checkProduce, open, request } from "./broker";
import { formatNumber, markdownTable } from "./lib/markdown";
import { LatencyRecorder, median } from "./lib/stats";

const quick = process.argv.includes("--quick");
/** Kafka's own default instead of this broker's: acknowledge from the page cache, fsync in the background. */
const pageCache = process.argv.includes("--page-cache");
const VALUE_BYTES = 100;
const RECORDS_PER_BATCH = 1000;
const PARTITIONS = 3;
const PRODUCE_IN_FLIGHT = 8;
const REQUESTS_PER_PARTITION = quick ? 100 : 400;
const LATENCY_RATE = 50_000;
const LATENCY_SECONDS = quick ? 3 : 10;
const LATENCY_TICK_MS = 10;
const FAILOVERS = quick ? 2 : 20;
const SESSION_MS = 2000;
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));
const TOPIC = "bench-rf3";

interface PartitionLeader {
  partition: number;
  leader: number;
}

const IDS = [1, 2, 3];

async function leaders(cluster: BrokerCluster): Promise<PartitionLeader[] | undefined> {
  const asked = IDS.find((id) => cluster.isUp(id))!;
  const parts = (await kcatMetadata(cluster.port(asked), TOPIC))?.topics[0]?.partitions;
  if (!parts || parts.length !== PARTITIONS || parts.some((p) => p.leader < 1 || p.isrs.length !== 3)) return undefined;
  return parts.map((p) => ({ partition: p.partition, leader: p.leader }));
}

const portOf = (cluster: BrokerCluster, id: number) => `127.0.0.1:${cluster.port(id)}`;

/** One pre-encoded acks=all produce body per partition leader, sent PRODUCE_IN_FLIGHT at a time on each; returns records/s. */
async function produce(cluster: BrokerCluster, layout: PartitionLeader[]): Promise<number> {
  const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ value: Buffer.alloc(VALUE_BYTES, 0x61) })));
  const started = performance.now();
  await Promise.all(
    layout.map(async ({ partition, leader }) => {
      const c = await open(portOf(cluster, leader), PRODUCE_IN_FLIGHT);
      const w = new Writer();
      encodeRequest(Apis.Produce, 9, { transactionalId: null, acks: Acks.ALL, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }] }, w);
      const body = w.frame().slice(1);
      const send = () => c.send(Apis.Produce, 9, (x) => body.forEach((chunk) => x.bytes(chunk)), (r) => decodeResponse(Apis.Produce, 9, r)).then(checkProduce);
      let sent = 0;
      const lane = async () => {
        while (sent < REQUESTS_PER_PARTITION) {
          sent++;
          await send();
        }
      };
      await Promise.all(Array.from({ length: PRODUCE_IN_FLIGHT }, lane));
      c.close();
    }),
  );
  return (PARTITIONS * REQUESTS_PER_PARTITION * RECORDS_PER_BATCH) / ((performance.now() - started) / 1000);
}

/** Reads every partition from its leader up to the high watermark; returns records/s. */
async function consume(cluster: BrokerCluster, layout: PartitionLeader[]): Promise<number> {
  const total = PARTITIONS * REQUESTS_PER_PARTITION * RECORDS_PER_BATCH;
  const started = performance.now();
  let seen = 0;
  await Promise.all(
    layout.map(async ({ partition, leader }) => {
      const c = await open(portOf(cluster, leader));
      let offset = 0;
      while (offset < REQUESTS_PER_PARTITION * RECORDS_PER_BATCH) {
        const res = await request(c, Apis.Fetch, 12, { replicaId: CONSUMER_REPLICA_ID, maxWaitMs: 500, minBytes: 1, maxBytes: 32 << 20, isolationLevel: IsolationLevel.READ_UNCOMMITTED, sessionId: FetchSession.NO_SESSION_ID, sessionEpoch: FetchSession.FINAL_EPOCH, topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }], forgottenTopicsData: [], rackId: "" });
        const p = res.responses[0].partitions[0];
        if (p.errorCode !== ErrorCode.NONE) throw new Error(`fetch from ${TOPIC}-${partition} failed with error ${p.errorCode}`);
        if (p.records)
          forEachBatch(p.records, (h) => {
            seen += h.lastOffsetDelta + 1;
            offset = h.baseOffset + h.lastOffsetDelta + 1;
          });
      }
      c.close();
    }),
  );
  if (seen !== total) throw new Error(`consumed ${seen} records, expected ${total}`);
  return total / ((performance.now() - started) / 1000);
}

/** acks=all produce-to-ack latency of batches sent every LATENCY_TICK_MS at LATENCY_RATE records/s to partition 0. */
async function latency(cluster: BrokerCluster, layout: PartitionLeader[]): Promise<{ p50: number; p99: number; rate: number }> {
  const perTick = Math.round((LATENCY_RATE * LATENCY_TICK_MS) / 1000);
  const c: BrokerConnection = await open(portOf(cluster, layout[0].leader), 32);
  const batch = encodeRecordBatch(Array.from({ length: perTick }, () => ({ value: Buffer.alloc(VALUE_BYTES, 0x62) })));
  const ticks = Math.round((LATENCY_SECONDS * 1000) / LATENCY_TICK_MS);
  const recorder = new LatencyRecorder(ticks);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < ticks; i++) {
    const due = started + i * LATENCY_TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sentAt = performance.now();
    pending.push(
      request(c, Apis.Produce, 9, { transactionalId: null, acks: Acks.ALL, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: layout[0].partition, records: batch }] }] }).then((res) => {
        checkProduce(res);
        recorder.record(performance.now() - sentAt);
      }),
    );
  }
  await Promise.all(pending);
  c.close();
  const s = recorder.snapshot();
  return { p50: s.p50, p99: s.p99, rate: (ticks * perTick) / ((performance.now() - started) / 1000) };
}

interface Failover {
  /** ms from the kill to the first write acknowledged after it. */
  produce: number;
  /** ms from the kill to the first records returned by a fetch sent after it. */
  consume: number;
}

/** SIGKILL the leader of partition 0 under a producer writing one record at a time and a consumer tailing it. */
async function failover(cluster: BrokerCluster): Promise<Failover> {
  const layout = await eventually(() => leaders(cluster), 30_000, "every partition led and in sync");
  const victim = layout[0].leader;
  const client = new KafkaClient({ bootstrap: IDS.filter((id) => id !== victim).map((id) => portOf(cluster, id)), requestTimeoutMs: 5000 });
  const producer = client.producer({ acks: Acks.ALL });
  let killedAt = 0;
  const recovered: Failover = { produce: 0, consume: 0 };
  let stop = false;
  const writing = (async () => {
    while (!stop) {
      const sentAt = performance.now();
      await producer.send([{ topic: TOPIC, partition: 0, value: Buffer.alloc(VALUE_BYTES, 0x63) }]);
      // Only a write sent after the kill shows the new leader: one in flight may have been acknowledged by the old one.
      if (killedAt && sentAt > killedAt && !recovered.produce) recovered.produce = performance.now() - killedAt;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const reading = (async () => {
    const [end] = await client.admin.listOffsets([{ topic: TOPIC, partition: 0, timestamp: ListOffsetsTimestamp.LATEST }], IsolationLevel.READ_UNCOMMITTED);
    let offset = end.offset;
    while (!stop) {
      const sentAt = performance.now();
      const [p] = await client.fetch([{ topic: TOPIC, partition: 0, offset }], { maxWaitMs: 100, isolationLevel: IsolationLevel.READ_UNCOMMITTED }).catch(() => []);
      if (!p || p.errorCode !== ErrorCode.NONE) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      offset = p.nextOffset;
      if (killedAt && sentAt > killedAt && p.records.length && !recovered.consume) recovered.consume = performance.now() - killedAt;
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  killedAt = performance.now();
  await cluster.kill(victim);
  await eventually(() => (recovered.produce && recovered.consume ? true : undefined), 60_000, "a write acknowledged and records read after the kill");
  stop = true;
  await Promise.all([writing, reading]);
  await client.close();
  cluster.restart(victim);
  return recovered;
}

const seconds = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `${(sorted[0] / 1000).toFixed(2)} / ${(median(sorted) / 1000).toFixed(2)} / ${(sorted[sorted.length - 1] / 1000).toFixed(2)} s`;
};

async function main(): Promise<void> {
  const db = await clusterDatabase();
  const dirs: string[] = [];
  const dataDir = () => {
    dirs.push(mkdtempSync(join(os.tmpdir(), "tributary-bench-cluster-")));
    return dirs[dirs.length - 1];
  };
  const cluster = await BrokerCluster.start({ nodeIds: IDS, databaseUrl: db.url, sessionTimeoutMs: SESSION_MS, dataDir });
  try {
    const admin = new KafkaClient({ bootstrap: [portOf(cluster, 1)] });
    await admin.admin.createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configs: { "min.insync.replicas": "2", ...(pageCache ? { "flush.messages": "9223372036854775807" } : {}) } }]);
    await admin.close();
    const layout = await eventually(() => leaders(cluster), 30_000, "every partition led and in sync");
    const produced = await produce(cluster, layout);
    const consumed = await consume(cluster, layout);
    const lat = await latency(cluster, layout);
    const failovers: Failover[] = [];
    for (let i = 0; i < FAILOVERS; i++) failovers.push(await failover(cluster));
    const markdown = markdownTable(
      ["measure", "result"],
      [
        ["produce, acks=all RF=3, 100-byte records", `${formatNumber(produced)} records/s`],
        ["consume from the leaders", `${formatNumber(consumed)} records/s`],
        [`acks=all latency at ${formatNumber(LATENCY_RATE)} records/s (p50 / p99)`, `${lat.p50.toFixed(1)} / ${lat.p99.toFixed(1)} ms (achieved ${formatNumber(lat.rate)} records/s)`],
        [`failover, SIGKILL of the leader → first acked write (${FAILOVERS} rounds, min / median / max)`, seconds(failovers.map((f) => f.produce))],
        [`failover, SIGKILL of the leader → consumer reading again (${FAILOVERS} rounds, min / median / max)`, seconds(failovers.map((f) => f.consume))],
      ],
      ["left", "right"],
    );
    const result = { pageCache, machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, sessionTimeoutMs: SESSION_MS, produceRecordsPerSecond: produced, consumeRecordsPerSecond: consumed, latency: lat, failoverMs: failovers, markdown };
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(`${RESULTS_DIR}cluster${pageCache ? "-page-cache" : ""}${quick ? "-quick" : ""}.json`, JSON.stringify(result, null, 2) + "\n");
    console.log(markdown);
  } finally {
    await cluster.close();
    await db.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
