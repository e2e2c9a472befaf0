import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { metricRollups } from "@/db/schema";
import { logger } from "../log";
import { CONSOLE_READS } from "./console-reads";
import { labelKey } from "./registry";
import type { SeriesSampler } from "./series";

const log = logger("metrics.rollups");

/** The series the dashboard shows over hours and days; everything else stays live-only. */
export const ROLLED_UP = [
  "tributary_broker_records_in_total",
  "tributary_broker_records_out_total",
  "tributary_broker_bytes_in_total",
  "tributary_broker_bytes_out_total",
  "tributary_broker_connections",
  CONSOLE_READS.records,
  CONSOLE_READS.bytes,
] as const;

export const RANGES = { "1h": { ms: 3_600_000, stepS: 60 }, "24h": { ms: 86_400_000, stepS: 600 }, "7d": { ms: 7 * 86_400_000, stepS: 3600 } } as const;
export type HistoryRange = keyof typeof RANGES;

/** History is kept a day longer than the longest range. */
const KEEP_MS = 8 * 86_400_000;
const MINUTE = 60_000;

function stats(values: number[]): { avg: number; max: number } {
  let sum = 0;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  return { avg: sum / values.length, max };
}

/** One minute of every rolled-up series, plus each family's sum over its members (labels ""). */
export function minuteRows(sampler: SeriesSampler, minute: number) {
  const rows: (typeof metricRollups.$inferInsert)[] = [];
  for (const metric of ROLLED_UP) {
    const total = new Map<number, number>();
    // History is kept per topic: the broker counts per partition, the dashboard charts topics.
    const members = new Map<string, Map<number, number>>();
    for (const s of sampler.family(metric, minute)) {
      const pts = s.points.filter((p) => p.t < minute + MINUTE);
      if (pts.length === 0) continue;
      const key = labelKey(s.labels.topic === undefined ? s.labels : { topic: s.labels.topic });
      let member = members.get(key);
      if (!member) members.set(key, (member = new Map<number, number>()));
      for (const p of pts) {
        total.set(p.t, (total.get(p.t) ?? 0) + p.v);
        member.set(p.t, (member.get(p.t) ?? 0) + p.v);
      }
    }
    for (const [key, member] of members) {
      const st = stats([...member.values()]);
      // An idle member's minute is not stored (100 idle topics would be most of the table); readers count it as 0.
      if (key && st.max > 0) rows.push({ metric, labels: key, minute: new Date(minute), ...st });
    }
    if (total.size) rows.push({ metric, labels: "", minute: new Date(minute), ...stats([...total.values()]) });
  }
  return rows;
}

/**
 * The minute `now` falls in, for samplers that roll up their own samples (lag, sampled rates): when
 * a sample opens a new minute, the one held is handed to `write` first.
 */
export async function turnMinute<M extends { at: number }>(holder: { minute: M | null }, now: number, write: (done: M) => Promise<void>): Promise<number> {
  const at = Math.floor(now / MINUTE) * MINUTE;
  if (holder.minute && holder.minute.at !== at) {
    const done = holder.minute;
    holder.minute = null;
    await write(done);
  }
  return at;
}

/**
 * Once a minute, folds the finished minutes of the per-second rings into Postgres and drops rows
 * older than the longest range. A restart loses at most the minute in progress.
 */
export class MetricRollups {
  private timer: NodeJS.Timeout | undefined;
  private lastMinute: number;
  private lastPrune = 0;

  constructor(private readonly db: Db, private readonly sampler: SeriesSampler, now = Date.now()) {
    this.lastMinute = Math.floor(now / MINUTE) * MINUTE - MINUTE;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((err) => log.error({ err }, "metric rollup failed; the next minute retries"));
    }, 15_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Rolls up every minute finished since the last one written (at most the rings' 15 minutes). */
  async tick(now = Date.now()): Promise<number> {
    const current = Math.floor(now / MINUTE) * MINUTE;
    let written = 0;
    for (let m = Math.max(this.lastMinute + MINUTE, current - 15 * MINUTE); m < current; m += MINUTE) {
      const rows = minuteRows(this.sampler, m);
      if (rows.length) {
        await this.db
          .insert(metricRollups)
          .values(rows)
          .onConflictDoUpdate({ target: [metricRollups.cluster, metricRollups.metric, metricRollups.labels, metricRollups.minute], set: { avg: sql`excluded.avg`, max: sql`excluded.max` } });
        written += rows.length;
      }
      this.lastMinute = m;
    }
    if (now - this.lastPrune > 3_600_000) {
      await this.db.delete(metricRollups).where(lt(metricRollups.minute, new Date(now - KEEP_MS)));
      this.lastPrune = now;
    }
    return written;
  }
}

/** A series over a history range, one point per step: the average rate and the peak minute in it. */
export async function readHistory(db: Db, cluster: string, metric: string, labels: string, range: HistoryRange, now = Date.now()): Promise<{ t: number; v: number; max: number }[]> {
  const { ms, stepS } = RANGES[range];
  const bucket = sql<number>`(floor(extract(epoch from ${metricRollups.minute}) / ${stepS}::int) * ${stepS}::int * 1000)::float8`;
  const rows = await db
    .select({ t: bucket, v: sql<number>`avg(${metricRollups.avg})::float8`, max: sql<number>`max(${metricRollups.max})::float8` })
    .from(metricRollups)
    .where(and(eq(metricRollups.cluster, cluster), eq(metricRollups.metric, metric), eq(metricRollups.labels, labels), gte(metricRollups.minute, new Date(now - ms))))
    .groupBy(sql`1`)
    .orderBy(sql`1`);
  const points = rows.map((r) => ({ t: Number(r.t), v: Number(r.v), max: Number(r.max) }));
  if (labels === "" || points.length === 0) return points;
  // A member's idle minutes are absent: between its first and last stored bucket they read as 0.
  const stepMs = stepS * 1000;
  const byT = new Map(points.map((p) => [p.t, p]));
  const filled: { t: number; v: number; max: number }[] = [];
  for (let t = points[0].t; t <= points[points.length - 1].t; t += stepMs) filled.push(byT.get(t) ?? { t, v: 0, max: 0 });
  return filled;
}

/**
 * Per-member average rates over a history range: the "top topics" of a day or a week. Averaged over
 * every minute the family was recorded (the total's rows), so idle minutes count as 0.
 */
export async function historyByLabels(db: Db, cluster: string, metric: string, range: HistoryRange, now = Date.now()): Promise<Map<string, number>> {
  const rows = await db
    .select({ labels: metricRollups.labels, sum: sql<number>`sum(${metricRollups.avg})::float8`, minutes: sql<number>`count(*)::int` })
    .from(metricRollups)
    .where(and(eq(metricRollups.cluster, cluster), eq(metricRollups.metric, metric), gte(metricRollups.minute, new Date(now - RANGES[range].ms))))
    .groupBy(metricRollups.labels);
  const minutes = Number(rows.find((r) => r.labels === "")?.minutes ?? 0);
  return new Map(rows.filter((r) => r.labels !== "").map((r) => [r.labels, Number(r.sum) / Math.max(minutes, Number(r.minutes))]));
}
