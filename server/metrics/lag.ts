import type { ClusterConnections } from "../admin/clusters";
import { EMBEDDED_CLUSTER } from "../admin/clusters";
import { listGroups, type GroupSummary } from "../admin/groups";
import { logger } from "../log";
import { RingSeries } from "./series";

const log = logger("metrics.lag");

/** An hour of lag history at the default 10-second interval. */
export const LAG_POINTS = 360;
/** A cluster nobody has looked at for this long is no longer sampled (the embedded one always is). */
const WATCH_MS = 15 * 60_000;
/**
 * Groups with a lag history per cluster. Any client can create groups, so their number is the
 * clients' to choose; past this, further groups count in the total and the latest list only.
 */
export const MAX_GROUP_SERIES = 1000;

interface ClusterLag {
  groups: Map<string, RingSeries>;
  total: RingSeries;
  latest: { at: number; groups: GroupSummary[] } | null;
  error: string | null;
  capped: boolean;
}

/**
 * Samples every consumer group's total lag periodically, so the console can chart lag over time:
 * the Kafka protocol only tells the lag of now. One pass per cluster per tick, over the protocol.
 */
export class LagSampler {
  private readonly clusters = new Map<string, ClusterLag>();
  private readonly watched = new Map<string, number>([[EMBEDDED_CLUSTER, Infinity]]);
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly connections: ClusterConnections,
    private readonly intervalMs = 10_000,
    private readonly capacity = LAG_POINTS,
    private readonly maxGroupSeries = MAX_GROUP_SERIES,
  ) {}

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

  /** Marks a cluster as looked at, so it is sampled for the next while. */
  watch(cluster: string): void {
    if (this.watched.get(cluster) !== Infinity) this.watched.set(cluster, Date.now() + WATCH_MS);
  }

  async sampleAll(now = Date.now()): Promise<void> {
    if (this.running) return; // a slow cluster must not pile up passes
    this.running = true;
    try {
      for (const [cluster, until] of this.watched) {
        if (until < now) {
          this.watched.delete(cluster);
          this.clusters.delete(cluster);
          continue;
        }
        await this.sample(cluster, now);
      }
    } finally {
      this.running = false;
    }
  }

  async sample(cluster: string, now = Date.now()): Promise<void> {
    let c = this.clusters.get(cluster);
    if (!c) this.clusters.set(cluster, (c = { groups: new Map(), total: new RingSeries(this.capacity), latest: null, error: null, capped: false }));
    try {
      const groups = await listGroups(await this.connections.client(cluster));
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
      c.total.push(now, groups.reduce((n, g) => n + g.lag, 0));
      c.latest = { at: now, groups };
      c.error = null;
    } catch (err) {
      c.error = (err as Error).message;
      log.warn({ err, cluster }, "lag sampling failed");
    }
  }

  groupSeries(cluster: string, groupId: string): { t: number; v: number }[] {
    return this.clusters.get(cluster)?.groups.get(groupId)?.points() ?? [];
  }

  totalSeries(cluster: string): { t: number; v: number }[] {
    return this.clusters.get(cluster)?.total.points() ?? [];
  }

  latest(cluster: string): { at: number; groups: GroupSummary[] } | null {
    return this.clusters.get(cluster)?.latest ?? null;
  }

  lastError(cluster: string): string | null {
    return this.clusters.get(cluster)?.error ?? null;
  }
}
