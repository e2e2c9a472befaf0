import { formatEnvironment, type Environment } from "../lib/environment";
import { formatNumber, formatSummary, markdownTable } from "../lib/markdown";
import type { Summary } from "../lib/stats";
import { barChartSvg, type Panel } from "../lib/svg";
import { VALUE_BYTES, type PeerSystem, type Workload } from "./workload";

/** One system's figures, each a summary over the runs; null where every run of it failed. */
export interface SystemResult extends Pick<PeerSystem, "id" | "name" | "client" | "server" | "durability" | "settings"> {
  /** Set when the system could not be reached or started: the reason it was skipped. */
  skipped?: string;
  /** Messages of failed runs, so nothing is silently dropped. */
  failures: string[];
  produceRecords: Summary | null;
  produceMB: Summary | null;
  consumeRecords: Summary | null;
  consumeMB: Summary | null;
  p50: Summary | null;
  p99: Summary | null;
  latencyAchievedRate: Summary | null;
  produceClientCpu: Summary | null;
  produceServerCpu: Summary | null;
  consumeClientCpu: Summary | null;
  consumeServerCpu: Summary | null;
}

export interface LimitsResult {
  tcpNode: Summary | null;
  tcpIperf3: Summary | { skipped: string } | null;
  diskSyncAtEnd: Summary | null;
  diskSyncEveryWrite: Summary | null;
  failures: string[];
  tcpBytes: number;
  diskBytes: number;
}

export interface TargetRow {
  target: string;
  tributary: number | null;
  peer: number | null;
  ratio: number | null;
  required: string;
  verdict: "pass" | "miss" | "not measured";
}

export interface OwnBench {
  name: string;
  /** What the module returned, as-is, or why it could not run. */
  result?: unknown;
  unavailable?: string;
}

export interface Report {
  mode: "full" | "quick";
  command: string;
  environment: Environment;
  /** 1-minute load average when the run ended; with the one at start it shows how busy the machine was. */
  loadAverageAtEnd: number;
  durationSeconds: number;
  workload: Workload & { valueBytes: number; runs: number };
  systems: SystemResult[];
  limits: LimitsResult;
  targets: TargetRow[];
  fractionsOfLimits: { figure: string; value: number | null; limit: string }[];
  own: OwnBench[];
}

type Higher = "higher" | "lower";

/** Target rows: Tributary's median against each peer's median at the same durability. */
export function evaluateTargets(systems: SystemResult[]): TargetRow[] {
  const by = (id: string) => systems.find((s) => s.id === id && !s.skipped);
  const t = by("tributary");
  const rows: TargetRow[] = [];
  const add = (label: string, peerId: string, pick: (s: SystemResult) => Summary | null, factor: number, better: Higher) => {
    const p = by(peerId);
    const tv = t ? (pick(t)?.median ?? null) : null;
    const pv = p ? (pick(p)?.median ?? null) : null;
    const ratio = tv !== null && pv !== null && pv > 0 ? tv / pv : null;
    const required = better === "higher" ? `≥ ${factor}×` : `≤ ${factor}× (no worse)`;
    const verdict = ratio === null ? "not measured" : (better === "higher" ? ratio >= factor : ratio <= factor) ? "pass" : "miss";
    rows.push({ target: `${label} vs ${p?.name ?? systems.find((s) => s.id === peerId)?.name ?? peerId}`, tributary: tv, peer: pv, ratio, required, verdict });
  };
  add("produce records/s", "nats", (s) => s.produceRecords, 3, "higher");
  add("produce records/s", "redis", (s) => s.produceRecords, 1.5, "higher");
  add("consume records/s", "nats", (s) => s.consumeRecords, 3, "higher");
  add("consume records/s", "redis", (s) => s.consumeRecords, 3, "higher");
  add("p99 latency at the paced rate", "nats", (s) => s.p99, 1, "lower");
  add("p99 latency at the paced rate", "redis", (s) => s.p99, 1, "lower");
  return rows;
}

export function fractionsOfLimits(systems: SystemResult[], limits: LimitsResult): Report["fractionsOfLimits"] {
  const t = systems.find((s) => s.id === "tributary" && !s.skipped);
  const frac = (a: Summary | null | undefined, b: Summary | null) => (a && b && b.median > 0 ? a.median / b.median : null);
  return [
    { figure: "produce MB/s", value: frac(t?.produceMB, limits.tcpNode), limit: "Node loopback TCP" },
    { figure: "produce MB/s", value: frac(t?.produceMB, limits.diskSyncAtEnd), limit: "sequential disk write, fsync at end" },
    { figure: "produce MB/s", value: frac(t?.produceMB, limits.diskSyncEveryWrite), limit: "sequential disk write, fsync every 1 MiB" },
    { figure: "consume MB/s", value: frac(t?.consumeMB, limits.tcpNode), limit: "Node loopback TCP" },
  ];
}

/** Which side ran out of CPU first, from the produce phase's CPU use (1.0 = one full core). */
export function boundBy(s: SystemResult, cores: number): string {
  const c = s.produceClientCpu?.median;
  const v = s.produceServerCpu?.median;
  if (c === undefined) return "–";
  const fmt = (n: number | undefined) => (n === undefined ? "?" : n.toFixed(2));
  const saturated = 0.85;
  const verdict =
    v !== undefined && c + v >= saturated * cores
      ? "machine (client + server use every core)"
      : c >= saturated && (v === undefined || c >= v)
        ? "client"
        : v !== undefined && v >= saturated
          ? "server"
          : "neither saturated a core (waits, I/O or other load)";
  return `${verdict}; client ${fmt(c)}, server ${fmt(v)} cores`;
}

const cell = (s: Summary | null, unit = "") => (s ? formatSummary(s, unit) : "–");
const pct = (n: number | null) => (n === null ? "–" : `${(n * 100).toFixed(1)} %`);

/**
 * The results as markdown. `withOwn` adds the storage, broker and agent benchmark sections; the
 * docs leave them out because each has its own section there.
 */
export function renderMarkdown(r: Report, withOwn = true): string {
  const w = r.workload;
  const out: string[] = [];
  out.push(`Command: \`${r.command}\` (${r.mode} mode). Each figure: median of ${w.runs} runs (min–max).`);
  out.push("");
  out.push("### Environment");
  out.push("");
  out.push(formatEnvironment(r.environment));
  out.push(`- Load average at end: ${r.loadAverageAtEnd.toFixed(2)}; whole run took ${Math.round(r.durationSeconds)} s`);
  out.push("");
  out.push("### Workload");
  out.push("");
  out.push(
    [
      `- ${formatNumber(w.records)} records of ${w.valueBytes}-byte values per run, one stream/topic/queue with one partition, produced as fast as the client allows, then read back from the start.`,
      `- MB/s counts value bytes only (records × ${w.valueBytes} B); framing and per-record overhead differ between protocols.`,
      `- Consume time starts when the consumer is requested; for the Kafka consumer it starts at the group join, a protocol step the others do not have.`,
      `- Latency: a paced producer sends ${formatNumber(w.latencyRate)} records/s for ${w.latencyMs / 1000} s while a consumer in the same process reads; latency is receive time minus the record's *scheduled* send time, so a system that falls behind is charged for it. The first ${w.warmupMs / 1000} s are not measured. "Delivered/s" below that rate means the system could not keep up and its latency includes the backlog.`,
      `- Load generator and every server share this machine's ${r.environment.cores} cores; client and server CPU (cores used during produce) show which side ran out first.`,
    ].join("\n"),
  );
  out.push("");
  out.push("### Systems and settings");
  out.push("");
  out.push(markdownTable(["System", "Server", "Client", "Durability", "Batching / pipelining"], r.systems.map((s) => [s.name, s.server, s.client, s.durability, s.settings])));
  out.push("");
  out.push("### Results");
  out.push("");
  const measured = r.systems.filter((s) => !s.skipped);
  out.push(
    markdownTable(
      ["System", "Produce records/s", "Produce MB/s", "Consume records/s", "Consume MB/s", "p50 ms", "p99 ms", "Delivered/s in latency run", "Produce bound by"],
      measured.map((s) => [
        s.name,
        cell(s.produceRecords),
        cell(s.produceMB),
        cell(s.consumeRecords),
        cell(s.consumeMB),
        cell(s.p50),
        cell(s.p99),
        cell(s.latencyAchievedRate),
        boundBy(s, r.environment.cores),
      ]),
      ["left", "right", "right", "right", "right", "right", "right", "right", "left"],
    ),
  );
  const skipped = r.systems.filter((s) => s.skipped);
  if (skipped.length > 0) {
    out.push("");
    out.push("Skipped:");
    for (const s of skipped) out.push(`- ${s.name}: ${s.skipped}`);
  }
  const failures = r.systems.flatMap((s) => s.failures.map((f) => `${s.name}: ${f}`)).concat(r.limits.failures);
  if (failures.length > 0) {
    out.push("");
    out.push("Failed runs (not included in the medians):");
    for (const f of failures) out.push(`- ${f}`);
  }
  out.push("");
  out.push("### Targets (Tributary ÷ peer, same durability)");
  out.push("");
  out.push(
    markdownTable(
      ["Target", "Tributary", "Peer", "Ratio", "Required", "Result"],
      r.targets.map((t) => [
        t.target,
        t.tributary === null ? "–" : formatNumber(t.tributary),
        t.peer === null ? "–" : formatNumber(t.peer),
        t.ratio === null ? "–" : `${t.ratio.toFixed(2)}×`,
        t.required,
        t.verdict,
      ]),
    ),
  );
  out.push("");
  out.push(
    "Durability differs where a peer has less of it: Redis here keeps its stream in memory only, so the Redis rows compare Tributary's on-disk log with an in-memory structure; JetStream and RabbitMQ, like the \"Tributary\" row, acknowledge after the write reaches the file system without a per-write fsync. The \"Tributary (fsync before ack)\" row is stricter than every peer here: it is what new topics get by default.",
  );
  const rabbit = measured.find((s) => s.id === "rabbitmq");
  const trib = measured.find((s) => s.id === "tributary");
  if (rabbit && trib) {
    const ratio = (a: Summary | null, b: Summary | null) => (a && b && b.median > 0 ? `${(a.median / b.median).toFixed(2)}×` : "–");
    out.push("");
    out.push(
      `Against ${rabbit.name} (no target set): produce ${ratio(trib.produceRecords, rabbit.produceRecords)}, consume ${ratio(trib.consumeRecords, rabbit.consumeRecords)}, p99 ${ratio(trib.p99, rabbit.p99)}.`,
    );
  }
  if (r.targets.some((t) => t.verdict === "miss")) {
    out.push("");
    out.push(
      "Missed targets: the \"Produce bound by\" column says whether the client or the broker ran out of CPU; the broker's own load generator (its section) measures the broker without a client library in the way. Rerun with `--profile` to write the broker's CPU profile (node --cpu-prof) to bench/results/profiles/ and open it in Chrome DevTools.",
    );
  }
  out.push("");
  out.push("### Machine limits");
  out.push("");
  const l = r.limits;
  const iperf = l.tcpIperf3 === null ? "–" : "skipped" in l.tcpIperf3 ? `skipped: ${l.tcpIperf3.skipped}` : formatSummary(l.tcpIperf3, "MB/s");
  out.push(
    markdownTable(
      ["Limit", "Throughput"],
      [
        [`Loopback TCP, Node sender → Node receiver (worker thread), 1 MiB writes, ${l.tcpBytes >> 20} MiB`, cell(l.tcpNode, "MB/s")],
        ["Loopback TCP, iperf3", iperf],
        [`Sequential write, 1 MiB writes, fsync at the end, ${l.diskBytes >> 20} MiB`, cell(l.diskSyncAtEnd, "MB/s")],
        [`Sequential write, 1 MiB writes, fsync after every write, ${l.diskBytes >> 20} MiB`, cell(l.diskSyncEveryWrite, "MB/s")],
      ],
    ),
  );
  out.push("");
  out.push("Tributary as a fraction of the machine's limits (value bytes only):");
  out.push("");
  out.push(markdownTable(["Tributary figure", "Limit", "Fraction"], r.fractionsOfLimits.map((f) => [f.figure, f.limit, pct(f.value)])));
  for (const own of withOwn ? r.own : []) {
    out.push("");
    out.push(`### ${own.name}`);
    out.push("");
    if (own.unavailable) out.push(`not available: ${own.unavailable}`);
    else if (isRecord(own.result) && typeof own.result.markdown === "string") out.push(own.result.markdown);
    else out.push("```json\n" + JSON.stringify(own.result, null, 2) + "\n```");
  }
  out.push("");
  return out.join("\n");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

export function renderSvg(r: Report): string {
  const measured = r.systems.filter((s) => !s.skipped);
  const order = r.systems.map((s) => s.name);
  const panel = (title: string, unit: string, pick: (s: SystemResult) => Summary | null): Panel => ({
    title,
    unit,
    bars: r.systems.map((s) => {
      const v = s.skipped ? null : pick(s);
      return v
        ? { label: s.name, value: v.median, min: v.min, max: v.max }
        : { label: s.name, value: null, note: s.skipped ? "skipped" : "not measured" };
    }),
  });
  const rate = formatNumber(r.workload.latencyRate);
  return barChartSvg(
    {
      title: measured.length === 0 ? "Tributary and peers — nothing measured" : "Tributary and peers",
      subtitle: `${formatNumber(r.workload.records)} records × ${VALUE_BYTES} B, median of ${r.workload.runs} runs, whiskers min–max; ${r.environment.cores} cores, ${r.environment.capturedAt.slice(0, 10)}`,
    },
    [
      panel("Produce", "records/s", (s) => s.produceRecords),
      panel("Consume", "records/s", (s) => s.consumeRecords),
      panel(`p99 end-to-end latency at ${rate} records/s, lower is better`, "ms", (s) => s.p99),
    ],
    (label) => Math.max(0, order.indexOf(label)),
  );
}
