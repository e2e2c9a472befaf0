import { z } from "zod";
import { SLOT_LAG_METRIC } from "../../agents/sources/postgres-cdc/logical";
import { EMBEDDED_CLUSTER } from "../../admin/clusters";
import { listGroups } from "../../admin/groups";
import { diskPerTopic } from "../../admin/topics";
import { CONSOLE_READS } from "../../metrics/console-reads";
import { SAMPLED } from "../../metrics/cluster-rates";
import { LAG_HISTORY_MS, TOTAL } from "../../metrics/lag";
import { historyByLabels, RANGES, readHistory, type HistoryRange } from "../../metrics/rollups";
import type { SeriesSampler } from "../../metrics/series";
import { router, viewerProcedure, type Services } from "../trpc";

const cluster = z.string().min(1).max(100).default(EMBEDDED_CLUSTER);

const FLOWS = {
  recordsIn: "tributary_broker_records_in_total",
  recordsOut: "tributary_broker_records_out_total",
  bytesIn: "tributary_broker_bytes_in_total",
  bytesOut: "tributary_broker_bytes_out_total",
  consoleRecords: CONSOLE_READS.records,
  consoleBytes: CONSOLE_READS.bytes,
} as const;
type Flow = keyof typeof FLOWS;
const FLOW_KEYS = Object.keys(FLOWS) as Flow[];

export type ThroughputPoint = { t: number } & Record<Flow, number>;
export type TopicThroughput = { topic: string } & Record<Flow, number>;

/** The embedded broker's own facts (connections, and rates when it is the whole cluster). */
function brokerFacts(services: Services, id: string) {
  if (id !== EMBEDDED_CLUSTER || !services.broker?.instance || !services.sampler) return null;
  return { broker: services.broker.instance, sampler: services.sampler };
}

/**
 * Where a cluster's rates come from: the embedded broker's per-second counters when it is the whole
 * cluster, else the console's samples over the protocol. A node of a Tributary cluster counts only
 * the partitions it leads, so once the samples show more than one broker, the cluster's rates are
 * those samples.
 */
function ratesSource(services: Services, cluster: string) {
  const facts = brokerFacts(services, cluster);
  const lag = services.lag;
  const brokers = lag?.rates.brokers(cluster) ?? null;
  if (facts && (!facts.broker.cluster || !lag || brokers === null || brokers <= 1)) return { kind: "metrics" as const, ...facts };
  return lag ? { kind: "sampled" as const, lag } : null;
}

/** A node of a Tributary cluster before the console has sampled the whole cluster: its own counters, which are its share. */
function shareNote(nodeId: number): string {
  return `Broker ${nodeId}'s share of the cluster: records and bytes of the partitions it leads, and what its clients read from it. The whole cluster's rates follow once the console has sampled it.`;
}

function sampledNote(intervalMs: number): string {
  return `Sampled by the console every ${intervalMs / 1000} s over the Kafka protocol: in is the growth of every partition's log end, out the growth of the consumer groups' committed offsets. Records only: bytes per second need the brokers' own metrics (JMX, Prometheus).`;
}

const NOT_EMBEDDED = "Connections come from the embedded broker's own metrics; for this cluster, use its monitoring (JMX, Prometheus).";
const NOT_SAMPLED = "This console does not sample other clusters; use the cluster's monitoring (JMX, Prometheus).";
const NO_SIZES = "This cluster does not tell the console its disk use (DescribeLogDirs needs Describe on the cluster for the console's user).";

/** Sums the members of a family (or takes one topic's series) per sample time. */
function liveSeries(sampler: SeriesSampler, metric: string, topic: string | undefined, since: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of sampler.family(metric, since)) {
    if (topic !== undefined && s.labels.topic !== topic) continue;
    for (const p of s.points) out.set(p.t, (out.get(p.t) ?? 0) + p.v);
  }
  return out;
}

function mergeFlows(series: Record<Flow, Map<number, number> | { t: number; v: number }[]>): ThroughputPoint[] {
  const byT = new Map<number, ThroughputPoint>();
  for (const k of FLOW_KEYS) {
    const s = series[k];
    const entries: [number, number][] = s instanceof Map ? [...s] : s.map((p) => [p.t, p.v]);
    for (const [t, v] of entries) {
      let row = byT.get(t);
      if (!row) byT.set(t, (row = { t, ...NO_FLOW }));
      row[k] = v;
    }
  }
  return [...byT.values()].map(consumersOnly).sort((a, b) => a.t - b.t);
}

const NO_FLOW: Record<Flow, number> = { recordsIn: 0, recordsOut: 0, bytesIn: 0, bytesOut: 0, consoleRecords: 0, consoleBytes: 0 };
const NO_HISTORY: Record<Flow, { t: number; v: number }[]> = { recordsIn: [], recordsOut: [], bytesIn: [], bytesOut: [], consoleRecords: [], consoleBytes: [] };

/**
 * The broker counts the console's own scans in "out"; taken off here so "out" is what consumers
 * read. The two are sampled in the same pass, but a fetch can land either side of a sample, so a
 * second may read a little under zero: shown as 0.
 */
function consumersOnly<T extends Record<Flow, number>>(row: T): T {
  row.recordsOut = Math.max(0, row.recordsOut - row.consoleRecords);
  row.bytesOut = Math.max(0, row.bytesOut - row.consoleBytes);
  return row;
}

/** Per-topic average rates over the last `windowMs` of the live rings. */
function liveTopics(sampler: SeriesSampler, since: number): TopicThroughput[] {
  const topics = new Map<string, TopicThroughput>();
  for (const k of FLOW_KEYS) {
    for (const s of sampler.family(FLOWS[k], since)) {
      const topic = s.labels.topic;
      if (!topic || s.points.length === 0) continue;
      let row = topics.get(topic);
      if (!row) topics.set(topic, (row = { topic, ...NO_FLOW }));
      // A topic is the sum of its partitions.
      row[k] += s.points.reduce((n, p) => n + p.v, 0) / s.points.length;
    }
  }
  return [...topics.values()].map(consumersOnly);
}

const byThroughput = (a: TopicThroughput, b: TopicThroughput) => b.bytesIn + b.bytesOut - (a.bytesIn + a.bytesOut) || b.recordsIn - a.recordsIn;

/** Disk use per topic over the protocol, or a note saying why the card is empty. */
async function diskOf(services: Services, cluster: string): Promise<{ disk: Awaited<ReturnType<typeof diskPerTopic>>; diskNote: string | null }> {
  if (!services.clusters) return { disk: null, diskNote: NO_SIZES };
  try {
    const disk = await diskPerTopic(await services.clusters.client(cluster));
    return { disk, diskNote: disk ? null : NO_SIZES };
  } catch (err) {
    return { disk: null, diskNote: `Cannot read disk use: ${(err as Error).message}. Check the cluster on the Clusters page.` };
  }
}

/** A per-second gauge of cumulative counts (the agents' Flume counters) turned into a rate. */
function rateOf(points: { t: number; v: number }[]): number {
  if (points.length < 2) return 0;
  const a = points[0];
  const b = points[points.length - 1];
  return b.t > a.t ? Math.max(0, ((b.v - a.v) * 1000) / (b.t - a.t)) : 0;
}

/** Slot lag past which the dashboard warns: the database keeps this much WAL for a CDC source that is behind or gone. */
const STALE_SLOT_BYTES = 1 << 30;

export const dashboardRouter = router({
  /** Records/s and bytes/s in and out, overall or for one topic, live (15 min at 1 s) or from rollups. */
  throughput: viewerProcedure
    .input(z.object({ cluster, range: z.enum(["15m", "1h", "24h", "7d"]).default("15m"), topic: z.string().min(1).max(249).optional() }))
    .query(async ({ ctx, input }) => {
      ctx.services.lag?.watch(input.cluster);
      const source = ratesSource(ctx.services, input.cluster);
      if (!source) return { available: false as const, reason: NOT_SAMPLED, stepMs: 0, from: 0, to: 0, points: [], topics: [] };
      const now = Date.now();
      const sampledEveryMs = source.kind === "sampled" ? source.lag.intervalMs : null;
      const nodeId = source.kind === "metrics" ? source.broker.cluster?.nodeId : undefined;
      const note = sampledEveryMs !== null ? sampledNote(sampledEveryMs) : nodeId !== undefined ? shareNote(nodeId) : null;
      if (input.range === "15m") {
        const since = now - 15 * 60_000;
        if (source.kind === "sampled") {
          const rates = source.lag.rates;
          const points = rates.live(input.cluster, input.topic, since).map((p): ThroughputPoint => ({ ...NO_FLOW, ...p }));
          const topics = rates.topics(input.cluster, now - 60_000).map((x): TopicThroughput => ({ ...NO_FLOW, ...x }));
          return { available: true as const, scope: note, sampledEveryMs, stepMs: source.lag.intervalMs, from: since, to: now, points, topics: topics.sort(byThroughput) };
        }
        const series = Object.fromEntries(FLOW_KEYS.map((k) => [k, liveSeries(source.sampler, FLOWS[k], input.topic, since)])) as Record<Flow, Map<number, number>>;
        return { available: true as const, scope: note, sampledEveryMs, stepMs: 1000, from: since, to: now, points: mergeFlows(series), topics: liveTopics(source.sampler, now - 60_000).sort(byThroughput) };
      }
      const range: HistoryRange = input.range;
      const labels = input.topic ? `topic=${input.topic}` : "";
      const db = ctx.db;
      // Sampled clusters keep records only, under their own names; the rest of their flows stay empty.
      const metricOf = (k: Flow) => (source.kind === "metrics" ? FLOWS[k] : k === "recordsIn" || k === "recordsOut" ? SAMPLED[k] : null);
      const historyOf = async (k: Flow) => {
        const metric = metricOf(k);
        return metric ? readHistory(db, input.cluster, metric, labels, range, now) : [];
      };
      const perTopicOf = async (k: Flow) => {
        const metric = metricOf(k);
        return metric ? historyByLabels(db, input.cluster, metric, range, now) : new Map<string, number>();
      };
      const [history, perTopic] = await Promise.all([Promise.all(FLOW_KEYS.map(historyOf)), Promise.all(FLOW_KEYS.map(perTopicOf))]);
      const topics = new Map<string, TopicThroughput>();
      FLOW_KEYS.forEach((k, i) => {
        for (const [key, v] of perTopic[i]) {
          const topic = key.replace(/^topic=/, "");
          let row = topics.get(topic);
          if (!row) topics.set(topic, (row = { topic, ...NO_FLOW }));
          row[k] = v;
        }
      });
      const series = { ...NO_HISTORY };
      FLOW_KEYS.forEach((k, i) => (series[k] = history[i]));
      const from = now - RANGES[range].ms;
      return { available: true as const, scope: note, sampledEveryMs, stepMs: RANGES[range].stepS * 1000, from, to: now, points: mergeFlows(series), topics: [...topics.values()].map(consumersOnly).sort(byThroughput) };
    }),

  /** Lag, disk, connections and agents at a glance. */
  overview: viewerProcedure.input(z.object({ cluster })).query(async ({ ctx, input }) => {
    const s = ctx.services;
    const since = Date.now() - 15 * 60_000;

    s.lag?.watch(input.cluster);
    let latest = s.lag?.latest(input.cluster) ?? null;
    let lagError = s.lag?.lastError(input.cluster) ?? null;
    if (!latest && s.clusters) {
      // Not sampled yet (a cluster just opened): ask the cluster now.
      try {
        latest = { at: Date.now(), groups: await listGroups(await s.clusters.client(input.cluster)) };
      } catch (err) {
        lagError = `Cannot read consumer groups: ${(err as Error).message}. Check the cluster on the Clusters page.`;
      }
    }
    const groups = latest?.groups ?? [];
    const lag = {
      at: latest?.at ?? null,
      error: lagError,
      total: groups.reduce((n, g) => n + g.lag, 0),
      groups: groups.length,
      top: [...groups].sort((a, b) => b.lag - a.lag).slice(0, 5).map((g) => ({ groupId: g.groupId, lag: g.lag, state: g.state, members: g.members })),
      series: (await s.lag?.history(input.cluster, TOTAL, Date.now() - LAG_HISTORY_MS)) ?? [],
    };

    const facts = brokerFacts(s, input.cluster);
    const { disk, diskNote } = await diskOf(s, input.cluster);
    const connections = facts ? { current: facts.broker.connectionCount, series: facts.sampler.points("tributary_broker_connections", {}, since) } : null;

    const agents: { flow: string; component: string; kind: string; agent: string; rate: number }[] = [];
    if (s.sampler) {
      const recent = Date.now() - 10_000;
      for (const [metric, kind] of [
        ["agent_EventAcceptedCount", "source"],
        ["agent_EventDrainSuccessCount", "sink"],
      ] as const) {
        for (const f of s.sampler.family(metric, recent)) {
          if (f.labels.kind !== kind || f.points.length === 0) continue;
          agents.push({ agent: f.labels.agent ?? "", flow: f.labels.flow ?? "", component: f.labels.component ?? "", kind, rate: rateOf(f.points) });
        }
      }
    }
    // A replication slot holds WAL on the source database until its CDC source acknowledges it.
    const cdcSlots: { source: string; slot: string; lagBytes: number; stale: boolean }[] = [];
    for (const f of s.sampler?.family(SLOT_LAG_METRIC, since) ?? []) {
      const last = f.points.at(-1);
      if (last) cdcSlots.push({ source: f.labels.source ?? "", slot: f.labels.slot ?? "", lagBytes: last.v, stale: last.v >= STALE_SLOT_BYTES });
    }
    return { lag, disk, diskNote, connections, agents, cdcSlots, staleSlotBytes: STALE_SLOT_BYTES, brokerNote: facts ? null : NOT_EMBEDDED };
  }),
});
