/**
 * Statistics shared by every benchmark: each figure is the median of several runs, reported with
 * its min and max so a reader sees the spread on a noisy machine.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every run's value, in run order, so a result file can be re-analysed. */
  runs: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values: run the benchmark at least once");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError("summary of no values: run the benchmark at least once");
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: [...values] };
}

/**
 * Nearest-rank percentile (p in 0..100) of values sorted ascending: the smallest value such that
 * at least p% of the values are ≤ it. Nearest-rank never invents a latency nobody observed.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no values: no record was measured");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, p);
}

/**
 * Fixed-capacity latency store: one Float64Array sized up front, so recording on the consume path
 * allocates nothing. Recording past capacity is an error rather than a silent drop.
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(readonly capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.count === this.capacity) {
      throw new RangeError(`latency recorder is full (${this.capacity} samples): size it for rate × duration`);
    }
    this.samples[this.count++] = ms;
  }

  get size(): number {
    return this.count;
  }

  /** p50/p99/max of what was recorded; sorts a copy, so recording may continue. */
  snapshot(): { p50: number; p99: number; max: number; samples: number } {
    const sorted = this.samples.slice(0, this.count).sort();
    return {
      p50: percentileOfSorted(sorted, 50),
      p99: percentileOfSorted(sorted, 99),
      max: sorted[sorted.length - 1],
      samples: sorted.length,
    };
  }
}
