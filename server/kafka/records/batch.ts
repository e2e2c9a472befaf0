import { crc32c } from "@node-rs/crc32";
import { NO_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE } from "../constants";
import { ErrorCode, KafkaError } from "../errors";
import { Compression, compress, decompress, type CompressionName } from "./compression";
import { readVarint, varintSize, writeVarint } from "./varint";

/**
 * Kafka RecordBatch v2 (magic 2). The broker keeps batches as the producer sent them; only the
 * header fields below are read, and baseOffset / partitionLeaderEpoch / maxTimestamp rewritten.
 */
export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORD_COUNT = 57;
export const HEADER_SIZE = 61;
/** baseOffset + batchLength precede the part the length counts. */
export const LOG_OVERHEAD = 12;

const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;

export interface BatchHeader {
  baseOffset: number;
  /** Whole batch size in bytes, including the 12-byte log overhead. */
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  logAppendTime: boolean;
  transactional: boolean;
  control: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  return {
    baseOffset: Number(buf.readBigInt64BE(pos + BASE_OFFSET)),
    size: buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + LEADER_EPOCH),
    magic: buf.readInt8(pos + MAGIC),
    crc: buf.readUInt32BE(pos + CRC),
    attributes,
    compression: attributes & 0x07,
    logAppendTime: (attributes & TIMESTAMP_TYPE_BIT) !== 0,
    transactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    control: (attributes & CONTROL_BIT) !== 0,
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA),
    baseTimestamp: Number(buf.readBigInt64BE(pos + BASE_TIMESTAMP)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + MAX_TIMESTAMP)),
    producerId: Number(buf.readBigInt64BE(pos + PRODUCER_ID)),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + RECORD_COUNT),
  };
}

/**
 * Checks one batch at pos without decoding its records: length within the buffer and the limit,
 * magic 2, CRC-32C over attributes..end, a sane record count. Returns the batch size.
 */
export function validateBatch(buf: Buffer, pos: number, maxBatchBytes: number): number {
  if (buf.length - pos < HEADER_SIZE) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `truncated batch: ${buf.length - pos} bytes left, a header needs ${HEADER_SIZE}`);
  const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
  if (size < HEADER_SIZE) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `impossible batch length ${size - LOG_OVERHEAD}`);
  if (size > maxBatchBytes) throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds max.message.bytes ${maxBatchBytes}`);
  if (pos + size > buf.length) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch claims ${size} bytes but only ${buf.length - pos} arrived`);
  const magic = buf[pos + MAGIC];
  if (magic !== 2) throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${magic}; only magic 2 (Kafka 0.11+) is supported`);
  const crc = crc32c(buf.subarray(pos + ATTRIBUTES, pos + size));
  if (crc !== buf.readUInt32BE(pos + CRC)) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch CRC mismatch");
  const count = buf.readInt32BE(pos + RECORD_COUNT);
  const lastDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
  if (count < 0 || lastDelta < 0 || (count > 0 && lastDelta < count - 1)) throw new KafkaError(ErrorCode.INVALID_RECORD, `record count ${count} does not fit lastOffsetDelta ${lastDelta}`);
  return size;
}

/** Recomputes the CRC after a header rewrite of a field the CRC covers (maxTimestamp for LogAppendTime). */
export function rewriteCrc(buf: Buffer, pos: number, size: number): void {
  buf.writeUInt32BE(crc32c(buf.subarray(pos + ATTRIBUTES, pos + size)), pos + CRC);
}

/** Calls fn for every whole batch in buf; a partial trailing batch (as a fetch may end with) is ignored. */
export function forEachBatch(buf: Buffer, fn: (header: BatchHeader, pos: number) => void): void {
  let pos = 0;
  while (pos + LOG_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < HEADER_SIZE || pos + size > buf.length) return;
    fn(readBatchHeader(buf, pos), pos);
    pos += size;
  }
}

export interface Header {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Header[];
  timestamp?: number;
}

export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
}

export interface EncodeOptions {
  baseOffset?: number;
  compression?: CompressionName;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  logAppendTime?: boolean;
  /** Part of a transaction (attributes bit 4); control batches (markers) are always transactional too. */
  transactional?: boolean;
  control?: boolean;
}

function bytesField(b: Buffer | null | undefined): number {
  return b == null ? varintSize(-1) : varintSize(b.length) + b.length;
}

function encodeRecords(records: RecordInput[], baseTimestamp: number): Buffer {
  const bodies = records.map((r, i) => {
    const headers = r.headers ?? [];
    const headerKeys = headers.map((h) => Buffer.from(h.key, "utf8"));
    let body = 1 + varintSize((r.timestamp ?? baseTimestamp) - baseTimestamp) + varintSize(i) + bytesField(r.key) + bytesField(r.value) + varintSize(headers.length);
    headers.forEach((h, j) => (body += varintSize(headerKeys[j].length) + headerKeys[j].length + bytesField(h.value)));
    return { body, headerKeys };
  });
  const total = bodies.reduce((n, b) => n + varintSize(b.body) + b.body, 0);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  const putBytes = (b: Buffer | null | undefined) => {
    if (b == null) return writeVarint(out, pos, -1);
    pos = writeVarint(out, pos, b.length);
    b.copy(out, pos);
    return pos + b.length;
  };
  records.forEach((r, i) => {
    pos = writeVarint(out, pos, bodies[i].body);
    out[pos++] = 0; // record attributes: unused
    pos = writeVarint(out, pos, (r.timestamp ?? baseTimestamp) - baseTimestamp);
    pos = writeVarint(out, pos, i);
    pos = putBytes(r.key);
    pos = putBytes(r.value);
    const headers = r.headers ?? [];
    pos = writeVarint(out, pos, headers.length);
    headers.forEach((h, j) => {
      pos = putBytes(bodies[i].headerKeys[j]);
      pos = putBytes(h.value);
    });
  });
  return out;
}

/** Builds one RecordBatch v2. Used by the broker's own writers (group offsets), tests and benchmarks. */
export function encodeRecordBatch(records: RecordInput[], opts: EncodeOptions = {}): Buffer {
  if (records.length === 0) throw new Error("a record batch needs at least one record");
  const now = Date.now();
  const timestamps = records.map((r) => r.timestamp ?? now);
  const baseTimestamp = Math.min(...timestamps);
  const maxTimestamp = Math.max(...timestamps);
  const codec = Compression[opts.compression ?? "none"];
  const payload = compress(codec, encodeRecords(records, baseTimestamp));
  const buf = Buffer.alloc(HEADER_SIZE + payload.length);
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), BASE_OFFSET);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt32BE(NO_LEADER_EPOCH, LEADER_EPOCH);
  buf.writeInt8(2, MAGIC);
  buf.writeInt16BE(codec | (opts.logAppendTime ? TIMESTAMP_TYPE_BIT : 0) | (opts.transactional || opts.control ? TRANSACTIONAL_BIT : 0) | (opts.control ? CONTROL_BIT : 0), ATTRIBUTES);
  buf.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(BigInt(baseTimestamp), BASE_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? NO_PRODUCER_ID), PRODUCER_ID);
  buf.writeInt16BE(opts.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH);
  buf.writeInt32BE(opts.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE);
  buf.writeInt32BE(records.length, RECORD_COUNT);
  payload.copy(buf, HEADER_SIZE);
  rewriteCrc(buf, 0, buf.length);
  return buf;
}

/**
 * Walks the records of a decompressed batch body; fn gets each record and the byte range it
 * occupies, so a caller can copy records without re-encoding them.
 */
function scanRecords(header: BatchHeader, data: Buffer, fn: (record: Record, start: number, end: number) => void): void {
  let p = 0;
  const bytes = (): Buffer | null => {
    let len;
    [len, p] = readVarint(data, p);
    if (len < 0) return null;
    const b = data.subarray(p, p + len);
    p += len;
    return b;
  };
  for (let i = 0; i < header.recordCount; i++) {
    const start = p;
    let len, tsDelta, offDelta, hcount;
    [len, p] = readVarint(data, p);
    const end = p + len;
    p += 1; // attributes
    [tsDelta, p] = readVarint(data, p);
    [offDelta, p] = readVarint(data, p);
    const key = bytes();
    const value = bytes();
    [hcount, p] = readVarint(data, p);
    const headers: Header[] = [];
    for (let j = 0; j < hcount; j++) {
      const k = bytes();
      headers.push({ key: k ? k.toString("utf8") : "", value: bytes() });
    }
    fn(
      {
        offset: header.baseOffset + offDelta,
        timestamp: header.logAppendTime ? header.maxTimestamp : header.baseTimestamp + tsDelta,
        key,
        value,
        headers,
      },
      start,
      end,
    );
    p = end;
  }
}

/**
 * Walks the records of the batch at pos reading only each record's timestamp delta and key
 * length (no record objects): what append-time checks need. A malformed record is CORRUPT_MESSAGE.
 */
function walkRecordKeysAndTimes(buf: Buffer, pos: number, fn: (index: number, timestampDelta: number, keyLength: number) => void): void {
  const header = readBatchHeader(buf, pos);
  const data = decompress(header.compression, buf.subarray(pos + HEADER_SIZE, pos + header.size));
  try {
    let p = 0;
    for (let i = 0; i < header.recordCount; i++) {
      let len, tsDelta, keyLength;
      [len, p] = readVarint(data, p);
      const end = p + len;
      [tsDelta, p] = readVarint(data, p + 1); // after the record's attributes byte
      [, p] = readVarint(data, p); // offset delta
      [keyLength] = readVarint(data, p);
      if (end > data.length) throw new RangeError(`record ${i} claims ${len} bytes past the batch's end`);
      fn(i, tsDelta, keyLength);
      p = end;
    }
  } catch (err) {
    if (err instanceof RangeError) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `malformed record in batch: ${err.message}`);
    throw err;
  }
}

/**
 * Some producers leave a batch's maxTimestamp at -1 (or below its first timestamp); time
 * lookups and retention rely on it, so it is computed from the records and the CRC rewritten,
 * as Kafka does. Callers check the header first, so well-formed batches cost nothing here.
 */
export function repairMaxTimestamp(buf: Buffer, pos: number): void {
  const base = Number(buf.readBigInt64BE(pos + BASE_TIMESTAMP));
  let max = -1;
  walkRecordKeysAndTimes(buf, pos, (_, delta) => (max = Math.max(max, base + delta)));
  buf.writeBigInt64BE(BigInt(max), pos + MAX_TIMESTAMP);
  rewriteCrc(buf, pos, buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD);
}

/** Indexes (within the batch) of its records without a key: a compacted topic refuses them. */
export function keylessRecords(buf: Buffer, pos: number): number[] {
  const out: number[] = [];
  walkRecordKeysAndTimes(buf, pos, (i, _, keyLength) => {
    if (keyLength < 0) out.push(i);
  });
  return out;
}

/** Decodes every record of the batch at pos (decompressing as needed). */
export function decodeRecordBatch(buf: Buffer, pos = 0): { header: BatchHeader; records: Record[] } {
  const header = readBatchHeader(buf, pos);
  const data = decompress(header.compression, buf.subarray(pos + HEADER_SIZE, pos + header.size));
  const records: Record[] = [];
  scanRecords(header, data, (r) => records.push(r));
  return { header, records };
}

/**
 * The batch at pos with only the records keep() accepts, for the log cleaner. Kept records are
 * copied byte for byte: base offset, base timestamp, lastOffsetDelta and the producer fields stay,
 * so every kept record keeps its offset, timestamp and sequence. Returns the original bytes when
 * every record is kept; a batch that keeps none has zero records (the cleaner decides whether to
 * keep it at all). Compressed batches are recompressed with their own codec.
 */
export function retainRecords(buf: Buffer, pos: number, keep: (record: Record) => boolean): { batch: Buffer; kept: number; removed: number } {
  const header = readBatchHeader(buf, pos);
  const data = decompress(header.compression, buf.subarray(pos + HEADER_SIZE, pos + header.size));
  // [start, end) pairs of kept bytes; neighbouring kept records share one range.
  const ranges: number[] = [];
  let kept = 0;
  let maxTimestamp = -1;
  scanRecords(header, data, (r, start, end) => {
    if (!keep(r)) return;
    kept++;
    maxTimestamp = Math.max(maxTimestamp, r.timestamp);
    if (ranges.length > 0 && ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end;
    else ranges.push(start, end);
  });
  const parts: Buffer[] = [];
  for (let i = 0; i < ranges.length; i += 2) parts.push(data.subarray(ranges[i], ranges[i + 1]));
  const removed = header.recordCount - kept;
  if (removed === 0) return { batch: buf.subarray(pos, pos + header.size), kept, removed };
  const payload = compress(header.compression, Buffer.concat(parts));
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  buf.copy(out, 0, pos, pos + HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt32BE(kept, RECORD_COUNT);
  // LogAppendTime batches carry their one timestamp in maxTimestamp; CreateTime's max shrinks to the kept records'.
  if (!header.logAppendTime && kept > 0) out.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP);
  payload.copy(out, HEADER_SIZE);
  rewriteCrc(out, 0, out.length);
  return { batch: out, kept, removed };
}

/** Every record of every whole batch in buf, in offset order. */
export function decodeRecords(buf: Buffer): Record[] {
  const out: Record[] = [];
  forEachBatch(buf, (h, pos) => {
    if (!h.control) for (const r of decodeRecordBatch(buf, pos).records) out.push(r);
  });
  return out;
}
