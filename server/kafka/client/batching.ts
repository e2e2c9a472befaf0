import { HEADER_SIZE, type RecordInput } from "../records/batch";
import { varintSize } from "../records/varint";

/**
 * How records are cut into record batches and batches into Produce requests, as the Java
 * producer bounds them: `batch.size` bytes per batch (a larger record gets a batch of its own)
 * and `max.request.size` bytes per request (a record that cannot fit one is refused up front).
 * Pure functions: the producer's accumulator and its tests use them alike.
 */

/** Per-request bytes besides the batches: header, acks, timeout, topic and partition entries. */
export const REQUEST_OVERHEAD = 128;
/** Per-partition bytes of a Produce request besides its batch (partition index, length, topic share). */
export const PARTITION_OVERHEAD = 32;

const bytesSize = (b: Buffer | null | undefined) => (b == null ? 1 : varintSize(b.length) + b.length);

/** A record's encoded size in a batch, uncompressed (timestamp and offset deltas counted at their usual widths). */
export function recordSize(r: RecordInput): number {
  let body = 1 + 4 + 3 + bytesSize(r.key) + bytesSize(r.value) + varintSize(r.headers?.length ?? 0);
  if (r.headers) for (const h of r.headers) body += varintSize(Buffer.byteLength(h.key)) + Buffer.byteLength(h.key) + bytesSize(h.value);
  return varintSize(body) + body;
}

/** The largest record a request of maxRequestSize bytes can carry. */
export function maxRecordSize(maxRequestSize: number): number {
  return maxRequestSize - REQUEST_OVERHEAD - PARTITION_OVERHEAD - HEADER_SIZE;
}

/**
 * Cuts one partition's records (in order) into batches of at most batchSize bytes, counting the
 * batch header; `first` is room already taken in an open batch the records continue (its range
 * may then be empty: the open batch is full). Returns the batches as index ranges [start, end).
 */
export function splitIntoBatches(records: RecordInput[], batchSize: number, first = 0): { start: number; end: number; bytes: number }[] {
  const out: { start: number; end: number; bytes: number }[] = [];
  let start = 0;
  let bytes = first > 0 ? first : HEADER_SIZE;
  let openBatch = first > 0;
  for (let i = 0; i < records.length; i++) {
    const size = recordSize(records[i]);
    if ((i > start || openBatch) && bytes + size > batchSize) {
      openBatch = false;
      out.push({ start, end: i, bytes });
      start = i;
      bytes = HEADER_SIZE;
    }
    bytes += size;
  }
  if (records.length > start || out.length === 0) out.push({ start, end: records.length, bytes });
  return out;
}

/** Groups batches (in order) into requests of at most maxRequestSize bytes; every request holds at least one batch. */
export function groupIntoRequests<B extends { bytes: number }>(batches: B[], maxRequestSize: number): B[][] {
  const out: B[][] = [];
  let current: B[] = [];
  let bytes = REQUEST_OVERHEAD;
  for (const b of batches) {
    const size = b.bytes + PARTITION_OVERHEAD;
    if (current.length > 0 && bytes + size > maxRequestSize) {
      out.push(current);
      current = [];
      bytes = REQUEST_OVERHEAD;
    }
    current.push(b);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
