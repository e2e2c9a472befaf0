/**
 * Agent runtime benchmark: events/s and MB/s of 200-byte events through whole flows, and the file
 * channel's fsyncs/s (group commit shows as far fewer fsyncs than commits).
 * `npm run bench:agent [-- --quick] [-- --runs N] [-- --only topic]` prints a markdown table and writes
 * bench/results/agent.json; --only keeps the flows whose name contains the word (A/B runs of one path).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileChannel } from "@/server/agents/channels/file";
import { FlowRuntime } from "@/server/agents/runtime";
import type { HttpSource } from "@/server/agents/sources/http";
import { KafkaClient } from "@/server/kafka/client";
import { formatSummary, markdownTable } from "./lib/markdown";
import { bundledBrokerServer } from "./lib/server-bundle";
import { type Summary, summarize } from "./lib/stats";

const EVENT_BYTES = 200;

export interface AgentBenchRow {
  flow: string;
  events: number;
  eventsPerSecond: Summary;
  mbPerSecond: Summary;
  fsyncsPerSecond: Summary | null;
}

export interface AgentBenchResult {
  runs: number;
  rows: AgentBenchRow[];
  markdown: string;
}

interface FlowCase {
  flow: string;
  /** Events per run in full mode (quick mode runs a fifth). */
  events: number;
  run(events: number, dataDir: string): Promise<{ seconds: number; fsyncs: number | null }>;
}

const FILE_CHANNEL = { type: "file", capacity: 2_000_000, transactionCapacity: 1000, minimumRequiredSpace: 0 };

/** Starts the flow, lets `load` feed it, and times until the sink has committed `events`. */
async function timeFlow(flow: Record<string, unknown>, events: number, dataDir: string, load: (rt: FlowRuntime) => Promise<void> = async () => {}): Promise<{ seconds: number; fsyncs: number | null }> {
  const rt = new FlowRuntime({ name: "bench", ...flow }, { agent: "bench", dataDir });
  const t0 = performance.now();
  await rt.start();
  try {
    await load(rt);
    const drained = () => Object.entries(rt.flumeMetrics()).filter(([k]) => k.startsWith("SINK.")).reduce((n, [, v]) => n + (v.EventDrainSuccessCount as number), 0);
    while (drained() < events) await new Promise((r) => setTimeout(r, 2));
    const seconds = (performance.now() - t0) / 1000;
    const ch = rt.channel("c1");
    return { seconds, fsyncs: ch instanceof FileChannel ? ch.fsyncCount : null };
  } finally {
    await rt.stop();
  }
}

function seqCase(flow: string, channel: Record<string, unknown>, sources: number): FlowCase {
  return {
    flow,
    events: 1_000_000,
    run(events, dataDir) {
      const per = Math.floor(events / sources);
      // Concurrent seq sources: concurrent transactions are what group commit shares fsyncs between.
      const srcs = Object.fromEntries(Array.from({ length: sources }, (_, i) => [`r${i}`, { type: "seq", channels: ["c1"], totalEvents: per, batchSize: 1000, bodySize: EVENT_BYTES }]));
      return timeFlow({ sources: srcs, channels: { c1: channel }, sinks: { k1: { type: "null", channel: "c1", batchSize: 1000 } } }, per * sources, dataDir);
    },
  };
}

/** The broker runs in its own process, as it would in production, so it does not share the agent's event loop. */
class BrokerProcess {
  private child: ChildProcess | null = null;
  bootstrap = "";
  private dir = "";
  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), "tributary-bench-agent-broker-"));
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    this.child = spawn(process.execPath, [await bundledBrokerServer(), this.dir, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      this.child!.once("exit", (code) => reject(new Error(`broker exited ${code}`)));
      this.child!.stdout!.on("data", (d: Buffer) => d.toString().includes('"ready":true') && resolve());
    });
    this.bootstrap = `127.0.0.1:${port}`;
  }
  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child?.once("exit", r));
    this.child?.kill("SIGTERM");
    await exited;
    await rm(this.dir, { recursive: true, force: true });
  }
}

let topicSerial = 0;
async function freshTopic(broker: BrokerProcess): Promise<string> {
  const topic = `bench-${topicSerial++}`;
  const client = new KafkaClient({ bootstrap: [broker.bootstrap], clientId: "bench" });
  try {
    await client.admin.createTopics([{ name: topic, numPartitions: 4 }]);
  } finally {
    await client.close();
  }
  return topic;
}

/** Several topic sinks on the channel, as Flume users run for throughput: each keeps one produce request in flight. */
const TOPIC_SINKS = Number(process.env.BENCH_TOPIC_SINKS ?? 4);
const topicSinks = (bootstrap: string, topic: string) => Object.fromEntries(Array.from({ length: TOPIC_SINKS }, (_, i) => [
  `k${i}`, { type: "topic", channel: "c1", bootstrapServers: bootstrap, topic, batchSize: 1000 },
]));

/** A flow into topic sinks, 500,000 events a run; each run writes to a topic of its own. */
function topicCase(broker: BrokerProcess, flow: string, run: (events: number, dataDir: string, topic: string) => ReturnType<FlowCase["run"]>): FlowCase {
  return { flow, events: 500_000, run: async (events, dataDir) => run(events, dataDir, await freshTopic(broker)) };
}

function httpCase(broker: BrokerProcess): FlowCase {
  return topicCase(broker, "http → file → topic", async (events, dataDir, topic) => {
    const perRequest = 1000;
    const line = `${JSON.stringify({ body: "x".repeat(EVENT_BYTES) })}\n`;
    const payload = line.repeat(perRequest);
    return timeFlow({
      sources: { r1: { type: "http", bind: "127.0.0.1", port: 0, channels: ["c1"] } },
      channels: { c1: FILE_CHANNEL },
      sinks: topicSinks(broker.bootstrap, topic),
    }, events, dataDir, async (rt) => {
      const url = `http://127.0.0.1:${(rt.source("r1") as HttpSource).port}/`;
      let left = Math.floor(events / perRequest);
      // Four clients posting NDJSON batches, retrying on 503 as a well-behaved client does.
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (left > 0) {
          left--;
          for (;;) {
            const res = await fetch(url, { method: "POST", body: payload, headers: { "content-type": "application/x-ndjson" } });
            await res.arrayBuffer();
            if (res.status === 200) break;
            if (res.status !== 503) throw new Error(`http source answered ${res.status}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }));
    });
  });
}

function taildirCase(broker: BrokerProcess): FlowCase {
  return topicCase(broker, "taildir → file → topic", async (events, dataDir, topic) => {
    // The log is written before the flow starts: the agent catches up with a backlog, the case where throughput matters.
    await mkdir(join(dataDir, "logs"), { recursive: true });
    const fh = await open(join(dataDir, "logs", "app.log"), "w");
    const chunk = Buffer.from(`${"y".repeat(EVENT_BYTES - 1)}\n`.repeat(10_000));
    for (let i = 0; i < events / 10_000; i++) await fh.write(chunk);
    await fh.close();
    return timeFlow({
      sources: { r1: { type: "taildir", channels: ["c1"], filegroups: { f1: join(dataDir, "logs", "app\\.log") }, positionFile: join(dataDir, "pos.json"), batchSize: 1000 } },
      channels: { c1: FILE_CHANNEL },
      sinks: topicSinks(broker.bootstrap, topic),
    }, events, dataDir);
  });
}

async function runOnce(c: FlowCase, events: number): Promise<{ seconds: number; fsyncs: number | null }> {
  const dataDir = await mkdtemp(join(tmpdir(), "tributary-bench-agent-"));
  try {
    return await c.run(events, dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runAgentBench(opts: { quick: boolean; runs?: number; only?: string }): Promise<AgentBenchResult> {
  const runs = opts.runs ?? (opts.quick ? 2 : 5);
  const rows: AgentBenchRow[] = [];
  const broker = new BrokerProcess();
  await broker.start();
  const cases: FlowCase[] = [
    seqCase("seq → memory → null", { type: "memory", capacity: 100_000, transactionCapacity: 1000 }, 1),
    seqCase("seq ×4 → file → null", FILE_CHANNEL, 4),
    httpCase(broker),
    taildirCase(broker),
  ].filter((c) => !opts.only || c.flow.includes(opts.only));
  try {
    for (const c of cases) {
      const events = opts.quick ? c.events / 5 : c.events;
      const eps: number[] = [];
      const fps: number[] = [];
      for (let i = 0; i < runs; i++) {
        const { seconds, fsyncs } = await runOnce(c, events);
        eps.push(events / seconds);
        if (fsyncs !== null) fps.push(fsyncs / seconds);
      }
      rows.push({
        flow: c.flow,
        events,
        eventsPerSecond: summarize(eps),
        mbPerSecond: summarize(eps.map((e) => (e * EVENT_BYTES) / 1e6)),
        fsyncsPerSecond: fps.length > 0 ? summarize(fps) : null,
      });
      process.stderr.write(`${c.flow}: ${Math.round(summarize(eps).median)} events/s\n`);
    }
  } finally {
    await broker.stop();
  }
  const markdown = markdownTable(
    ["flow (200-byte events)", "events per run", "events/s", "MB/s", "fsyncs/s"],
    rows.map((r) => [r.flow, r.events.toLocaleString("en-US"), formatSummary(r.eventsPerSecond), formatSummary(r.mbPerSecond), r.fsyncsPerSecond ? formatSummary(r.fsyncsPerSecond) : "—"]),
    ["left", "right", "right", "right", "right"],
  );
  return { runs, rows, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  const runs = arg("--runs");
  const result = await runAgentBench({ quick: process.argv.includes("--quick"), ...(runs ? { runs: Number(runs) } : {}), ...(arg("--only") ? { only: arg("--only") } : {}) });
  const out = join(import.meta.dirname, "results");
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "agent.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${result.markdown}\n\n${result.runs} runs per flow; median (min–max)\n`);
}
