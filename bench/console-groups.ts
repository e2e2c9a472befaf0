/**
 * Console read latency on the embedded broker: how long the consumer-group and dashboard calls
 * take with many topics and groups, through the real tRPC chain and the Kafka protocol.
 * `npm run bench:console [-- --topics=100 --groups=50 --records=1000000 --runs=10]` prints a
 * markdown table and writes bench/results/console-groups.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRouterEnv } from "../server/api/routers/testing";
import { metrics } from "../server/metrics/registry";
import { SeriesSampler } from "../server/metrics/series";
import { LagSampler } from "../server/metrics/lag";
import { formatSummary, markdownTable } from "./lib/markdown";
import { summarize, type Summary } from "./lib/stats";

function arg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : fallback;
}

const TOPICS = arg("topics", 100);
const GROUPS = arg("groups", 50);
const RECORDS = arg("records", 1_000_000);
const RUNS = arg("runs", 10);
const PARTITIONS = 3;

async function main() {
  const env = await startRouterEnv({ groupInitialRebalanceDelayMs: 0 });
  const sampler = new SeriesSampler(metrics);
  env.services.sampler = sampler;
  try {
    const kafka = env.broker.kafka("bench-console");
    const admin = kafka.admin();
    await admin.connect();
    const topics = Array.from({ length: TOPICS }, (_, i) => `topic-${String(i).padStart(3, "0")}`);
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })) });
    await admin.disconnect();

    // Records spread over the topics in large batches: the calls measured read offsets, not records.
    const producer = kafka.producer();
    await producer.connect();
    const value = Buffer.alloc(100, 120);
    const perTopic = Math.floor(RECORDS / TOPICS);
    const t0 = performance.now();
    for (const topic of topics) {
      for (let sent = 0; sent < perTopic; sent += 10_000) {
        const n = Math.min(10_000, perTopic - sent);
        await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value, partition: i % PARTITIONS })) });
      }
      sampler.sample(Date.now());
    }
    await producer.disconnect();
    const produceSeconds = (performance.now() - t0) / 1000;

    // Each group has committed half-way through two topics.
    await env.clusters.groupRequests("embedded").then(async (r) => {
      for (let g = 0; g < GROUPS; g++) {
        const offsets = [topics[g % TOPICS], topics[(g * 7 + 1) % TOPICS]].flatMap((topic) =>
          Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: Math.floor(perTopic / PARTITIONS / 2) })),
        );
        await r.commit(`group-${g}`, offsets);
      }
    });
    env.services.lag = new LagSampler(env.clusters, 60_000);

    const calls: { name: string; run: () => Promise<unknown> }[] = [
      { name: "groups.list", run: () => env.viewer().groups.list({}) },
      { name: "groups.get", run: () => env.viewer().groups.get({ groupId: "group-1" }) },
      { name: "groups.previewReset (to-datetime)", run: () => env.viewer().groups.previewReset({ groupId: "group-1", scope: { kind: "all-topics" }, strategy: { kind: "to-datetime", at: new Date(Date.now() - 60_000).toISOString() } }) },
      { name: "dashboard.throughput (15 min live)", run: () => env.viewer().dashboard.throughput({ range: "15m" }) },
      { name: "dashboard.overview", run: () => env.viewer().dashboard.overview({}) },
      { name: "lag sampler pass", run: () => env.services.lag!.sample("embedded") },
    ];
    const rows: { call: string; ms: Summary }[] = [];
    for (const c of calls) {
      await c.run(); // warm: metadata and connections
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        await c.run();
        ms.push(performance.now() - s);
      }
      rows.push({ call: c.name, ms: summarize(ms) });
    }
    const markdown = [
      `${TOPICS} topics × ${PARTITIONS} partitions, ${GROUPS} groups, ${RECORDS.toLocaleString("en")} records of 100 bytes (produced in ${produceSeconds.toFixed(1)} s). Median of ${RUNS} calls (min–max), after one warm-up call.`,
      "",
      markdownTable(
        ["call", "latency"],
        rows.map((r) => [r.call, formatSummary(r.ms, "ms")]),
        ["left", "right"],
      ),
    ].join("\n");
    process.stdout.write(markdown + "\n");
    await mkdir(join("bench", "results"), { recursive: true });
    await writeFile(join("bench", "results", "console-groups.json"), JSON.stringify({ topics: TOPICS, partitions: PARTITIONS, groups: GROUPS, records: RECORDS, runs: RUNS, rows }, null, 1));
  } finally {
    await env.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:console failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
