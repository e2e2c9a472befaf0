import { HEADER_SIZE, type Header } from "../../kafka/records/batch";
import { varintSize } from "../../kafka/records/varint";

/**
 * How the topic sink cuts what it sends, as the Java producer does: records of one partition go
 * into record batches of at most `batch.size` bytes, and batches into produce requests of at most
 * `max.request.size` bytes. Pure functions, so the limits are tested without a broker.
 */

export interface ProducerRecord {
  key: Buffer | null;
  value: Buffer;
  headers: Header[];
  partition?: number;
}

export interface BatchLimits {
  /** kafka.producer.batch.size: a batch is closed before it would grow past this; a larger record goes alone. */
  batchBytes: number;
  /** The largest batch the topic takes (its max.message.bytes, or less if a request could not carry it). */
  maxBatchBytes: number;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  records: ProducerRecord[];
  /** The encoded RecordBatch's exact size. */
  bytes: number;
}

/** Produce v3+ carries exactly one batch per partition; this is what each adds to a request beyond its batch (topic entry, index, sizes). */
const PARTITION_OVERHEAD = 14;
/** The request header and fields before the topics (api key, version, correlation id, acks, timeout, array sizes), client id aside. */
export const REQUEST_OVERHEAD = 32;

const bytesField = (b: Buffer | null): number => (b === null ? 1 : varintSize(b.length) + b.length);

/** A record's encoded size in a batch at position `index` (timestamps are the batch's own, so their delta is 0). */
function recordBytes(r: ProducerRecord, index: number): number {
  let body = 2 + varintSize(index) + bytesField(r.key) + bytesField(r.value) + varintSize(r.headers.length);
  for (const h of r.headers) {
    const k = Buffer.byteLength(h.key);
    body += varintSize(k) + k + bytesField(h.value);
  }
  return varintSize(body) + body;
}

/** The encoded size of a batch holding just this record: what the topic's max.message.bytes is checked against. */
export function singleRecordBatchBytes(r: ProducerRecord): number {
  return HEADER_SIZE + recordBytes(r, 0);
}

/**
 * Splits one partition's records, in order, into batches of at most `batchBytes` and `maxBatchBytes`
 * (a record larger than `batchBytes` gets a batch of its own). A record whose batch alone exceeds `maxBatchBytes` cannot be
 * sent at all; it is returned in `tooLarge` rather than blocking the rest.
 */
export function splitIntoBatches(topic: string, partition: number, records: readonly ProducerRecord[], limits: BatchLimits): { batches: PartitionBatch[]; tooLarge: ProducerRecord[] } {
  const batches: PartitionBatch[] = [];
  const tooLarge: ProducerRecord[] = [];
  let open: PartitionBatch | null = null;
  const limit = Math.min(limits.batchBytes, limits.maxBatchBytes);
  for (const r of records) {
    const alone = singleRecordBatchBytes(r);
    if (alone > limits.maxBatchBytes) {
      tooLarge.push(r);
      continue;
    }
    const grown = open ? open.bytes + recordBytes(r, open.records.length) : Infinity;
    if (open && grown <= limit) {
      open.records.push(r);
      open.bytes = grown;
    } else {
      open = { topic, partition, records: [r], bytes: alone };
      batches.push(open);
    }
  }
  return { batches, tooLarge };
}

/**
 * Orders the batches for one broker into produce requests: each partition at most once per request
 * and its batches in their order across requests (the connection keeps request order), a request
 * at most `maxRequestBytes` (a batch larger than that alone). Partitions take turns, so a request
 * carries one batch of as many partitions as fit.
 */
export function planRequests(perPartition: readonly PartitionBatch[][], maxRequestBytes: number, clientIdBytes: number): PartitionBatch[][] {
  const requests: PartitionBatch[][] = [];
  let current: PartitionBatch[] = [];
  let size = REQUEST_OVERHEAD + clientIdBytes;
  const close = () => {
    if (current.length > 0) requests.push(current);
    current = [];
    size = REQUEST_OVERHEAD + clientIdBytes;
  };
  const queues = perPartition.filter((q) => q.length > 0).map((q) => ({ q, next: 0 }));
  while (queues.some((x) => x.next < x.q.length)) {
    for (const x of queues) {
      const b = x.q[x.next];
      if (!b) continue;
      const cost = b.bytes + PARTITION_OVERHEAD + Buffer.byteLength(b.topic);
      const again = current.some((c) => c.topic === b.topic && c.partition === b.partition);
      if (current.length > 0 && (again || size + cost > maxRequestBytes)) close();
      current.push(b);
      size += cost;
      x.next++;
    }
  }
  close();
  return requests;
}
