/**
 * Console latency with many topics: how long the Topics, topic and message-browser requests take
 * against the embedded broker holding 100 topics, over the Kafka protocol as the pages call them.
 * `npm run bench:console [-- --records=N --topics=N --runs=N]` prints a markdown table and writes
 * bench/results/console.json. The bar: every page's request under one second.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { openDatabase } from "../db/client";
import { appRouter } from "../server/api/root";
import { createCallerFactory, type Services } from "../server/api/trpc";
import { Broker } from "../server/broker/broker";
import type { BrowseResult } from "../server/console/browse";
import { ClusterConnections } from "../server/control/clusters";
import { LoginLimiter } from "../server/control/login-limiter";
import { ensureAdmin, findUserByName } from "../server/control/users";
import { metrics } from "../server/metrics/registry";
import { SeriesSampler } from "../server/metrics/series";
import { migrationsDir } from "../server/paths";
import { captureEnvironment, formatEnvironment } from "./lib/environment";
import { formatSummary, markdownTable } from "./lib/markdown";
import { summarize, type Summary } from "./lib/stats";

const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : fallback;
};
const TOPICS = arg("topics", 100);
const PARTITIONS = 3;
const RECORDS = arg("records", 1_000_000);
const RUNS = arg("runs", 15);
const VALUE = JSON.stringify({ user: "u-000000", amount: 0, status: "paid", note: "x".repeat(40) });

async function timed(runs: number, fn: () => Promise<unknown>): Promise<Summary> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return summarize(ms);
}

async function lastResult(it: AsyncIterable<unknown>): Promise<BrowseResult> {
  let last: unknown;
  for await (const ev of it) last = ev;
  return (last as { result: BrowseResult }).result;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), "tributary-bench-console-"));
  const broker = await Broker.start({ dataDir: join(dir, "broker"), host: "127.0.0.1", port: 0, groupInitialRebalanceDelayMs: 0 });
  const database = await openDatabase({ dataDir: join(dir, "db") });
  await database.migrate(migrationsDir);
  await ensureAdmin(database.db, "bench-password");
  const clusters = new ClusterConnections(database.db, broker.bootstrap);
  const series = new SeriesSampler(metrics);
  series.start();
  const services: Services = {
    database,
    version: "bench",
    startedAt: Date.now(),
    loginLimiter: new LoginLimiter(),
    secureCookies: false,
    broker: { bootstrap: broker.bootstrap, healthy: () => true, instance: broker },
    clusters,
    sampler: series,
  };
  const user = await findUserByName(database.db, "admin");
  const caller = createCallerFactory(appRouter)({ services, db: database.db, user, sessionToken: undefined, requestId: randomUUID(), clientAddress: undefined, userAgent: undefined, setCookie: () => undefined, audit: {} });

  try {
    const names = Array.from({ length: TOPICS }, (_, i) => `bench-${String(i).padStart(3, "0")}`);
    for (const name of names) await caller.topics.create({ cluster: "embedded", name, partitions: PARTITIONS });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: "bench", logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const perTopic = Math.floor(RECORDS / TOPICS);
    const t0 = Date.now();
    const BATCH = 5000;
    let hotMiddle = 0;
    for (const topic of names) {
      if (topic === names[1]) hotMiddle = Math.round((t0 + Date.now()) / 2);
      for (let sent = 0; sent < perTopic; sent += BATCH) {
        const n = Math.min(BATCH, perTopic - sent);
        await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ key: `u-${(sent + i) % 1000}`, value: VALUE })) });
      }
    }
    const loadSeconds = (Date.now() - t0) / 1000;
    await producer.disconnect();
    const hot = names[0];
    // Halfway through the first topic's load: a timestamp search that lands mid-log.
    const middle = hotMiddle || Date.now();

    const rows: [string, Summary][] = [];
    const measure = async (label: string, fn: () => Promise<unknown>, runs = RUNS) => {
      await fn(); // warm the connection and caches, as a page's second visit would
      rows.push([label, await timed(runs, fn)]);
    };
    await measure(`topics.list (${TOPICS} topics)`, () => caller.topics.list({ cluster: "embedded" }));
    await measure("topics.get (one topic)", () => caller.topics.get({ cluster: "embedded", topic: hot }));
    await measure("topics.groups (one topic)", () => caller.topics.groups({ cluster: "embedded", topic: hot }));
    await measure("messages.browse earliest, 50", async () => lastResult(await caller.messages.browse({ cluster: "embedded", topic: hot, start: { kind: "earliest" }, limit: 50 })));
    await measure("messages.browse latest, 50", async () => lastResult(await caller.messages.browse({ cluster: "embedded", topic: hot, start: { kind: "latest" }, limit: 50 })));
    await measure("messages.browse by timestamp, 50", async () => {
      const r = await lastResult(await caller.messages.browse({ cluster: "embedded", topic: hot, start: { kind: "timestamp", timestamp: middle }, limit: 50 }));
      if (r.records.length !== 50) throw new Error(`the timestamp search found ${r.records.length} records, expected a full page`);
    });

    const scanned = Math.min(perTopic, 100_000);
    const scan = async (filters: object) => {
      const r = await lastResult(await caller.messages.browse({ cluster: "embedded", topic: hot, start: { kind: "earliest" }, limit: 500, scanLimit: scanned, filters }));
      if (r.scanned !== scanned) throw new Error(`scan read ${r.scanned} records, expected ${scanned}`);
    };
    await measure(`key-filter scan of ${scanned} records`, () => scan({ key: "nobody" }), 3);
    await measure(`JSONata scan of ${scanned} records`, () => scan({ jsonata: "amount > 1000" }), 3);

    const env = await captureEnvironment(dir);
    const table = markdownTable(
      ["request", "median ms (min–max)"],
      rows.map(([label, s]) => [label, formatSummary(s)]),
      ["left", "right"],
    );
    const out = { topics: TOPICS, partitions: PARTITIONS, records: perTopic * TOPICS, loadSeconds, runs: RUNS, environment: env, rows: rows.map(([label, s]) => ({ label, ms: s })) };
    process.stdout.write(`\nConsole requests, embedded broker with ${TOPICS} topics × ${PARTITIONS} partitions, ${(perTopic * TOPICS).toLocaleString()} records (loaded in ${loadSeconds.toFixed(1)} s)\n${formatEnvironment(env)}\n\n${table}\n`);
    await writeFile(join(import.meta.dirname, "results", "console.json"), JSON.stringify(out, null, 2));
  } finally {
    series.stop();
    await clusters.close();
    await broker.close();
    await database.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
