import { crc32c } from "@node-rs/crc32";
import type { FlumeEvent } from "../model";

/**
 * File channel log records. One record holds one committed transaction — its puts (each with its
 * sequence number) and the sequence numbers it took — so a transaction is one contiguous write and
 * replay applies whole transactions or nothing:
 *   u32 payloadLength | u32 crc32c(payload) | payload
 *   payload = u32 putCount, put* , u32 takeCount, f64 takenSeq*
 *   put     = f64 seq, u16 headerCount, (u32 keyLen, key, u32 valueLen, value)*, u32 bodyLen, body
 * A record whose length or checksum does not match is a torn tail from a crash: its commit never
 * resolved, so replay stops there and the log is truncated to the last whole record.
 */
export interface StoredEvent {
  seq: number;
  event: FlumeEvent;
}

const RECORD_HEADER = 8;

export function encodeRecord(puts: readonly StoredEvent[], takes: readonly StoredEvent[]): Buffer {
  let size = 4 + 4 + takes.length * 8;
  for (const { event } of puts) {
    size += 8 + 2 + 4 + event.body.length;
    for (const k in event.headers) size += 8 + Buffer.byteLength(k) + Buffer.byteLength(event.headers[k]);
  }
  const buf = Buffer.allocUnsafe(RECORD_HEADER + size);
  let o = RECORD_HEADER;
  o = buf.writeUInt32BE(puts.length, o);
  for (const { seq, event } of puts) {
    o = buf.writeDoubleBE(seq, o);
    const keys = Object.keys(event.headers);
    o = buf.writeUInt16BE(keys.length, o);
    for (const k of keys) {
      const kl = buf.write(k, o + 4);
      buf.writeUInt32BE(kl, o);
      o += 4 + kl;
      const vl = buf.write(event.headers[k], o + 4);
      buf.writeUInt32BE(vl, o);
      o += 4 + vl;
    }
    o = buf.writeUInt32BE(event.body.length, o);
    o += event.body.copy(buf, o);
  }
  o = buf.writeUInt32BE(takes.length, o);
  for (const t of takes) o = buf.writeDoubleBE(t.seq, o);
  buf.writeUInt32BE(size, 0);
  buf.writeUInt32BE(crc32c(buf.subarray(RECORD_HEADER)), 4);
  return buf;
}

export interface ReplayResult {
  /** Committed, not yet take-committed events in sequence order. */
  live: Map<number, FlumeEvent>;
  /** Byte length of the whole records; anything after is a torn tail. */
  validBytes: number;
  maxSeq: number;
}

export function replay(log: Buffer, live = new Map<number, FlumeEvent>()): ReplayResult {
  let o = 0;
  let maxSeq = 0;
  while (o + RECORD_HEADER <= log.length) {
    const size = log.readUInt32BE(o);
    const end = o + RECORD_HEADER + size;
    if (end > log.length) break;
    const payload = log.subarray(o + RECORD_HEADER, end);
    if (crc32c(payload) !== log.readUInt32BE(o + 4)) break;
    let p = 0;
    const nPuts = payload.readUInt32BE(p);
    p += 4;
    for (let i = 0; i < nPuts; i++) {
      const seq = payload.readDoubleBE(p);
      p += 8;
      const nHeaders = payload.readUInt16BE(p);
      p += 2;
      const headers: Record<string, string> = {};
      for (let h = 0; h < nHeaders; h++) {
        const kl = payload.readUInt32BE(p);
        const k = payload.toString("utf8", p + 4, p + 4 + kl);
        p += 4 + kl;
        const vl = payload.readUInt32BE(p);
        headers[k] = payload.toString("utf8", p + 4, p + 4 + vl);
        p += 4 + vl;
      }
      const bl = payload.readUInt32BE(p);
      // Copy so the replayed events do not pin the whole log buffer in memory.
      const body = Buffer.from(payload.subarray(p + 4, p + 4 + bl));
      p += 4 + bl;
      live.set(seq, { headers, body });
      if (seq > maxSeq) maxSeq = seq;
    }
    const nTakes = payload.readUInt32BE(p);
    p += 4;
    for (let i = 0; i < nTakes; i++) {
      live.delete(payload.readDoubleBE(p));
      p += 8;
    }
    o = end;
  }
  return { live, validBytes: o, maxSeq };
}
