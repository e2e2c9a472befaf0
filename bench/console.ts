/**
 * Console read latency with many topics: how long the Topics, topic, message-browser, consumer-group
 * and dashboard requests take against the embedded broker holding 100 topics, through the real tRPC
 * chain (roles, audit) and over the Kafka protocol, as the pages call them.
 * `npm run bench:console [-- --records=N --topics=N --groups=N --runs=N]` prints a markdown table and
 * writes bench/results/console.json. The bar: every page's request under one second.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRouterEnv } from "@/server/api/testing";
import type { BrowseResult } from "@/server/admin/browse";
import { KafkaClient } from "@/server/kafka/client";
import { LagSampler } from "@/server/metrics/lag";
import { metrics } from "@/server/metrics/registry";
import { SeriesSampler } from "@/server/metrics/series";
import { captureEnvironment, formatEnvironment } from "./lib/environment";
import { formatSummary, markdownTable } from "./lib/markdown";
import { summarize, type Summary } from "./lib/stats";

const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : fallback;
};
const TOPICS = arg("topics", 100);
const GROUPS = arg("groups", 50);
const PARTITIONS = 3;
const RECORDS = arg("records", 1_000_000);
const RUNS = arg("runs", 10);
// ~100-byte JSON values with an `amount` field, so the key and JSONata filters have something to test.
const VALUE = JSON.stringify({ user: "u-000000", amount: 0, status: "paid", note: "x".repeat(40) });
const BATCH = 5000;

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
  const env = await startRouterEnv({ groupInitialRebalanceDelayMs: 0 });
  const series = new SeriesSampler(metrics);
  env.services.sampler = series;
  try {
    const client = new KafkaClient({ bootstrap: [env.broker.bootstrap], clientId: "bench-console" });
    const names = Array.from({ length: TOPICS }, (_, i) => `bench-${String(i).padStart(3, "0")}`);
    await client.admin.createTopics(names.map((name) => ({ name, numPartitions: PARTITIONS })));

    const producer = client.producer();
    const value = Buffer.from(VALUE);
    const perTopic = Math.floor(RECORDS / TOPICS);
    const t0 = Date.now();
    let hotMiddle = 0;
    for (const topic of names) {
      if (topic === names[1]) hotMiddle = Math.round((t0 + Date.now()) / 2);
      for (let sent = 0; sent < perTopic; sent += BATCH) {
        const n = Math.min(BATCH, perTopic - sent);
        await producer.send(Array.from({ length: n }, (_, i) => ({ topic, key: Buffer.from(`u-${(sent + i) % 1000}`), value })));
      }
      // One throughput point per topic loaded, so the dashboard's live chart has data to serve.
      series.sample(Date.now());
    }
    const loadSeconds = (Date.now() - t0) / 1000;
    await producer.close();
    const hot = names[0];
    // Halfway through the first topic's load: a timestamp search that lands mid-log.
    const middle = hotMiddle || Date.now();

    // Each group has committed roughly half-way through two topics.
    for (let g = 0; g < GROUPS; g++) {
      const offsets = [names[g % TOPICS], names[(g * 7 + 1) % TOPICS]].flatMap((topic) =>
        Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: Math.floor(perTopic / PARTITIONS / 2) })),
      );
      await client.admin.commitOffsets(`group-${g}`, offsets);
    }
    await client.close();
    const lag = new LagSampler(env.clusters, 60_000);
    lag.persistTo(env.database.db);
    env.services.lag = lag;

    const viewer = env.viewer;
    const rows: [string, Summary][] = [];
    const measure = async (label: string, fn: () => Promise<unknown>, runs = RUNS) => {
      await fn(); // warm the connection and caches, as a page's second visit would
      rows.push([label, await timed(runs, fn)]);
    };
    await measure(`topics.list (${TOPICS} topics)`, () => viewer().topics.list({ cluster: "embedded" }));
    await measure("topics.get (one topic)", () => viewer().topics.get({ cluster: "embedded", topic: hot }));
    await measure("topics.groups (one topic)", () => viewer().topics.groups({ cluster: "embedded", topic: hot }));
    await measure("messages.browse earliest, 50", async () => lastResult(await viewer().messages.browse({ cluster: "embedded", topic: hot, start: { kind: "earliest" }, limit: 50 })));
    await measure("messages.browse latest, 50", async () => lastResult(await viewer().messages.browse({ cluster: "embedded", topic: hot, start: { kind: "latest" }, limit: 50 })));
    await measure("messages.browse by timestamp, 50", async () => {
      const r = await lastResult(await viewer().messages.browse({ cluster: "embedded", topic: hot, start: { kind: "timestamp", timestamp: middle }, limit: 50 }));
      if (r.records.length !== 50) throw new Error(`the timestamp search found ${r.records.length} records, expected a full page`);
    });
    const scanned = Math.min(perTopic, 100_000);
    const scan = async (filters: object) => {
      const r = await lastResult(await viewer().messages.browse({ cluster: "embedded", topic: hot, start: { kind: "earliest" }, limit: 500, scanLimit: scanned, filters }));
      if (r.scanned !== scanned) throw new Error(`scan read ${r.scanned} records, expected ${scanned}`);
    };
    await measure(`key-filter scan of ${scanned} records`, () => scan({ key: "nobody" }), 3);
    await measure(`JSONata scan of ${scanned} records`, () => scan({ jsonata: "amount > 1000" }), 3);
    await measure(`groups.list (${GROUPS} groups)`, () => viewer().groups.list({}));
    await measure("groups.get (one group)", () => viewer().groups.get({ groupId: "group-1" }));
    await measure("groups.previewReset (to-datetime)", () =>
      viewer().groups.previewReset({ groupId: "group-1", scope: { kind: "all-topics" }, strategy: { kind: "to-datetime", at: new Date(Date.now() - 60_000).toISOString() } }),
    );
    await measure("dashboard.throughput (15 min live)", () => viewer().dashboard.throughput({ range: "15m" }));
    await measure("dashboard.throughput (24 h from rollups)", () => viewer().dashboard.throughput({ range: "24h" }));
    // Before the lag sampler's first pass the overview lists the groups itself: the page's worst case.
    await measure("dashboard.overview", () => viewer().dashboard.overview({}));
    await measure("lag sampler pass", () => lag.sample("embedded"));
    await measure("groups.lagHistory (one group)", () => viewer().groups.lagHistory({ groupId: "group-1" }));
    await measure("clusters.status", () => viewer().clusters.status({ cluster: "embedded" }));
    await measure("flows.list", () => viewer().flows.list());

    const environment = await captureEnvironment(env.broker.dataDir);
    const table = markdownTable(
      ["request", "median ms (min–max)"],
      rows.map(([label, s]) => [label, formatSummary(s)]),
      ["left", "right"],
    );
    const records = perTopic * TOPICS;
    const out = { topics: TOPICS, partitions: PARTITIONS, groups: GROUPS, records, loadSeconds, runs: RUNS, environment, rows: rows.map(([label, ms]) => ({ label, ms })) };
    process.stdout.write(
      `\nConsole requests, embedded broker with ${TOPICS} topics × ${PARTITIONS} partitions, ${GROUPS} groups, ${records.toLocaleString("en")} records (loaded in ${loadSeconds.toFixed(1)} s)\n${formatEnvironment(environment)}\n\n${table}\n`,
    );
    await writeFile(join(import.meta.dirname, "results", "console.json"), JSON.stringify(out, null, 2));
  } finally {
    await env.stop();
  }
}

await main();
