/**
 * Agent runtime benchmark: events/s and MB/s of 200-byte events through whole flows, and the file
 * channel's fsyncs/s (group commit shows as far fewer fsyncs than commits).
 * `npm run bench:agent [-- --quick]` prints a markdown table and writes bench/results/agent.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileChannel } from "../server/agents/channels/file";
import { FlowRuntime } from "../server/agents/runtime";
import { formatSummary, markdownTable } from "./lib/markdown";
import { type Summary, summarize } from "./lib/stats";

const EVENT_BYTES = 200;

export interface AgentBenchRow {
  flow: string;
  eventsPerSecond: Summary;
  mbPerSecond: Summary;
  fsyncsPerSecond: Summary | null;
}

export interface AgentBenchResult {
  events: number;
  runs: number;
  rows: AgentBenchRow[];
  markdown: string;
}

interface FlowCase {
  flow: string;
  channel: Record<string, unknown>;
  /** Concurrent seq sources: concurrent transactions are what group commit shares fsyncs between. */
  sources: number;
}

const CASES: FlowCase[] = [
  { flow: "seq → memory → null", channel: { type: "memory", capacity: 100_000, transactionCapacity: 1000 }, sources: 1 },
  { flow: "seq ×4 → file → null", channel: { type: "file", capacity: 1_000_000, transactionCapacity: 1000, minimumRequiredSpace: 0 }, sources: 4 },
];

async function runOnce(c: FlowCase, events: number): Promise<{ seconds: number; fsyncs: number | null }> {
  const dataDir = await mkdtemp(join(tmpdir(), "tributary-bench-agent-"));
  try {
    const per = Math.floor(events / c.sources);
    const sources = Object.fromEntries(Array.from({ length: c.sources }, (_, i) => [`r${i}`, { type: "seq", channels: ["c1"], totalEvents: per, batchSize: 1000, bodySize: EVENT_BYTES }]));
    const rt = new FlowRuntime({ name: "bench", sources, channels: { c1: c.channel }, sinks: { k1: { type: "null", channel: "c1", batchSize: 1000 } } }, { agent: "bench", dataDir });
    const t0 = performance.now();
    await rt.start();
    const total = per * c.sources;
    while ((rt.flumeMetrics()["SINK.k1"]!.EventDrainSuccessCount as number) < total) await new Promise((r) => setTimeout(r, 2));
    const seconds = (performance.now() - t0) / 1000;
    const ch = rt.channel("c1");
    const fsyncs = ch instanceof FileChannel ? ch.fsyncCount : null;
    await rt.stop();
    return { seconds, fsyncs };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runAgentBench(opts: { quick: boolean }): Promise<AgentBenchResult> {
  const events = opts.quick ? 200_000 : 1_000_000;
  const runs = opts.quick ? 2 : 5;
  const rows: AgentBenchRow[] = [];
  for (const c of CASES) {
    const eps: number[] = [];
    const fps: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { seconds, fsyncs } = await runOnce(c, events);
      eps.push(events / seconds);
      if (fsyncs !== null) fps.push(fsyncs / seconds);
    }
    rows.push({
      flow: c.flow,
      eventsPerSecond: summarize(eps),
      mbPerSecond: summarize(eps.map((e) => (e * EVENT_BYTES) / 1e6)),
      fsyncsPerSecond: fps.length > 0 ? summarize(fps) : null,
    });
  }
  const markdown = markdownTable(
    ["flow (200-byte events)", "events/s", "MB/s", "fsyncs/s"],
    rows.map((r) => [r.flow, formatSummary(r.eventsPerSecond), formatSummary(r.mbPerSecond), r.fsyncsPerSecond ? formatSummary(r.fsyncsPerSecond) : "—"]),
    ["left", "right", "right", "right"],
  );
  return { events, runs, rows, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const result = await runAgentBench({ quick: process.argv.includes("--quick") });
  const out = join(import.meta.dirname, "results");
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "agent.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${result.markdown}\n\n${result.events} events per run, ${result.runs} runs; median (min–max)\n`);
}
