/**
 * In-process metrics: counters, gauges and histograms keyed by name + labels.
 * The sampler (series.ts) turns counters into per-second series for the console; prometheus.ts
 * renders everything as Prometheus text. Hot paths hold on to the Counter object they were given,
 * so an increment is one addition, never a map lookup.
 */
export type Labels = Readonly<Record<string, string>>;

export type MetricKind = "counter" | "gauge" | "histogram";

export class Counter {
  private n = 0;
  /** `read` makes a counter whose value another object keeps (an agent component's Flume counter). */
  constructor(readonly name: string, readonly labels: Labels, private readonly read?: () => number) {}
  inc(n = 1): void {
    this.n += n;
  }
  get value(): number {
    return this.read ? this.read() : this.n;
  }
}

export class Gauge {
  value = 0;
  constructor(readonly name: string, readonly labels: Labels, private readonly read?: () => number) {}
  set(v: number): void {
    this.value = v;
  }
  get(): number {
    return this.read ? this.read() : this.value;
  }
}

/** Cumulative buckets, as Prometheus expects; upper bounds in the metric's unit. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly name: string, readonly labels: Labels, readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
  /** Estimated quantile (0..1) from the buckets; the upper bound of the bucket that holds it. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      seen += this.counts[i];
      if (seen >= target) return this.bounds[i];
    }
    return Infinity;
  }
}

export type Metric = Counter | Gauge | Histogram;

interface Family {
  kind: MetricKind;
  help: string;
  members: Map<string, Metric>;
}

/** Latency buckets in milliseconds, fine enough to tell 1 ms from 10 ms. */
export const LATENCY_MS_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  keys.sort();
  return keys.map((k) => `${k}=${labels[k]}`).join(",");
}

export class MetricsRegistry {
  readonly families = new Map<string, Family>();

  private member<M extends Metric>(name: string, kind: MetricKind, help: string, labels: Labels, make: () => M): M {
    let fam = this.families.get(name);
    if (!fam) {
      fam = { kind, help, members: new Map() };
      this.families.set(name, fam);
    } else if (fam.kind !== kind) {
      throw new Error(`metric ${name} is a ${fam.kind}, not a ${kind}`);
    }
    const key = labelKey(labels);
    let m = fam.members.get(key) as M | undefined;
    if (!m) {
      m = make();
      fam.members.set(key, m);
    }
    return m;
  }

  counter(name: string, help: string, labels: Labels = {}, read?: () => number): Counter {
    return this.member(name, "counter", help, labels, () => new Counter(name, labels, read));
  }

  /** A gauge that is either set, or read from `read` whenever it is sampled. */
  gauge(name: string, help: string, labels: Labels = {}, read?: () => number): Gauge {
    return this.member(name, "gauge", help, labels, () => new Gauge(name, labels, read));
  }

  histogram(name: string, help: string, labels: Labels = {}, bounds: readonly number[] = LATENCY_MS_BUCKETS): Histogram {
    return this.member(name, "histogram", help, labels, () => new Histogram(name, labels, bounds));
  }

  /** Drops every member of `name` whose labels include all of `match` (a deleted topic, a stopped flow). */
  remove(name: string, match: Labels): void {
    const fam = this.families.get(name);
    if (!fam) return;
    for (const [key, m] of fam.members) {
      if (Object.entries(match).every(([k, v]) => m.labels[k] === v)) fam.members.delete(key);
    }
  }

  /** All members of a family, for the console's per-topic and per-component views. */
  list(name: string): Metric[] {
    return [...(this.families.get(name)?.members.values() ?? [])];
  }
}

/** The process-wide registry: the broker, the agents and the HTTP server all report here. */
export const metrics = new MetricsRegistry();
