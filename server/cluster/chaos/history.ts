/**
 * The history a chaos run records and the independent check of it: what producers were told
 * (acknowledgements with offsets), what consumers read while faults were injected, and the final
 * log of every partition read after the cluster healed. The checker trusts none of the broker's
 * own bookkeeping: only what clients saw.
 */

/** A write the cluster acknowledged: `value` is unique across the run. */
export interface Ack {
  partition: number;
  offset: number;
  value: string;
  /** Order of sending within the partition (the producer's own counter). */
  sent: number;
}

/** A record a consumer read, live or in the final read. */
export interface Read {
  partition: number;
  offset: number;
  value: string;
}

export type Violation =
  | { kind: "lost"; partition: number; offset: number; value: string; found: string | null }
  | { kind: "duplicate"; value: string; at: { partition: number; offset: number }[] }
  | { kind: "non-monotonic"; partition: number; offset: number; after: number }
  | { kind: "reordered"; partition: number; value: string; offset: number; earlier: string; earlierOffset: number }
  | { kind: "phantom-read"; partition: number; offset: number; value: string; found: string | null };

export interface CheckResult {
  acknowledged: number;
  finalRecords: number;
  liveReads: number;
  violations: Violation[];
}

/**
 * Checks Kafka's guarantees for acks=all with an idempotent producer:
 * - lost: every acknowledged value is in the final log, at the offset it was acknowledged at;
 * - duplicate: no value is written twice;
 * - non-monotonic: each partition's final log has strictly increasing offsets;
 * - reordered: acknowledged values of one partition sit in the order they were sent;
 * - phantom-read: what a consumer read live is in the final log at that offset (consumers see
 *   only records below the high watermark, which no failover truncates).
 */
export function checkHistory(acks: readonly Ack[], live: readonly Read[], final: readonly Read[]): CheckResult {
  const violations: Violation[] = [];
  const logs = new Map<number, Map<number, string>>();
  const placesOf = new Map<string, { partition: number; offset: number }[]>();
  const lastOffset = new Map<number, number>();
  for (const r of final) {
    const after = lastOffset.get(r.partition);
    if (after !== undefined && r.offset <= after) violations.push({ kind: "non-monotonic", partition: r.partition, offset: r.offset, after });
    lastOffset.set(r.partition, r.offset);
    let log = logs.get(r.partition);
    if (!log) logs.set(r.partition, (log = new Map<number, string>()));
    log.set(r.offset, r.value);
    const places = placesOf.get(r.value);
    if (places) places.push({ partition: r.partition, offset: r.offset });
    else placesOf.set(r.value, [{ partition: r.partition, offset: r.offset }]);
  }
  for (const [value, at] of placesOf) if (at.length > 1) violations.push({ kind: "duplicate", value, at });
  const at = (partition: number, offset: number) => logs.get(partition)?.get(offset) ?? null;
  for (const a of acks) {
    const found = at(a.partition, a.offset);
    if (found !== a.value) violations.push({ kind: "lost", partition: a.partition, offset: a.offset, value: a.value, found });
  }
  const bySent = [...acks].sort((x, y) => x.partition - y.partition || x.sent - y.sent);
  for (let i = 1; i < bySent.length; i++) {
    const [prev, cur] = [bySent[i - 1], bySent[i]];
    if (prev.partition === cur.partition && cur.offset <= prev.offset) {
      violations.push({ kind: "reordered", partition: cur.partition, value: cur.value, offset: cur.offset, earlier: prev.value, earlierOffset: prev.offset });
    }
  }
  for (const r of live) {
    const found = at(r.partition, r.offset);
    if (found !== r.value) violations.push({ kind: "phantom-read", partition: r.partition, offset: r.offset, value: r.value, found });
  }
  return { acknowledged: acks.length, finalRecords: final.length, liveReads: live.length, violations };
}

/** One line per violation kind with a few examples, for a person reading a failed run. */
export function describeViolations(violations: readonly Violation[], examples = 3): string {
  const byKind = new Map<string, Violation[]>();
  for (const v of violations) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);
  return [...byKind].map(([kind, list]) => `${kind}: ${list.length} (e.g. ${list.slice(0, examples).map((v) => JSON.stringify(v)).join("; ")})`).join("\n");
}
