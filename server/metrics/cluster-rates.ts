import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { metricRollups } from "@/db/schema";
import type { GroupDetail, Watermarks } from "../admin/groups";
import { partitionKey } from "../kafka/partition-key";
import { logger } from "../log";
import { turnMinute } from "./rollups";
import { RingSeries } from "./series";

const log = logger("metrics.cluster-rates");

/**
 * The rolled-up names of sampled rates, apart from the embedded broker's own counters: on a node
 * of a Tributary cluster both are kept, the node's share and the whole cluster's rates.
 */
export const SAMPLED = {
  recordsIn: "tributary_sampled_records_in",
  recordsOut: "tributary_sampled_records_out",
} as const;
export type SampledFlow = keyof typeof SAMPLED;

/**
 * Topics with a rate history per cluster. Any client can create topics; past this, further ones
 * count in the cluster's total only.
 */
export const MAX_TOPIC_SERIES = 1000;

export interface SampledPoint {
  t: number;
  recordsIn: number;
  recordsOut: number;
}

interface Rings {
  recordsIn: RingSeries;
  recordsOut: RingSeries;
}

/** The minute being sampled: per rolled-up series (metric and labels), the sum, count and peak of its samples. */
interface MinuteRates {
  at: number;
  series: Map<string, { metric: string; labels: string; sum: number; count: number; max: number }>;
}

interface Sampled {
  at: number;
  brokers: number;
  /** Log end per partition at the last sample. */
  ends: Map<string, number>;
  /** Committed offset (or log start, without one) per group and partition at the last sample. */
  committed: Map<string, number>;
  total: Rings;
  topics: Map<string, Rings>;
  capped: boolean;
  minute: MinuteRates | null;
}

/** Growth of each value since `before`, per topic; a value that went down (a topic made again, a reset group) grew by nothing. */
function growth(now: Map<string, number>, before: Map<string, number>, topicOf: (key: string) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, v] of now) {
    const b = before.get(key);
    if (b === undefined || v <= b) continue;
    const topic = topicOf(key);
    out.set(topic, (out.get(topic) ?? 0) + v - b);
  }
  return out;
}

/**
 * Records/s in and out of a whole cluster, measured by the console over the Kafka protocol, for
 * clusters whose brokers' own counters it cannot read (any cluster added on the Clusters page, and
 * the cluster of a Tributary node, whose counters are its share only). In: growth of every
 * partition's log end. Out: growth of the consumer groups' committed offsets, which is what
 * consumers read and acknowledged (the console's own scans commit nothing). Records only: bytes
 * would need the brokers' metrics. Fed by the lag sampler's pass, which reads both anyway.
 */
export class ClusterRates {
  private readonly clusters = new Map<string, Sampled>();
  private db: Db | undefined;

  constructor(
    private readonly capacity: number,
    private readonly maxTopicSeries = MAX_TOPIC_SERIES,
  ) {}

  /** Keeps each finished minute in the metric rollups, so the 1 h, 24 h and 7 d ranges have these clusters too. */
  persistTo(db: Db): void {
    this.db = db;
  }

  /**
   * One sample of a cluster: every partition's log end (`marks`, internal topics left out by the
   * caller) and the groups' committed offsets. Rates are the growth since the previous sample; a
   * cluster's first sample only sets the base.
   */
  async observe(cluster: string, at: number, brokers: number, marks: Watermarks, groups: GroupDetail[]): Promise<void> {
    const ends = new Map<string, number>();
    const topicOfKey = new Map<string, string>();
    for (const [topic, partitions] of marks) {
      for (const [p, w] of partitions) {
        const key = partitionKey(topic, p);
        ends.set(key, w.high);
        topicOfKey.set(key, topic);
      }
    }
    const committed = new Map<string, number>();
    const topicOfCommit = new Map<string, string>();
    for (const g of groups) {
      for (const o of g.offsets) {
        const key = `${g.groupId}\u0000${partitionKey(o.topic, o.partition)}`;
        // As for lag, a partition the group has not committed on stands at its log start.
        committed.set(key, o.committed ?? o.logStart);
        topicOfCommit.set(key, o.topic);
      }
    }
    const before = this.clusters.get(cluster);
    const c: Sampled = before ?? { at, brokers, ends, committed, total: this.rings(), topics: new Map(), capped: false, minute: null };
    if (!before) {
      this.clusters.set(cluster, c);
      return;
    }
    if (at <= before.at) return;
    const seconds = (at - before.at) / 1000;
    const grewIn = growth(ends, before.ends, (k) => topicOfKey.get(k)!);
    const grewOut = growth(committed, before.committed, (k) => topicOfCommit.get(k)!);
    Object.assign(c, { at, brokers, ends, committed });

    const present = new Set([...marks.keys(), ...topicOfCommit.values()]);
    for (const topic of c.topics.keys()) if (!present.has(topic)) c.topics.delete(topic);
    const rows: [string, SampledPoint][] = [];
    let totalIn = 0;
    let totalOut = 0;
    for (const topic of present) {
      const point = { t: at, recordsIn: (grewIn.get(topic) ?? 0) / seconds, recordsOut: (grewOut.get(topic) ?? 0) / seconds };
      totalIn += point.recordsIn;
      totalOut += point.recordsOut;
      let r = c.topics.get(topic);
      if (!r && c.topics.size >= this.maxTopicSeries) {
        if (!c.capped) log.warn({ cluster, topics: present.size, limit: this.maxTopicSeries }, "more topics than rate histories kept; the rest count in the cluster's total only");
        c.capped = true;
        continue;
      }
      if (!r) c.topics.set(topic, (r = this.rings()));
      r.recordsIn.push(at, point.recordsIn);
      r.recordsOut.push(at, point.recordsOut);
      rows.push([`topic=${topic}`, point]);
    }
    c.total.recordsIn.push(at, totalIn);
    c.total.recordsOut.push(at, totalOut);
    rows.push(["", { t: at, recordsIn: totalIn, recordsOut: totalOut }]);
    await this.rollUp(cluster, c, at, rows);
  }

  private rings(): Rings {
    return { recordsIn: new RingSeries(this.capacity), recordsOut: new RingSeries(this.capacity) };
  }

  /** Adds a sample to its minute; the first sample of a new minute writes the one before. */
  private async rollUp(cluster: string, c: Sampled, now: number, rows: [string, SampledPoint][]): Promise<void> {
    if (!this.db) return;
    const at = await turnMinute(c, now, (done) => this.write(cluster, done));
    const m: MinuteRates = (c.minute ??= { at, series: new Map() });
    for (const [labels, point] of rows) {
      for (const flow of ["recordsIn", "recordsOut"] as const) {
        const id = `${flow}|${labels}`;
        const v = point[flow];
        const s = m.series.get(id);
        if (s) {
          s.sum += v;
          s.count++;
          s.max = Math.max(s.max, v);
        } else m.series.set(id, { metric: SAMPLED[flow], labels, sum: v, count: 1, max: v });
      }
    }
  }

  private async write(cluster: string, m: MinuteRates): Promise<void> {
    // An idle topic's minute is not stored, as for the embedded broker's rollups; readers count it as 0.
    const rows = [...m.series.values()].filter((s) => s.labels === "" || s.max > 0).map((s) => ({ cluster, metric: s.metric, labels: s.labels, minute: new Date(m.at), avg: s.sum / s.count, max: s.max }));
    try {
      await this.db!.insert(metricRollups)
        .values(rows)
        .onConflictDoUpdate({ target: [metricRollups.cluster, metricRollups.metric, metricRollups.labels, metricRollups.minute], set: { avg: sql`excluded.avg`, max: sql`excluded.max` } });
    } catch (err) {
      // The live ring still has the minute; only its history is missing.
      log.error({ err, cluster }, "writing sampled rates failed");
    }
  }

  /** A cluster's rates (or one topic's) since `since`, oldest first. */
  live(cluster: string, topic: string | undefined, since: number): SampledPoint[] {
    const c = this.clusters.get(cluster);
    const r = c && (topic === undefined ? c.total : c.topics.get(topic));
    if (!r) return [];
    const outs = r.recordsOut.points(since);
    // Both rings are pushed together, so their points line up.
    return r.recordsIn.points(since).map((p, i) => ({ t: p.t, recordsIn: p.v, recordsOut: outs[i]?.v ?? 0 }));
  }

  /** Every topic's average rates since `since`. */
  topics(cluster: string, since: number): ({ topic: string } & Omit<SampledPoint, "t">)[] {
    const out: ({ topic: string } & Omit<SampledPoint, "t">)[] = [];
    for (const [topic, r] of this.clusters.get(cluster)?.topics ?? []) {
      const ins = r.recordsIn.points(since);
      if (ins.length === 0) continue;
      const outs = r.recordsOut.points(since);
      const avg = (pts: { v: number }[]) => pts.reduce((n, p) => n + p.v, 0) / Math.max(1, pts.length);
      out.push({ topic, recordsIn: avg(ins), recordsOut: avg(outs) });
    }
    return out;
  }

  /** Each topic's records/s in at the last sample; undefined before the cluster's second sample. */
  latestIn(cluster: string): Map<string, number> | undefined {
    const c = this.clusters.get(cluster);
    if (!c) return undefined;
    const out = new Map<string, number>();
    for (const [topic, r] of c.topics) {
      const last = r.recordsIn.points(c.at).at(-1);
      if (last) out.set(topic, last.v);
    }
    return out.size > 0 ? out : undefined;
  }

  /** The brokers the cluster's metadata listed at the last sample; null before the first. */
  brokers(cluster: string): number | null {
    return this.clusters.get(cluster)?.brokers ?? null;
  }

  /** A cluster no longer watched: its next sample starts a new base. */
  forget(cluster: string): void {
    this.clusters.delete(cluster);
  }
}
