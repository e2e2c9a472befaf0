/**
 * A transaction past 80% of its transaction.timeout.ms: the coordinator will soon abort it and
 * fence its producer, so the operator should look at that producer now.
 */
export function nearTimeout(ageMs: number, timeoutMs: number): boolean {
  return timeoutMs > 0 && ageMs >= timeoutMs * 0.8;
}

export function partitionCount(partitions: { partitions: number[] }[]): number {
  return partitions.reduce((n, p) => n + p.partitions.length, 0);
}

/** Records past the last stable offsets: what read_committed consumers of these partitions wait for. */
export function heldBack(partitions: { lastStableOffset: number; highWatermark: number }[]): number {
  return partitions.reduce((n, p) => n + Math.max(0, p.highWatermark - p.lastStableOffset), 0);
}
