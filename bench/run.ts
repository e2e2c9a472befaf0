/**
 * `npm run bench [-- --quick] [-- --runs=N] [-- --profile] [-- --write-docs]`
 *
 * One run on one machine: Tributary's own benchmarks (storage engine, broker, agent runtime),
 * Tributary side by side with NATS JetStream, Redis Streams and RabbitMQ streams under the same
 * work, and the machine's limits (loopback TCP, sequential disk writes). Writes markdown, JSON and
 * an SVG chart to bench/results/; --write-docs also replaces the peers section of docs/benchmarks.md.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { captureEnvironment } from "./lib/environment";
import { summarize, type Summary } from "./lib/stats";
import { sequentialWrite } from "./limits/disk";
import { iperf3Loopback, nodeLoopback } from "./limits/tcp";
import { natsJetStream } from "./peers/nats";
import { rabbitmqStream } from "./peers/rabbitmq";
import { redisStreams } from "./peers/redis";
import { evaluateTargets, fractionsOfLimits, renderMarkdown, renderSvg, type LimitsResult, type OwnBench, type Report, type SystemResult } from "./peers/report";
import { tributaryBroker } from "./peers/tributary";
import { PeerUnavailableError, VALUE_BYTES, type LatencyResult, type PeerSystem, type PhaseResult, type Workload } from "./peers/workload";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RESULTS_DIR = join(ROOT, "bench", "results");
const DOCS_FILE = join(ROOT, "docs", "benchmarks.md");
const DOCS_SECTION = "<!-- section: peers (npm run bench) -->";

interface Options {
  quick: boolean;
  runs: number;
  profile: boolean;
  writeDocs: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { quick: false, runs: 3, profile: false, writeDocs: false };
  for (const arg of argv) {
    if (arg === "--quick") opts.quick = true;
    else if (arg === "--profile") opts.profile = true;
    else if (arg === "--write-docs") opts.writeDocs = true;
    else if (arg.startsWith("--runs=")) {
      opts.runs = Number(arg.slice("--runs=".length));
      if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error(`--runs must be a positive integer, got ${arg}`);
    } else throw new Error(`unknown option ${arg}; use --quick, --runs=N, --profile or --write-docs`);
  }
  return opts;
}

/** Quick mode keeps the whole command under three minutes on a 2-core machine. */
function workloadFor(quick: boolean): Workload {
  return quick
    ? { records: 50_000, latencyRate: 50_000, latencyMs: 2_000, warmupMs: 500 }
    : { records: 300_000, latencyRate: 50_000, latencyMs: 6_000, warmupMs: 1_000 };
}

/** A phase that takes longer than this is reported as failed instead of stalling the whole run. */
const PHASE_TIMEOUT_MS = 180_000;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Runs a benchmark module of this directory, or says why it can't. */
async function runOwn(name: string, file: string, fn: string, quick: boolean): Promise<OwnBench> {
  const path = join(ROOT, "bench", file);
  if (!existsSync(path)) return { name, unavailable: `bench/${file} does not exist yet` };
  try {
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const run = mod[fn];
    if (typeof run !== "function") return { name, unavailable: `bench/${file} exports no ${fn}()` };
    // Each own benchmark exports `fn(options): Promise<result>`; run.ts only passes the result on.
    const bench = run as (options: { quick: boolean }) => Promise<unknown>;
    log(`${name}: running ${fn}({ quick: ${quick} })`);
    return { name, result: await bench({ quick }) };
  } catch (err) {
    return { name, unavailable: `${fn}() failed: ${errorText(err)}` };
  }
}

async function measureLimits(dataDir: string, opts: Options): Promise<LimitsResult> {
  const tcpBytes = (opts.quick ? 256 : 1024) << 20;
  const diskBytes = (opts.quick ? 64 : 256) << 20;
  const failures: string[] = [];
  const repeat = async (what: string, once: () => Promise<number>): Promise<Summary | null> => {
    const values: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      try {
        values.push(await once());
      } catch (err) {
        failures.push(`${what}: ${errorText(err)}`);
      }
    }
    return values.length > 0 ? summarize(values) : null;
  };
  log("limits: loopback TCP");
  const tcpNode = await repeat("Node loopback TCP", async () => (await nodeLoopback(tcpBytes)).mbPerSecond);
  const iperf = await iperf3Loopback(opts.quick ? 1 : 3).catch((err) => ({ skipped: errorText(err) }));
  const tcpIperf3 = "skipped" in iperf ? iperf : summarize([iperf.mbPerSecond]);
  log("limits: sequential disk writes");
  const diskSyncAtEnd = await repeat("disk write, fsync at end", async () => (await sequentialWrite(dataDir, diskBytes, "at-end")).mbPerSecond);
  const diskSyncEveryWrite = await repeat("disk write, fsync every write", async () => (await sequentialWrite(dataDir, diskBytes, "every-write")).mbPerSecond);
  return { tcpNode, tcpIperf3, diskSyncAtEnd, diskSyncEveryWrite, failures, tcpBytes, diskBytes };
}

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${PHASE_TIMEOUT_MS / 1000} s`)), PHASE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Collected {
  system: PeerSystem;
  skipped?: string;
  failures: string[];
  phases: { produce: PhaseResult; consume: PhaseResult }[];
  latencies: LatencyResult[];
}

/**
 * Runs are interleaved across systems (run 1 of every system, then run 2, …) so a burst of load
 * from elsewhere on the machine spreads over all of them instead of hitting one.
 */
async function measurePeers(systems: PeerSystem[], w: Workload, runs: number): Promise<Collected[]> {
  const collected: Collected[] = [];
  for (const system of systems) {
    const c: Collected = { system, failures: [], phases: [], latencies: [] };
    collected.push(c);
    try {
      log(`${system.name}: connecting`);
      await withTimeout(system.probe(), "connecting");
    } catch (err) {
      c.skipped = err instanceof PeerUnavailableError ? err.message : `could not start: ${errorText(err)}`;
      log(`${system.name}: skipped — ${c.skipped}`);
    }
  }
  const live = collected.filter((c) => !c.skipped);
  // One unmeasured pass at a tenth of the size warms JIT, connections and server caches on every side.
  const warmup = { ...w, records: Math.max(1_000, Math.round(w.records / 10)) };
  for (const c of live) {
    log(`${c.system.name}: warm-up`);
    await withTimeout(c.system.produceConsume(warmup), "warm-up").catch((err) => c.failures.push(`warm-up: ${errorText(err)}`));
  }
  for (let run = 1; run <= runs; run++) {
    for (const c of live) {
      log(`${c.system.name}: produce/consume run ${run}/${runs}`);
      try {
        c.phases.push(await withTimeout(c.system.produceConsume(w), "produce/consume"));
      } catch (err) {
        c.failures.push(`produce/consume run ${run}: ${errorText(err)}`);
      }
    }
  }
  for (let run = 1; run <= runs; run++) {
    for (const c of live) {
      log(`${c.system.name}: latency run ${run}/${runs}`);
      try {
        c.latencies.push(await withTimeout(c.system.latency(w), "latency run"));
      } catch (err) {
        c.failures.push(`latency run ${run}: ${errorText(err)}`);
      }
    }
  }
  for (const c of live) {
    await c.system.close().catch((err) => c.failures.push(`close: ${errorText(err)}`));
  }
  return collected;
}

function toResult(c: Collected, w: Workload): SystemResult {
  const s = (values: number[]) => (values.length > 0 ? summarize(values) : null);
  const mb = (seconds: number) => (w.records * VALUE_BYTES) / 1e6 / seconds;
  const serverCpu = (phase: "produce" | "consume") =>
    s(c.phases.map((p) => p[phase].serverCpu).filter((v): v is number => v !== null));
  return {
    id: c.system.id,
    name: c.system.name,
    client: c.system.client,
    server: c.system.server,
    durability: c.system.durability,
    settings: c.system.settings,
    skipped: c.skipped,
    failures: c.failures,
    produceRecords: s(c.phases.map((p) => w.records / p.produce.seconds)),
    produceMB: s(c.phases.map((p) => mb(p.produce.seconds))),
    consumeRecords: s(c.phases.map((p) => w.records / p.consume.seconds)),
    consumeMB: s(c.phases.map((p) => mb(p.consume.seconds))),
    p50: s(c.latencies.map((l) => l.p50)),
    p99: s(c.latencies.map((l) => l.p99)),
    latencyAchievedRate: s(c.latencies.map((l) => l.achievedRate)),
    produceClientCpu: s(c.phases.map((p) => p.produce.clientCpu)),
    produceServerCpu: serverCpu("produce"),
    consumeClientCpu: s(c.phases.map((p) => p.consume.clientCpu)),
    consumeServerCpu: serverCpu("consume"),
  };
}

/** Replaces the peers section of docs/benchmarks.md (up to the next section marker) with `body`. */
async function writeDocsSection(body: string): Promise<void> {
  const doc = await readFile(DOCS_FILE, "utf8");
  const start = doc.indexOf(DOCS_SECTION);
  if (start < 0) throw new Error(`docs/benchmarks.md has no "${DOCS_SECTION}" marker; add it where the peers section belongs`);
  const afterMarker = start + DOCS_SECTION.length;
  const next = doc.indexOf("<!-- section:", afterMarker);
  const end = next < 0 ? doc.length : next;
  await writeFile(DOCS_FILE, `${doc.slice(0, afterMarker)}\n${body.trimEnd()}\n${next < 0 ? "" : "\n"}${doc.slice(end)}`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const w = workloadFor(opts.quick);
  const ownDir = process.env.TRIBUTARY_BENCH_DIR;
  const dataDir = ownDir ?? (await mkdtemp(join(os.tmpdir(), "tributary-bench-")));
  if (ownDir) await mkdir(ownDir, { recursive: true });
  const started = Date.now();
  try {
    const environment = await captureEnvironment(dataDir);
    const limits = await measureLimits(dataDir, opts);
    const own = [
      await runOwn("Storage engine (bench/log.ts)", "log.ts", "runLogBench", opts.quick),
      await runOwn("Broker with its own load generator (bench/broker.ts)", "broker.ts", "runBrokerBench", opts.quick),
      await runOwn("Agent runtime (bench/agent.ts)", "agent.ts", "runAgentBench", opts.quick),
    ];
    const profileDir = opts.profile ? join(RESULTS_DIR, "profiles") : undefined;
    if (profileDir) await mkdir(profileDir, { recursive: true });
    const brokerDir = join(dataDir, "tributary");
    await mkdir(brokerDir, { recursive: true });
    const systems = [
      tributaryBroker({ dataDir: brokerDir, durable: false, profileDir }),
      tributaryBroker({ dataDir: brokerDir, durable: true }),
      natsJetStream(),
      redisStreams(),
      rabbitmqStream(),
    ];
    const collected = await measurePeers(systems, w, opts.runs);
    const results = collected.map((c) => toResult(c, w));
    const command = `npm run bench${opts.quick ? " -- --quick" : ""}`;
    const report: Report = {
      mode: opts.quick ? "quick" : "full",
      command,
      environment,
      loadAverageAtEnd: os.loadavg()[0],
      durationSeconds: (Date.now() - started) / 1000,
      workload: { ...w, valueBytes: VALUE_BYTES, runs: opts.runs },
      systems: results,
      limits,
      targets: evaluateTargets(results),
      fractionsOfLimits: fractionsOfLimits(results, limits),
      own,
    };
    const base = join(RESULTS_DIR, opts.quick ? "side-by-side-quick" : "side-by-side");
    const svgName = `${opts.quick ? "side-by-side-quick" : "side-by-side"}.svg`;
    const chart = `\n![Tributary and peers](${svgName})\n`;
    const markdown = `${renderMarkdown(report)}${chart}`;
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(`${base}.md`, `# Side by side: Tributary, peers and machine limits\n\n${markdown}`);
    await writeFile(`${base}.svg`, renderSvg(report));
    if (opts.writeDocs) {
      await writeDocsSection(
        `## Side by side with peers and the machine's limits\n\nReproduce: start NATS (with JetStream), Redis and RabbitMQ on their default ports, then run \`npm run bench -- --write-docs\`; results land in bench/results/side-by-side.{md,json,svg}. A peer that isn't running is listed as skipped.\n\n${renderMarkdown(report, false)}${chart.replace(`](${svgName})`, `](../bench/results/${svgName})`)}`,
      );
    }
    process.stdout.write(markdown);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${base}.{md,json,svg}${opts.writeDocs ? " and docs/benchmarks.md" : ""}`);
  } finally {
    if (!ownDir) await rm(dataDir, { recursive: true, force: true });
  }
}

// Exit explicitly: a peer phase that timed out may still hold a socket open, and the results are
// already written.
main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
