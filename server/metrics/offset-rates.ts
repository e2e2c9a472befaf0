/** Log-end offsets read this long apart at least make a rate; closer reads are mostly noise. */
export const MIN_SPAN_MS = 4000;
/** A base older than this says little about now: the rate is unknown until the next read. */
const MAX_SPAN_MS = 120_000;

interface Reading {
  at: number;
  ends: Map<string, number>;
}

/**
 * Records per second per topic for clusters whose brokers' metrics the console does not have:
 * the growth of each topic's log-end offsets (summed over its partitions) between two reads of
 * the topics list, at least MIN_SPAN_MS apart. Counts what was appended, control records of
 * transactions included, as a broker's own records-in rate does not quite.
 */
export class OffsetRates {
  private readonly readings = new Map<string, Reading[]>();

  /** Records the ends read at `at`, and answers each topic's rate since the newest reading old enough (null when there is none). */
  observe(cluster: string, at: number, ends: Map<string, number>): Map<string, number | null> {
    const list = (this.readings.get(cluster) ?? []).filter((r) => r.at < at && at - r.at <= MAX_SPAN_MS);
    // The base: the newest reading at least MIN_SPAN_MS old. Older ones are not needed again.
    let base: Reading | undefined;
    for (const r of list) if (at - r.at >= MIN_SPAN_MS) base = r;
    const kept = base ? list.filter((r) => r.at >= base.at) : list;
    kept.push({ at, ends });
    this.readings.set(cluster, kept);
    const out = new Map<string, number | null>();
    for (const [topic, end] of ends) {
      const before = base?.ends.get(topic);
      // A topic deleted and made again starts over: its ends went down, its rate is not known yet.
      out.set(topic, base && before !== undefined && end >= before ? ((end - before) * 1000) / (at - base.at) : null);
    }
    return out;
  }
}
