import type { HistoryEntry } from "./error-history";
import type { GraphNode, NodeKind } from "./graph";

/** One agent's report about a flow, as the flows.live query returns it. */
export interface AgentLive {
  agent: string;
  state: string;
  counters: Record<string, Record<string, number | string>>;
  /** `errors` is absent from agents older than the error history. */
  components: Record<string, { kind: string; state: string; lastError: string | null; errors?: { message: string; firstAt: number; lastAt: number; count: number }[] }>;
  at: number;
}

export interface NodeLive {
  /** Events per second into and out of the component, summed over agents. */
  inRate: number;
  outRate: number;
  /** Events through the component since the flow started (out side), summed over agents. */
  total: number;
  /** Channels only: the fullest agent's fill percentage. */
  fill: number | null;
  /** Sources only: puts the channel refused since the last sample (back-pressure). */
  refused: number;
  /** Sinks only: events set aside as too large for their topic since the flow started, summed over agents. */
  deadLetters: number;
  state: string | null;
  /** Errors the component has now (cleared when it is healthy again). */
  errors: { agent: string; message: string }[];
  /** Every error it had since the flow started, per agent. */
  history: HistoryEntry[];
}

/** Kept per node for its chart: the last few minutes of rates. */
export const HISTORY_POINTS = 120;

export interface RatePoint {
  t: number;
  in: number;
  out: number;
}

/** What the canvas shows of a running flow: each node's numbers from the last sample, and a chart per component. */
export interface LiveView {
  /** The flows.live answer these numbers come from; a new one advances the view. */
  sample: { at: number; agents: AgentLive[] } | null;
  byNode: Record<string, NodeLive>;
  /** Rate history by "kind:name", so a chart survives its node being re-created by undo or a reload. */
  charts: Record<string, RatePoint[]>;
}

export const NO_LIVE: LiveView = { sample: null, byNode: {}, charts: {} };

export const chartKey = (n: GraphNode) => `${n.data.kind}:${n.data.name}`;

/**
 * The view after a new sample: rates against the previous sample for the nodes drawn now, and one
 * more point on each of their charts. Node edits between samples keep the last numbers.
 */
export function advanceLive(view: LiveView, sample: { at: number; agents: AgentLive[] }, nodes: GraphNode[]): LiveView {
  const byNode: Record<string, NodeLive> = {};
  const charts = { ...view.charts };
  for (const n of nodes) {
    const s = liveStats(n.data.kind, n.data.name, sample.agents, view.sample?.agents);
    if (!s) continue;
    byNode[n.id] = s;
    const key = chartKey(n);
    charts[key] = [...(charts[key] ?? []), { t: sample.at, in: s.inRate, out: s.outRate }].slice(-HISTORY_POINTS);
  }
  return { sample, byNode, charts };
}

const PREFIX: Record<"source" | "channel" | "sink", string> = { source: "SOURCE", channel: "CHANNEL", sink: "SINK" };
/** Flume's counter names for "in" and "out" of each kind. */
const COUNTERS: Record<"source" | "channel" | "sink", [string, string]> = {
  source: ["EventReceivedCount", "EventAcceptedCount"],
  channel: ["EventPutSuccessCount", "EventTakeSuccessCount"],
  sink: ["EventDrainAttemptCount", "EventDrainSuccessCount"],
};

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * Turns two successive samples into per-component rates. Counters restart at zero when a flow is
 * redeployed; a counter that went down counts from zero rather than as a negative rate.
 */
export function liveStats(kind: NodeKind, name: string, now: AgentLive[], before: AgentLive[] | undefined): NodeLive | null {
  if (kind !== "source" && kind !== "channel" && kind !== "sink") return null;
  const key = `${PREFIX[kind]}.${name}`;
  const [inName, outName] = COUNTERS[kind];
  let inRate = 0;
  let outRate = 0;
  let total = 0;
  let fill: number | null = null;
  let refused = 0;
  let deadLetters = 0;
  let state: string | null = null;
  const errors: NodeLive["errors"] = [];
  const history: HistoryEntry[] = [];
  for (const a of now) {
    const c = a.counters[key];
    const comp = a.components[name];
    if (comp) {
      state = state === "failed" ? state : comp.state;
      if (comp.lastError) errors.push({ agent: a.agent, message: comp.lastError });
      for (const e of comp.errors ?? []) history.push({ where: a.agent, ...e });
    }
    if (!c) continue;
    total += num(c[outName]);
    if (kind === "sink") deadLetters += num(c.EventDeadLetterCount);
    if (kind === "channel") fill = Math.max(fill ?? 0, num(c.ChannelFillPercentage));
    const prev = before?.find((b) => b.agent === a.agent);
    const p = prev?.counters[key];
    const dt = prev ? (a.at - prev.at) / 1000 : 0;
    if (!p || dt <= 0) continue;
    const delta = (k: string) => {
      const d = num(c[k]) - num(p[k]);
      return d >= 0 ? d : num(c[k]);
    };
    inRate += delta(inName) / dt;
    outRate += delta(outName) / dt;
    if (kind === "source") refused += delta("ChannelWriteFail");
  }
  return { inRate, outRate, total, fill, refused, deadLetters, state, errors, history };
}

/** NiFi's colouring of a queue: green while there is room, yellow from 60 %, red from 85 %. */
export function fillLevel(fill: number): "ok" | "warn" | "full" {
  return fill >= 85 ? "full" : fill >= 60 ? "warn" : "ok";
}
