import { setImmediate as yieldToAppends } from "node:timers/promises";
import { logger } from "../../log";
import { ATTRIBUTES, BASE_TIMESTAMP, BATCH_LENGTH, decodeRecordBatch, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, readBatchHeader, retainRecords, rewriteCrc } from "../../kafka/records/batch";
import { discardCleaned } from "./cleaner-files";
import type { PartitionLog } from "./partition-log";
import { Segment, SegmentRetiredError } from "./segment";
import { isCommitMarker } from "./txn-index";

const log = logger("broker.cleaner");

/** Keys the cleaner's offset map holds in one pass (Kafka's log.cleaner.dedupe.buffer.size, counted in keys). */
export const DEFAULT_MAX_CLEANER_KEYS = 1_000_000;
const READ_CHUNK = 1 << 20;

/** KIP-534: attribute bit 6 says the batch's base timestamp is the time from which the cleaner may drop it. */
const DELETE_HORIZON_BIT = 0x40;

/** The delete horizon the cleaner stamped on a batch, or null. */
function deleteHorizon(batch: Buffer): number | null {
  return batch.readInt16BE(ATTRIBUTES) & DELETE_HORIZON_BIT ? Number(batch.readBigInt64BE(BASE_TIMESTAMP)) : null;
}

/** A copy of a marker batch that may be dropped from `horizon` on. */
function withDeleteHorizon(batch: Buffer, horizon: number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt16BE(b.readInt16BE(ATTRIBUTES) | DELETE_HORIZON_BIT, ATTRIBUTES);
  b.writeBigInt64BE(BigInt(horizon), BASE_TIMESTAMP);
  rewriteCrc(b, 0, b.length);
  return b;
}

/** The broker is shutting down: the cleaner drops its unfinished replacement. */
class CleaningStopped extends Error {}

export interface CleanResult {
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** The new first dirty offset. */
  cleanedTo: number;
}

/** Every whole batch of a segment, read asynchronously in large chunks so appends keep running meanwhile. */
async function* batchesOf(seg: Segment): AsyncGenerator<{ buf: Buffer; at: number; size: number }> {
  let pos = 0;
  while (pos < seg.size) {
    let buf = await seg.readAt(pos, Math.min(READ_CHUNK, seg.size - pos));
    if (buf.length < HEADER_SIZE) return;
    const first = buf.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    if (first > buf.length) buf = await seg.readAt(pos, first);
    let at = 0;
    while (at + HEADER_SIZE <= buf.length) {
      const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      if (at + size > buf.length) break;
      yield { buf, at, size };
      at += size;
    }
    pos += at;
  }
}

/**
 * Log compaction for cleanup.policy=compact (and compact,delete): keeps the latest record of each
 * key in the closed segments, drops tombstones older than delete.retention.ms, keeps offsets.
 * It never touches the active segment, so appends never wait for it; it reads and writes
 * asynchronously and puts each rewritten group of segments in place with one swap.
 */
export class LogCleaner {
  private stopped = false;

  constructor(
    private clock: () => number = Date.now,
    private maxKeys = DEFAULT_MAX_CLEANER_KEYS,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /**
   * Closed segments old enough for min.compaction.lag.ms and below the last stable offset: the
   * cleaner's whole range. An open transaction's records are never compacted, since whether they
   * count depends on the marker still to come.
   */
  private cleanable(p: PartitionLog, now: number): Segment[] {
    const lag = p.logSettings.minCompactionLagMs;
    const stable = p.lastStableOffset;
    const out: Segment[] = [];
    for (const seg of p.closedSegments()) {
      if (lag > 0 && seg.maxTimestamp > now - lag) break;
      if (seg.nextOffset > stable) break;
      out.push(seg);
    }
    return out;
  }

  /** The share of the cleanable bytes not yet compacted, as min.cleanable.dirty.ratio compares it. */
  dirtyRatio(p: PartitionLog, now = this.clock()): number {
    const segs = this.cleanable(p, now);
    const total = segs.reduce((n, s) => n + s.size, 0);
    const dirty = segs.filter((s) => s.nextOffset > p.cleanedTo).reduce((n, s) => n + s.size, 0);
    return total === 0 ? 0 : dirty / total;
  }

  /** Compacts one partition if it is due; null when it is not (policy, ratio or nothing cleanable). */
  async clean(p: PartitionLog): Promise<CleanResult | null> {
    const s = p.logSettings;
    if (!s.compact) return null;
    const now = this.clock();
    const cleanable = this.cleanable(p, now);
    const firstDirty = cleanable.findIndex((seg) => seg.nextOffset > Math.max(p.cleanedTo, p.logStartOffset));
    if (firstDirty < 0) return null;
    // max.compaction.lag.ms: a dirty segment whose newest record is older than this is cleaned whatever the ratio.
    const overdue = cleanable[firstDirty].maxTimestamp >= 0 && cleanable[firstDirty].maxTimestamp < now - s.maxCompactionLagMs;
    if (!overdue && this.dirtyRatio(p, now) < s.minCleanableDirtyRatio) return null;

    // Pass 1: the latest offset of every key in the dirty segments (as many segments as the map holds).
    // Aborted transactions' records never count: an aborted write must not hide the committed value before it.
    const abortedRanges = p.abortedRanges();
    const aborted = (h: { transactional: boolean; producerId: number; baseOffset: number }) => h.transactional && !!abortedRanges.get(h.producerId)?.some(([first, last]) => h.baseOffset >= first && h.baseOffset <= last);
    const latest = new Map<string, number>();
    let end = firstDirty;
    while (end < cleanable.length && (end === firstDirty || latest.size < this.maxKeys)) {
      for await (const { buf, at } of batchesOf(cleanable[end])) {
        const h = readBatchHeader(buf, at);
        if (h.control || aborted(h)) continue;
        for (const r of decodeRecordBatch(buf, at).records) if (r.key) latest.set(r.key.toString("latin1"), r.offset);
        if (this.stopped) return null;
      }
      end++;
    }
    const range = cleanable.slice(0, end);
    const cleanedTo = range[range.length - 1].nextOffset;
    const tombstoneHorizon = now - s.deleteRetentionMs;
    const keep = (r: { key: Buffer | null; value: Buffer | null; offset: number; timestamp: number }) => {
      if (!r.key) return true; // nothing to deduplicate by
      const newest = latest.get(r.key.toString("latin1"));
      if (newest !== undefined && r.offset < newest) return false;
      return r.value !== null || r.timestamp >= tombstoneHorizon;
    };

    // Pass 2: rewrite groups of neighbouring segments that fit in one segment together. The range
    // starts at the log's first segment, so every batch of a transaction it ends is seen before its
    // marker: producers whose transaction still has a batch in the cleaned log.
    const withData = new Set<number>();
    const result: CleanResult = { segmentsBefore: range.length, segmentsAfter: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, cleanedTo };
    for (const group of this.groups(range, s.segmentBytes)) {
      const cleaned = Segment.create(p.dir, group[0].baseOffset, group[0].createdAt, p.handles, ".log.cleaned");
      let removed = 0;
      const droppedAborts: { producerId: number; lastOffset: number }[] = [];
      try {
        for (const [i, seg] of group.entries()) {
          const lastInGroup = i === group.length - 1;
          for await (const { buf, at, size } of batchesOf(seg)) {
            const h = readBatchHeader(buf, at);
            let batch = buf.subarray(at, at + size);
            const isLast = lastInGroup && h.baseOffset + h.lastOffsetDelta === seg.nextOffset - 1;
            // An emptied batch, or a marker, stays where offsets or producer state need its header.
            const needed = isLast || (h.producerId >= 0 && p.isProducerStateBatch(h.producerId, h.baseOffset));
            if (h.control) {
              const marker = this.marker(batch, withData.delete(h.producerId), needed, now, s.deleteRetentionMs);
              if (!marker) {
                if (!isCommitMarker(batch, 0)) droppedAborts.push({ producerId: h.producerId, lastOffset: h.baseOffset });
                continue;
              }
              batch = marker;
            } else {
              const r = retainRecords(buf, at, aborted(h) ? () => false : keep);
              removed += r.removed;
              if (r.kept === 0 && !needed) continue;
              batch = r.batch;
              if (h.transactional) withData.add(h.producerId);
            }
            const pos = cleaned.append(batch);
            cleaned.track(h.baseOffset, h.baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA), Number(batch.readBigInt64BE(MAX_TIMESTAMP)), pos, batch.length, s.indexIntervalBytes);
            if (this.stopped) throw new CleaningStopped();
          }
          await yieldToAppends();
        }
        await cleaned.flush();
      } catch (err) {
        discardCleaned(cleaned);
        // Retention or DeleteRecords removed a segment under the cleaner, or the broker is stopping.
        if (err instanceof SegmentRetiredError || err instanceof CleaningStopped) return null;
        throw err;
      }
      result.bytesBefore += group.reduce((n, seg) => n + seg.size, 0);
      if (!p.replaceSegments(group, cleaned, droppedAborts)) return null;
      result.bytesAfter += cleaned.size;
      result.recordsRemoved += removed;
      result.segmentsAfter++;
    }
    p.markCleaned(cleanedTo);
    log.info({ topic: p.topic, partition: p.partition, ...result }, "compacted");
    return result;
  }

  /**
   * A transaction's marker as the cleaned log keeps it, or null to drop it, as Kafka's cleaner does:
   * while any batch of the transaction is left the marker stays (a read_committed reader needs it
   * to end the transaction, a restart to close it). Once none is, the first pass stamps a delete
   * horizon delete.retention.ms away, so a reader that already read the data still meets the
   * marker, and a pass after the horizon drops it — unless the log needs its header (`needed`).
   */
  private marker(batch: Buffer, withData: boolean, needed: boolean, now: number, deleteRetentionMs: number): Buffer | null {
    if (withData) return batch;
    const horizon = deleteHorizon(batch);
    if (horizon === null) return withDeleteHorizon(batch, now + deleteRetentionMs);
    return horizon <= now && !needed ? null : batch;
  }

  /** Kafka groups small neighbours so compaction does not leave a trail of tiny segments. */
  private groups(range: Segment[], segmentBytes: number): Segment[][] {
    const out: Segment[][] = [];
    let current: Segment[] = [];
    let bytes = 0;
    for (const seg of range) {
      // Relative offsets in the index are int32: a group must span less than 2^31 offsets.
      const span = seg.nextOffset - (current[0]?.baseOffset ?? seg.baseOffset);
      if (current.length > 0 && (bytes + seg.size > segmentBytes || span >= 2 ** 31)) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      current.push(seg);
      bytes += seg.size;
    }
    if (current.length > 0) out.push(current);
    return out;
  }
}
