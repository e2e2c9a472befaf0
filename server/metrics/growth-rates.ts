/** Readings this long apart at least make a rate; closer ones are mostly noise. */
export const MIN_SPAN_MS = 4000;
/** A base older than this says little about now: the rate is unknown until the next read. */
const MAX_SPAN_MS = 120_000;

interface Reading {
  at: number;
  ends: Map<string, number>;
}

/**
 * Per-second rates of growing totals the console reads now and then rather than samples itself:
 * the events an agent's flow delivered, read from its heartbeats. A rate is the growth between this
 * reading and the newest one at least MIN_SPAN_MS older, per scope (a deployment).
 */
export class GrowthRates {
  private readonly readings = new Map<string, Reading[]>();

  /** Records the totals read at `at`, and answers each one's rate since the newest reading old enough (null when there is none). */
  observe(scope: string, at: number, ends: Map<string, number>): Map<string, number | null> {
    const list = (this.readings.get(scope) ?? []).filter((r) => r.at < at && at - r.at <= MAX_SPAN_MS);
    // The base: the newest reading at least MIN_SPAN_MS old. Older ones are not needed again.
    let base: Reading | undefined;
    for (const r of list) if (at - r.at >= MIN_SPAN_MS) base = r;
    const kept = base ? list.filter((r) => r.at >= base.at) : list;
    kept.push({ at, ends });
    this.readings.set(scope, kept);
    const out = new Map<string, number | null>();
    for (const [key, total] of ends) {
      const before = base?.ends.get(key);
      // A total that went down started over (a flow redeployed): its rate is not known yet.
      out.set(key, base && before !== undefined && total >= before ? ((total - before) * 1000) / (at - base.at) : null);
    }
    return out;
  }
}

/**
 * One GrowthRates per console database: scopes are deployment row ids, which another
 * database (another console in the same process, as in tests) reuses for other things.
 */
export function ratesPerDatabase(): (db: object) => GrowthRates {
  const byDatabase = new WeakMap<object, GrowthRates>();
  return (db) => {
    let rates = byDatabase.get(db);
    if (!rates) byDatabase.set(db, (rates = new GrowthRates()));
    return rates;
  };
}
