import { Counter, Gauge, labelKey, type Labels, type MetricsRegistry } from "./registry";

/** Fixed-size ring of (time, value) points: live charts never grow memory. */
export class RingSeries {
  private readonly t: Float64Array;
  private readonly v: Float64Array;
  private next = 0;
  private size = 0;
  constructor(readonly capacity: number) {
    this.t = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }
  push(t: number, v: number): void {
    this.t[this.next] = t;
    this.v[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }
  /** Points oldest first, optionally only those at or after `since` (ms epoch). */
  points(since = 0): { t: number; v: number }[] {
    const out: { t: number; v: number }[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const j = (start + i) % this.capacity;
      if (this.t[j] >= since) out.push({ t: this.t[j], v: this.v[j] });
    }
    return out;
  }
}

/** 15 minutes at one point per second: what the dashboard's live range shows. */
export const LIVE_POINTS = 900;

/**
 * Samples the registry once a second: counters become per-second rates, gauges their value.
 * The console's charts read these series; rollups to Postgres read them too.
 */
export class SeriesSampler {
  private readonly series = new Map<string, { name: string; labels: Labels; ring: RingSeries; seenAt: number }>();
  private readonly last = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private sampledOnce = false;

  constructor(private readonly registry: MetricsRegistry, private readonly capacity = LIVE_POINTS) {}

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(Date.now(), intervalMs / 1000), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(now: number, seconds = 1): void {
    for (const [name, fam] of this.registry.families) {
      if (fam.kind === "histogram") continue;
      for (const [key, m] of fam.members) {
        const id = `${name}|${key}`;
        let entry = this.series.get(id);
        if (!entry) {
          entry = { name, labels: m.labels, ring: new RingSeries(this.capacity), seenAt: now };
          this.series.set(id, entry);
        }
        entry.seenAt = now;
        const s = entry.ring;
        if (m instanceof Counter) {
          // A counter that appears after the first pass was created since the last one: it started at 0.
          const prev = this.last.get(id) ?? (this.sampledOnce ? 0 : undefined);
          this.last.set(id, m.value);
          s.push(now, prev === undefined ? 0 : Math.max(0, m.value - prev) / seconds);
        } else if (m instanceof Gauge) {
          s.push(now, m.get());
        }
      }
    }
    this.sampledOnce = true;
    // A removed member (a deleted topic, a stopped flow) keeps its history until it has scrolled out.
    for (const [id, e] of this.series) {
      if (now - e.seenAt > this.capacity * 1000 * seconds) {
        this.series.delete(id);
        this.last.delete(id);
      }
    }
  }

  /** The per-second series of one metric member, oldest first. */
  points(name: string, labels: Labels = {}, since = 0): { t: number; v: number }[] {
    return this.series.get(`${name}|${labelKey(labels)}`)?.ring.points(since) ?? [];
  }

  /** The per-second sum of every member whose labels include `match` (a topic over its partitions), oldest first. */
  sum(name: string, match: Labels, since = 0): { t: number; v: number }[] {
    const byT = new Map<number, number>();
    for (const s of this.series.values()) {
      if (s.name !== name || !Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
      for (const p of s.ring.points(since)) byT.set(p.t, (byT.get(p.t) ?? 0) + p.v);
    }
    return [...byT].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
  }

  /** Every series of a metric family, each with its labels; a member removed from the registry keeps its history here. */
  family(name: string, since = 0): { labels: Labels; points: { t: number; v: number }[] }[] {
    const out: { labels: Labels; points: { t: number; v: number }[] }[] = [];
    for (const s of this.series.values()) if (s.name === name) out.push({ labels: s.labels, points: s.ring.points(since) });
    return out;
  }
}
