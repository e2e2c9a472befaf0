/**
 * Broker benchmark through the Kafka protocol: a load generator on the client's connection
 * (server/kafka/client) that re-sends one pre-encoded produce body (so the generator is not the bottleneck), against the
 * broker in its own Node process. Measures produce records/s and MB/s with acks=1 and acks=all on
 * durable topics (the default: fsync before acknowledging), consume records/s, and end-to-end
 * latency at a steady 50,000 records/s. 100-byte values.
 *
 * `npm run bench:broker [-- --quick] [-- --profile]` prints a markdown table and writes
 * bench/results/broker.json (broker-quick.json with --quick); --profile writes the broker's CPU
 * profile to bench/results/profiles/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Writer } from "@/server/kafka/codec";
import { BrokerConnection } from "@/server/kafka/client/connection";
import { Acks, CONSUMER_REPLICA_ID, FetchSession, IsolationLevel } from "@/server/kafka/constants";
import { ErrorCode } from "@/server/kafka/errors";
import { Apis, type ApiSpec } from "@/server/kafka/messages";
import type { ApiName } from "@/server/kafka/messages.types";
import { decodeResponse, encodeRequest, type RequestInputOf, type ResponseOf } from "@/server/kafka/protocol";
import { decodeRecordBatch, encodeRecordBatch, forEachBatch } from "@/server/kafka/records/batch";
import { formatSummary, markdownTable } from "./lib/markdown";
import { freePort } from "./lib/net";
import { bundledBrokerServer } from "./lib/server-bundle";
import { LatencyRecorder, type Summary, summarize } from "./lib/stats";

const VALUE_BYTES = 100;
/** Records per batch and partitions per produce request: what a batching client (librdkafka's defaults allow 10,000 per batch) sends under load. */
const RECORDS_PER_BATCH = 1000;
const PARTITIONS = 4;
/** Produce requests in flight on the generator's one connection (Kafka clients allow 5 per connection; we pipeline a little deeper). */
const PRODUCE_IN_FLIGHT = 8;
const FETCH_MAX_BYTES = 32 << 20;
const FETCH_PARTITION_MAX_BYTES = 8 << 20;
const LATENCY_RATE = 50_000;
/** The latency producer sends a batch every LATENCY_TICK_MS (a client's linger.ms). */
const LATENCY_TICK_MS = 2;
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;

const PROJECT_ROOT = fileURLToPath(new URL("../", import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

export interface BrokerBenchResult {
  machine: string;
  records: number;
  runs: number;
  settings: string;
  produceAcks1: { recordsPerSecond: Summary; mbPerSecond: Summary };
  produceAcksAll: { recordsPerSecond: Summary; mbPerSecond: Summary };
  consume: { recordsPerSecond: Summary; mbPerSecond: Summary };
  latency: { p50Ms: Summary; p99Ms: Summary; achievedRate: Summary };
  latencyPageCache: { p50Ms: Summary; p99Ms: Summary; achievedRate: Summary };
  markdown: string;
}

/** The broker in a child process (bench/peers/tributary-server.ts, bundled as `npm start` bundles the server), as clients would meet it. */
export async function startBroker(dataDir: string, profileDir?: string): Promise<{ bootstrap: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const args: string[] = [];
  if (profileDir) args.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  args.push(await bundledBrokerServer(), dataDir, String(port));
  const proc: ChildProcess = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TRIBUTARY_LOG_LEVEL: "warn" } });
  process.once("exit", () => proc.kill("SIGKILL"));
  const stderr: string[] = [];
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => stderr.push(c));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.setEncoding("utf8").on("data", (c: string) => c.includes('"ready":true') && resolve());
    proc.once("exit", (code) => reject(new Error(`broker exited with code ${code}: ${stderr.join("").slice(-500)}`)));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = once(proc, "exit");
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** Kafka's own default: acknowledge once in the page cache, fsync in the background. */
const PAGE_CACHE = { "flush.messages": "9223372036854775807" };

/** A connection of the one client; versions are the benchmark's own, fixed so runs compare. */
export function open(bootstrap: string, maxInFlight = 1): Promise<BrokerConnection> {
  const i = bootstrap.lastIndexOf(":");
  return BrokerConnection.open({ host: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)), clientId: "bench-broker", connectTimeoutMs: 10_000, requestTimeoutMs: 120_000, maxInFlight, maxResponseBytes: 256 << 20 });
}

export function request<N extends ApiName>(c: BrokerConnection, api: ApiSpec<N>, version: number, body: NoInfer<RequestInputOf<N>>): Promise<ResponseOf<N>> {
  return c.send(api, version, (w) => encodeRequest(api, version, body, w), (r) => decodeResponse(api, version, r));
}

export async function createTopic(c: BrokerConnection, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const res = await request(c, Apis.CreateTopics, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const t = res.topics[0];
  if (t.errorCode !== ErrorCode.NONE) throw new Error(`creating ${name} failed: error ${t.errorCode} ${t.errorMessage ?? ""}`);
}

export async function deleteTopic(c: BrokerConnection, name: string): Promise<void> {
  await request(c, Apis.DeleteTopics, 4, { topicNames: [name], timeoutMs: 30_000 });
}

export function checkProduce(res: ResponseOf<"Produce">): void {
  for (const t of res.responses) for (const p of t.partitionResponses) if (p.errorCode !== ErrorCode.NONE) throw new Error(`produce to ${t.name}-${p.index} failed with error ${p.errorCode}`);
}

function fetchRequest(topic: string, maxWaitMs: number, offsets: number[]): RequestInputOf<"Fetch"> {
  return {
    replicaId: CONSUMER_REPLICA_ID,
    maxWaitMs,
    minBytes: 1,
    maxBytes: FETCH_MAX_BYTES,
    isolationLevel: IsolationLevel.READ_UNCOMMITTED,
    sessionId: FetchSession.NO_SESSION_ID,
    sessionEpoch: FetchSession.FINAL_EPOCH,
    topics: [{ topic, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: FETCH_PARTITION_MAX_BYTES })) }],
    forgottenTopicsData: [],
    rackId: "",
  };
}

/** Sends `requests` copies of one produce body, encoded once, PRODUCE_IN_FLIGHT at a time; returns seconds. */
async function produce(bootstrap: string, topic: string, acks: number, requests: number): Promise<number> {
  const c = await open(bootstrap, PRODUCE_IN_FLIGHT);
  const value = Buffer.alloc(VALUE_BYTES, 0x61);
  const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ value })));
  const encoded = new Writer();
  encodeRequest(Apis.Produce, PRODUCE_VERSION, { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: Array.from({ length: PARTITIONS }, (_, index) => ({ index, records: batch })) }] }, encoded);
  // The record batches are large enough for the writer to pass them on without copying.
  const body = encoded.frame().slice(1);
  const send = () =>
    c.send(
      Apis.Produce,
      PRODUCE_VERSION,
      (w) => body.forEach((chunk) => w.bytes(chunk)),
      (r) => decodeResponse(Apis.Produce, PRODUCE_VERSION, r),
    );
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    let done = 0;
    const sendOne = () => {
      sent++;
      send().then((res) => {
        try {
          checkProduce(res);
        } catch (err) {
          return reject(err instanceof Error ? err : new Error(String(err)));
        }
        if (++done === requests) return resolve();
        if (sent < requests) sendOne();
      }, reject);
    };
    for (let i = 0; i < Math.min(PRODUCE_IN_FLIGHT, requests); i++) sendOne();
  });
  const seconds = (performance.now() - started) / 1000;
  c.close();
  return seconds;
}

/** Reads every partition of `topic` from offset 0 until `records` records arrived, one fetch in flight (as a consumer does); returns seconds. */
async function consume(bootstrap: string, topic: string, records: number): Promise<number> {
  const c = await open(bootstrap);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  let seen = 0;
  const started = performance.now();
  while (seen < records) {
    const res = await request(c, Apis.Fetch, FETCH_VERSION, fetchRequest(topic, 500, offsets));
    for (const p of res.responses[0].partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new Error(`fetch from ${topic}-${p.partitionIndex} failed with error ${p.errorCode}`);
      if (!p.records) continue;
      // A consumer's work per batch: where the next fetch starts and how many records it got.
      forEachBatch(p.records, (h) => {
        seen += h.lastOffsetDelta + 1;
        offsets[p.partitionIndex] = h.baseOffset + h.lastOffsetDelta + 1;
      });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  c.close();
  if (seen !== records) throw new Error(`consumed ${seen} records, expected ${records}`);
  return seconds;
}

/**
 * A paced producer (a batch every LATENCY_TICK_MS, acks=1) and a long-polling consumer on one
 * partition; each value carries its send time (performance.now(), same process), so latency is
 * measured per record from send to the consumer's receipt.
 */
async function latency(bootstrap: string, topic: string, seconds: number): Promise<{ p50: number; p99: number; achievedRate: number }> {
  // The paced producer keeps as many requests in flight as its schedule needs.
  const producer = await open(bootstrap, 64);
  const consumer = await open(bootstrap);
  const total = Math.round(LATENCY_RATE * seconds);
  const recorder = new LatencyRecorder(total);
  let received = 0;
  let fetchOffset = 0;
  let stopped = false;
  const consuming = (async () => {
    while (!stopped && received < total) {
      const res = await request(consumer, Apis.Fetch, FETCH_VERSION, fetchRequest(topic, 100, [fetchOffset]));
      const now = performance.now();
      const records = res.responses[0].partitions[0].records;
      if (!records) continue;
      let pos = 0;
      while (pos < records.length) {
        const { header, records: rs } = decodeRecordBatch(records, pos);
        for (const r of rs) recorder.record(now - r.value!.readDoubleBE(0));
        received += rs.length;
        fetchOffset = header.baseOffset + header.lastOffsetDelta + 1;
        pos += header.size;
      }
    }
  })();
  const perTick = Math.round((LATENCY_RATE * LATENCY_TICK_MS) / 1000);
  const started = performance.now();
  let sent = 0;
  const acks: Promise<void>[] = [];
  while (sent < total) {
    // Catch up to the schedule (timers are coarse): send what the elapsed time calls for.
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * LATENCY_RATE));
    while (sent < due) {
      const n = Math.min(perTick, due - sent);
      const now = performance.now();
      const batch = encodeRecordBatch(
        Array.from({ length: n }, () => {
          const value = Buffer.alloc(VALUE_BYTES, 0x62);
          value.writeDoubleBE(now, 0);
          return { value };
        }),
      );
      acks.push(
        request(producer, Apis.Produce, PRODUCE_VERSION, { transactionalId: null, acks: Acks.LEADER, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }).then(checkProduce),
      );
      sent += n;
    }
    await new Promise((r) => setTimeout(r, LATENCY_TICK_MS));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all(acks);
  const deadline = Date.now() + 30_000;
  while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  stopped = true;
  await consuming;
  producer.close();
  consumer.close();
  if (received < total) throw new Error(`latency run: received ${received} of ${total} records within 30 s`);
  const s = recorder.snapshot();
  return { p50: s.p50, p99: s.p99, achievedRate: total / sendSeconds };
}

export async function runBrokerBench(opts: { quick: boolean; profileDir?: string }): Promise<BrokerBenchResult> {
  const requests = opts.quick ? 250 : 1250;
  const records = requests * RECORDS_PER_BATCH * PARTITIONS;
  const runs = opts.quick ? 2 : 5;
  const latencySeconds = opts.quick ? 3 : 10;
  const dataDir = await mkdtemp(join(os.tmpdir(), "tributary-bench-broker-"));
  const broker = await startBroker(dataDir, opts.profileDir);
  const admin = await open(broker.bootstrap);
  const acks1: number[] = [];
  const acksAll: number[] = [];
  const consumed: number[] = [];
  const durable = { p50: [] as number[], p99: [] as number[], rate: [] as number[] };
  const pageCache = { p50: [] as number[], p99: [] as number[], rate: [] as number[] };
  try {
    for (let run = 0; run < runs; run++) {
      const t1 = `bench-acks1-${run}`;
      await createTopic(admin, t1, PARTITIONS);
      acks1.push(records / (await produce(broker.bootstrap, t1, Acks.LEADER, requests)));
      await deleteTopic(admin, t1);

      const tAll = `bench-acksall-${run}`;
      await createTopic(admin, tAll, PARTITIONS);
      acksAll.push(records / (await produce(broker.bootstrap, tAll, Acks.ALL, requests)));
      consumed.push(records / (await consume(broker.bootstrap, tAll, records)));
      await deleteTopic(admin, tAll);

      const lat: Record<string, { p50: number; p99: number }> = {};
      for (const [kind, into, configs] of [["durable", durable, {}], ["page cache", pageCache, PAGE_CACHE]] as const) {
        const tLat = `bench-latency-${run}-${kind === "durable" ? "durable" : "pagecache"}`;
        await createTopic(admin, tLat, 1, configs);
        const l = await latency(broker.bootstrap, tLat, latencySeconds);
        await deleteTopic(admin, tLat);
        into.p50.push(l.p50);
        into.p99.push(l.p99);
        into.rate.push(l.achievedRate);
        lat[kind] = l;
      }
      process.stderr.write(
        `run ${run + 1}/${runs}: acks=1 ${Math.round(acks1[run])}/s, acks=all ${Math.round(acksAll[run])}/s, consume ${Math.round(consumed[run])}/s, ` +
          `latency durable p50 ${lat.durable.p50.toFixed(2)} p99 ${lat.durable.p99.toFixed(2)} ms, page cache p50 ${lat["page cache"].p50.toFixed(2)} p99 ${lat["page cache"].p99.toFixed(2)} ms\n`,
      );
    }
  } finally {
    admin.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const mb = (xs: number[]) => summarize(xs.map((r) => (r * VALUE_BYTES) / 1e6));
  const result = {
    machine: `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node ${process.version}`,
    records,
    runs,
    settings: `${RECORDS_PER_BATCH} records per batch, ${PARTITIONS} partitions per produce request, ${PRODUCE_IN_FLIGHT} requests in flight (Produce v${PRODUCE_VERSION}); consumer: one Fetch v${FETCH_VERSION} in flight, ${FETCH_PARTITION_MAX_BYTES >> 20} MiB per partition; latency: ${LATENCY_RATE.toLocaleString("en-US")} records/s as a batch every ${LATENCY_TICK_MS} ms with acks=1, ${latencySeconds} s per run`,
    produceAcks1: { recordsPerSecond: summarize(acks1), mbPerSecond: mb(acks1) },
    produceAcksAll: { recordsPerSecond: summarize(acksAll), mbPerSecond: mb(acksAll) },
    consume: { recordsPerSecond: summarize(consumed), mbPerSecond: mb(consumed) },
    latency: { p50Ms: summarize(durable.p50), p99Ms: summarize(durable.p99), achievedRate: summarize(durable.rate) },
    latencyPageCache: { p50Ms: summarize(pageCache.p50), p99Ms: summarize(pageCache.p99), achievedRate: summarize(pageCache.rate) },
  };
  const markdown = markdownTable(
    ["measure (100-byte values, durable topics)", "result", "target"],
    [
      ["produce, acks=1 — records/s", formatSummary(result.produceAcks1.recordsPerSecond), "≥ 2,000,000"],
      ["produce, acks=1 — MB/s of values", formatSummary(result.produceAcks1.mbPerSecond), ""],
      ["produce, acks=all — records/s", formatSummary(result.produceAcksAll.recordsPerSecond), "≥ 800,000"],
      ["produce, acks=all — MB/s of values", formatSummary(result.produceAcksAll.mbPerSecond), ""],
      ["consume — records/s", formatSummary(result.consume.recordsPerSecond), "≥ 3,000,000"],
      ["end-to-end latency at 50,000 records/s, durable — p50 ms", formatSummary(result.latency.p50Ms), ""],
      ["end-to-end latency at 50,000 records/s, durable — p99 ms", formatSummary(result.latency.p99Ms), "< 10"],
      ["same, page cache (Kafka's default flush policy) — p50 ms", formatSummary(result.latencyPageCache.p50Ms), ""],
      ["same, page cache (Kafka's default flush policy) — p99 ms", formatSummary(result.latencyPageCache.p99Ms), "< 10"],
    ],
    ["left", "right", "right"],
  );
  return { ...result, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const profile = process.argv.includes("--profile");
  const profileDir = profile ? join(RESULTS_DIR, "profiles") : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const quick = process.argv.includes("--quick");
  const result = await runBrokerBench({ quick, profileDir });
  await mkdir(RESULTS_DIR, { recursive: true });
  // A quick run never replaces the recorded full one.
  await writeFile(join(RESULTS_DIR, quick ? "broker-quick.json" : "broker.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${result.markdown}\n\n${result.records.toLocaleString("en-US")} records per produce run, ${result.runs} runs; median (min–max). ${result.machine}. ${result.settings}\n`);
  process.exit(0);
}
