import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { lagRollups } from "@/db/schema";
import type { ClusterConnections } from "../admin/clusters";
import { EMBEDDED_CLUSTER } from "../admin/clusters";
import { groupDetails, summaryOf, watermarksOf, type GroupSummary } from "../admin/groups";
import { logger } from "../log";
import { ClusterRates } from "./cluster-rates";
import { turnMinute } from "./rollups";
import { RingSeries } from "./series";

const log = logger("metrics.lag");

/** An hour of lag history at the default 10-second interval. */
export const LAG_POINTS = 360;
/** What the lag charts show: the last hour. */
export const LAG_HISTORY_MS = 3_600_000;
/** A cluster nobody has looked at for this long is no longer sampled (the embedded one always is). */
const WATCH_MS = 15 * 60_000;
/**
 * Groups with a lag history per cluster. Any client can create groups, so their number is the
 * clients' to choose; past this, further groups count in the total and the latest list only.
 */
export const MAX_GROUP_SERIES = 1000;

const MINUTE = 60_000;
/** Lag history in Postgres is kept as long as metric rollups: a day past the dashboard's longest range. */
const KEEP_MS = 8 * 86_400_000;
/** The key of the total over a cluster's groups in the rollups (no group is named ""). */
export const TOTAL = "";

/** The minute being sampled: each series' last and highest lag so far (TOTAL for the total). */
interface MinuteLag {
  at: number;
  last: Map<string, number>;
  max: Map<string, number>;
}

interface ClusterLag {
  groups: Map<string, RingSeries>;
  total: RingSeries;
  latest: { at: number; groups: GroupSummary[] } | null;
  error: string | null;
  capped: boolean;
  minute: MinuteLag | null;
}

/**
 * Samples every consumer group's total lag periodically, so the console can chart lag over time:
 * the Kafka protocol only tells the lag of now. One pass per cluster per tick, over the protocol:
 * one Metadata, two ListOffsets per broker (log start and end of every partition), and the groups'
 * descriptions and committed offsets. The same reads give the cluster's rates (`rates`).
 */
export class LagSampler {
  private readonly clusters = new Map<string, ClusterLag>();
  /** Records/s in and out of every sampled cluster, from the log ends and committed offsets each pass reads. */
  readonly rates: ClusterRates;
  private readonly watched = new Map<string, number>([[EMBEDDED_CLUSTER, Infinity]]);
  private timer: NodeJS.Timeout | undefined;
  /** Clusters whose sample is under way: a slow one skips its own next pass, not the others'. */
  private sampling = new Set<string>();
  private db: Db | undefined;
  private lastPrune = 0;

  constructor(
    private readonly connections: ClusterConnections,
    readonly intervalMs = 10_000,
    private readonly capacity = LAG_POINTS,
    private readonly maxGroupSeries = MAX_GROUP_SERIES,
  ) {
    this.rates = new ClusterRates(capacity);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sampleAll(), this.intervalMs);
    this.timer.unref();
    void this.sampleAll();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Keeps each finished minute's lag in Postgres, so lag charts survive a restart (the rings are
   * memory only). A restart loses at most the minute in progress.
   */
  persistTo(db: Db): void {
    this.db = db;
    this.rates.persistTo(db);
  }

  /** Marks a cluster as looked at, so it is sampled for the next while. */
  watch(cluster: string): void {
    const before = this.watched.get(cluster);
    if (before === Infinity) return;
    this.watched.set(cluster, Date.now() + WATCH_MS);
    // A cluster just opened gets its first sample now rather than a tick later, if the sampler runs.
    if (before === undefined && this.timer) void this.sampleAll();
  }

  /**
   * Samples every watched cluster at once. A cluster that is down spends its client's retries and
   * back-offs before it fails, and one that accepts connections but does not answer its request
   * timeouts; sampled in turn, it would hold every other cluster's samples back as long.
   */
  async sampleAll(now = Date.now()): Promise<void> {
    const passes: Promise<void>[] = [];
    for (const [cluster, until] of this.watched) {
      if (until < now) {
        this.watched.delete(cluster);
        this.clusters.delete(cluster);
        this.rates.forget(cluster);
        continue;
      }
      if (this.sampling.has(cluster)) continue; // a slow cluster must not pile up passes
      this.sampling.add(cluster);
      passes.push(this.sample(cluster, now).finally(() => this.sampling.delete(cluster)));
    }
    await Promise.all(passes);
  }

  async sample(cluster: string, now = Date.now()): Promise<void> {
    let c = this.clusters.get(cluster);
    if (!c) this.clusters.set(cluster, (c = { groups: new Map(), total: new RingSeries(this.capacity), latest: null, error: null, capped: false, minute: null }));
    try {
      const client = await this.connections.client(cluster);
      const md = await client.admin.metadata();
      // Internal topics' appends are the cluster's own bookkeeping (commits, transaction state), not traffic.
      const marks = await watermarksOf(client, md.topics.filter((t) => !t.internal && !t.name.startsWith("__")));
      // A copy: the groups' reads add the topics they need that are not traffic (internal, deleted).
      const details = await groupDetails(client, new Map(marks));
      const groups = details.map(summaryOf);
      const present = new Set(groups.map((g) => g.groupId));
      for (const id of c.groups.keys()) if (!present.has(id)) c.groups.delete(id);
      for (const g of groups) {
        let s = c.groups.get(g.groupId);
        if (!s && c.groups.size >= this.maxGroupSeries) {
          if (!c.capped) log.warn({ cluster, groups: groups.length, limit: this.maxGroupSeries }, "more consumer groups than lag histories kept; the rest count in the total only");
          c.capped = true;
          continue;
        }
        if (!s) c.groups.set(g.groupId, (s = new RingSeries(this.capacity)));
        s.push(now, g.lag);
      }
      const total = groups.reduce((n, g) => n + g.lag, 0);
      c.total.push(now, total);
      c.latest = { at: now, groups };
      if (c.error !== null) log.info({ cluster }, "lag sampling works again");
      c.error = null;
      await this.rates.observe(cluster, now, md.brokers.length, marks, details);
      await this.rollUp(cluster, c, now, [...groups.filter((g) => c.groups.has(g.groupId)).map((g): [string, number] => [g.groupId, g.lag]), [TOTAL, total]]);
    } catch (err) {
      const message = (err as Error).message;
      // Once per outage, not every pass: a watched cluster that is down would fill the log.
      if (message !== c.error) log.warn({ err, cluster }, "lag sampling failed; retrying every pass, logged again only when it works or fails differently");
      c.error = message;
    }
  }

  /** Adds a sample to its minute; the first sample of a new minute writes the one before. */
  private async rollUp(cluster: string, c: ClusterLag, now: number, values: [string, number][]): Promise<void> {
    if (!this.db) return;
    const at = await turnMinute(c, now, (done) => this.write(cluster, done));
    const m = (c.minute ??= { at, last: new Map<string, number>(), max: new Map<string, number>() });
    for (const [id, lag] of values) {
      m.last.set(id, lag);
      m.max.set(id, Math.max(lag, m.max.get(id) ?? lag));
    }
  }

  private async write(cluster: string, m: MinuteLag): Promise<void> {
    const db = this.db!;
    const rows = [...m.last].map(([groupId, last]) => ({ cluster, groupId, minute: new Date(m.at), last, max: m.max.get(groupId) ?? last }));
    try {
      await db
        .insert(lagRollups)
        .values(rows)
        .onConflictDoUpdate({ target: [lagRollups.cluster, lagRollups.groupId, lagRollups.minute], set: { last: sql`excluded.last`, max: sql`greatest(${lagRollups.max}, excluded.max)` } });
      if (m.at - this.lastPrune > 3_600_000) {
        await db.delete(lagRollups).where(lt(lagRollups.minute, new Date(m.at - KEEP_MS)));
        this.lastPrune = m.at;
      }
    } catch (err) {
      // The live ring still has the minute; only its history after a restart is missing.
      log.error({ err, cluster }, "writing lag history failed");
    }
  }

  /**
   * A group's lag (or the TOTAL's) since `since`: the minutes kept in Postgres up to where the
   * live ring starts, then the ring's samples. After a restart the ring is empty and the minutes
   * before it are still there.
   */
  async history(cluster: string, groupId: string, since: number): Promise<{ t: number; v: number }[]> {
    const c = this.clusters.get(cluster);
    // The ring holds the last hour of samples whatever `since`.
    const ring = c ? ((groupId === TOTAL ? c.total : c.groups.get(groupId))?.points() ?? []) : [];
    if (!this.db) return ring;
    const until = ring[0]?.t ?? Date.now();
    const rows = await this.db
      .select({ minute: lagRollups.minute, last: lagRollups.last })
      .from(lagRollups)
      .where(and(eq(lagRollups.cluster, cluster), eq(lagRollups.groupId, groupId), gte(lagRollups.minute, new Date(since)), lt(lagRollups.minute, new Date(until - MINUTE))))
      .orderBy(lagRollups.minute);
    // A minute's row stands for its last sample, at the minute's end.
    return [...rows.map((r) => ({ t: r.minute.getTime() + MINUTE - 1, v: r.last })), ...ring];
  }

  latest(cluster: string): { at: number; groups: GroupSummary[] } | null {
    return this.clusters.get(cluster)?.latest ?? null;
  }

  lastError(cluster: string): string | null {
    return this.clusters.get(cluster)?.error ?? null;
  }
}
