import { existsSync, fsyncSync, ftruncateSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DELETE_TO_HIGH_WATERMARK, ListOffsetsTimestamp, UNKNOWN_TIMESTAMP } from "../../kafka/constants";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { logger } from "../../log";
import { assignOffsets, ATTRIBUTES, BASE_OFFSET, BASE_TIMESTAMP, BATCH_LENGTH, CONTROL_BIT, decodeRecordBatch, HEADER_SIZE, keylessRecords, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, PRODUCER_ID, readBatchHeader, RECORD_COUNT, repairMaxTimestamp, stampLogAppendTime, TRANSACTIONAL_BIT, validateBatch } from "../../kafka/records/batch";
import { fsyncDirAsync, writeFileAtomic, writeFileAtomicAsync } from "./atomic";
import { commitSwap, completeSwaps, discardCleaned } from "./cleaner-files";
import type { LogSettings } from "./configs";
import { FileHandles } from "./file-handles";
import { invariant, StorageInvariantError } from "./invariants";
import { ProducerStates, type ProducerEntry } from "./producer-state";
import { Segment, SegmentRetiredError } from "./segment";
import { isCommitMarker, TransactionIndex } from "./txn-index";
import { LeaderEpochCache } from "./leader-epochs";

const log = logger("broker.log");

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker time stamped on LogAppendTime topics; -1 for CreateTime. */
  logAppendTime: number;
  logStartOffset: number;
}

export interface ReadResult {
  /** Whole record batches, exactly as stored. */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  lastStableOffset: number;
  /** read_committed only: the aborted transactions within the records returned. */
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
}

/** Kafka's isolation levels: read everything up to the high watermark, or only committed data up to the last stable offset. */
export type IsolationLevel = "read_uncommitted" | "read_committed";

/** How far a read may go: a consumer's isolation level, or a follower's "replica", which reads to the log end. */
export type ReadLimit = IsolationLevel | typeof READ_TO_LOG_END;

interface Checkpoint {
  logStartOffset: number;
  /** Segments below this offset were flushed and need no validation after a crash. */
  recoveryPoint: number;
  /** Producer state as of producerOffset; batches after it are replayed from the log. */
  producers: [number, ProducerEntry][];
  producerOffset: number;
  /** Open transactions (producer id, first offset) as of producerOffset. */
  transactions?: [number, number][];
  /** The cleaner's first dirty offset: everything below it was compacted at least once. */
  cleanedTo?: number;
}

/** INVALID_RECORD naming the refused records by their index in the request (Produce v8+ recordErrors). */
export class InvalidRecordsError extends KafkaError {
  constructor(
    readonly recordIndexes: number[],
    message: string,
  ) {
    super(ErrorCode.INVALID_RECORD, message);
  }

  /** Kafka's wording for each record. */
  static readonly RECORD_MESSAGE = "Compacted topic cannot accept a record without a key";
}

/** The only leader epoch a single broker's partitions have. */
const PARTITION_LEADER_EPOCH = 0;
const READ_TO_LOG_END = "replica";
const CHECKPOINT = "checkpoint.json";
const CLEAN = ".clean-shutdown";

/**
 * One partition's log: a directory of segments. Appends are synchronous writes to the page cache
 * (so offsets and file positions advance together, in one tick); durability comes from fdatasync,
 * shared by every append waiting at the time (group commit). Consumers see records up to the
 * high watermark, which on a durable topic is the last flushed offset — so nothing a consumer
 * read can vanish in a crash. In a cluster the replicas also bound it (replicatedHighWatermark),
 * and followers append the leader's batches as they are (appendReplica) and truncate to it.
 */
export class PartitionLog {
  private segments: Segment[] = [];
  private producers = new ProducerStates();
  private txns: TransactionIndex;
  private listeners = new Set<() => void>();
  /** Followers' long polls: told of every append, before the high watermark moves. */
  private logEndListeners = new Set<() => void>();
  /** Where this log's high watermark would be on its own: the last flushed offset (or the log end without flush.messages=1). */
  private localHighWatermark = 0;
  /**
   * Cluster mode: how far the other replicas allow the high watermark (a leader: the lowest log end
   * of its in-sync followers; a follower: the leader's high watermark). Undefined on a single node,
   * whose high watermark is its own.
   */
  private replicatedTo: number | undefined;
  /** The leader epoch stamped on batches this broker appends as leader. */
  leaderEpoch = PARTITION_LEADER_EPOCH;
  /** Cluster mode: another broker leads; only its batches (appendReplica) may be written here. */
  following = false;
  readonly epochs: LeaderEpochCache;
  private flushing: Promise<void> | null = null;
  private nextFlush: Promise<void> | null = null;
  private unflushed = 0;
  private lastFlushAt: number;
  /** fdatasyncs done on this log (group commit shows as far fewer than appends). */
  flushCount = 0;
  /** Log end offset as of the last completed fdatasync. */
  private flushedTo = 0;
  private recoveryPoint = 0;
  /** First offset the cleaner has not compacted yet (Kafka's cleaner checkpoint). */
  cleanedTo = 0;
  logStartOffset = 0;
  highWatermark = 0;
  /** Set when recovery found corruption it must not silently cut away; writes are refused. */
  corruption: string | undefined;

  private constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    private settings: LogSettings,
    private clock: () => number,
    readonly handles: FileHandles,
  ) {
    this.lastFlushAt = clock();
    this.txns = new TransactionIndex(dir);
    this.epochs = new LeaderEpochCache(dir);
  }

  /** handles: the broker-wide open-file limit the log's segments share (a private one when omitted). */
  static open(dir: string, topic: string, partition: number, settings: LogSettings, clock: () => number = Date.now, handles = new FileHandles()): PartitionLog {
    mkdirSync(dir, { recursive: true });
    const p = new PartitionLog(dir, topic, partition, settings, clock, handles);
    p.recover();
    return p;
  }

  /**
   * A new, empty partition, made without blocking the event loop: its directory is created (any
   * leftover of a topic deleted before a crash removed first) and its first segment's file is
   * made on first use.
   */
  static async create(dir: string, topic: string, partition: number, settings: LogSettings, clock: () => number = Date.now, handles = new FileHandles()): Promise<PartitionLog> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const p = new PartitionLog(dir, topic, partition, settings, clock, handles);
    p.segments.push(Segment.fresh(dir, 0, clock(), handles));
    return p;
  }

  get logSettings(): LogSettings {
    return this.settings;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private get durable(): boolean {
    return this.settings.flushMessages <= 1;
  }

  private recover(): void {
    const clean = existsSync(join(this.dir, CLEAN));
    rmSync(join(this.dir, CLEAN), { force: true });
    let cp: Checkpoint | undefined;
    try {
      cp = JSON.parse(readFileSync(join(this.dir, CHECKPOINT), "utf8")) as Checkpoint;
    } catch {
      cp = undefined;
    }
    for (const f of readdirSync(this.dir)) if (f.endsWith(".tmp")) rmSync(join(this.dir, f), { force: true });
    completeSwaps(this.dir);
    const bases = readdirSync(this.dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    const recoveryPoint = clean ? Infinity : (cp?.recoveryPoint ?? 0);
    bases.forEach((base, i) => {
      const isTail = i === bases.length - 1;
      const nextBase = isTail ? Infinity : bases[i + 1];
      const validate = !clean && nextBase > recoveryPoint;
      const { segment, truncated, corrupt } = Segment.open(this.dir, base, this.handles, {
        validate,
        maxBatchBytes: Math.max(this.settings.maxMessageBytes, this.settings.segmentBytes),
        indexIntervalBytes: this.settings.indexIntervalBytes,
      });
      if (corrupt && !isTail) {
        // Cutting here would drop every later segment's acknowledged records; stop and say so.
        this.corruption = `segment ${base} of ${this.topic}-${this.partition} is corrupt before the tail (${corrupt}); the partition refuses writes until an operator repairs it`;
        log.error({ topic: this.topic, partition: this.partition, segment: base, reason: corrupt }, "CORRUPT LOG SEGMENT before the tail");
      } else if (truncated > 0) {
        log.warn({ topic: this.topic, partition: this.partition, segment: base, bytes: truncated, reason: corrupt }, "truncated a torn tail after an unclean shutdown");
      }
      this.segments.push(segment);
    });
    if (this.segments.length === 0) this.segments.push(Segment.create(this.dir, cp?.logStartOffset ?? 0, this.clock(), this.handles));
    this.logStartOffset = Math.max(this.segments[0].baseOffset, Math.min(cp?.logStartOffset ?? 0, this.logEndOffset));
    this.highWatermark = this.logEndOffset;
    this.localHighWatermark = this.logEndOffset;
    this.epochs.load(this.logEndOffset);
    this.recoveryPoint = this.logEndOffset;
    this.flushedTo = this.logEndOffset;
    this.cleanedTo = Math.min(cp?.cleanedTo ?? 0, this.logEndOffset);
    this.rebuildProducers(cp && cp.producerOffset <= this.logEndOffset ? cp : undefined);
  }

  /**
   * Producer state and open transactions from the snapshot, then every producer's batch after it;
   * the aborted-transaction index is kept up to the snapshot and rebuilt from the log after it.
   */
  private rebuildProducers(cp: Checkpoint | undefined): void {
    this.producers = cp ? ProducerStates.fromJSON(cp.producers) : new ProducerStates();
    const from = cp ? cp.producerOffset : this.logStartOffset;
    this.txns.load(from, cp?.transactions ?? []);
    for (const seg of this.segments) {
      if (seg.nextOffset <= from) continue;
      let pos = seg.lookup(from);
      while (pos + HEADER_SIZE <= seg.size) {
        const header = readBatchHeader(seg.readSyncAt(pos, HEADER_SIZE));
        // An epoch whose checkpoint write a crash lost starts at its first batch.
        if (header.baseOffset >= from && header.partitionLeaderEpoch >= 0) this.epochs.assign(header.partitionLeaderEpoch, header.baseOffset);
        if (header.producerId >= 0 && header.baseOffset >= from && header.control) {
          this.producers.fence(header.producerId, header.producerEpoch);
          this.txns.end(header.producerId, isCommitMarker(seg.readSyncAt(pos, header.size), 0), header.baseOffset);
        } else if (header.producerId >= 0 && header.baseOffset >= from && header.transactional) {
          this.txns.begin(header.producerId, header.baseOffset);
        }
        if (header.producerId >= 0 && header.baseOffset >= from && header.baseSequence >= 0) {
          this.producers.record(header.producerId, header.producerEpoch, {
            firstSeq: header.baseSequence,
            lastSeq: header.baseSequence + header.lastOffsetDelta,
            baseOffset: header.baseOffset,
            lastOffset: header.baseOffset + header.lastOffsetDelta,
          });
        }
        pos += header.size;
      }
    }
    if (from < this.logEndOffset) this.txns.rewrite(this.segments.map((seg) => seg.baseOffset));
  }

  updateSettings(settings: LogSettings): void {
    this.settings = settings;
  }

  /** Calls fn whenever the high watermark moves (Fetch long-polls wait on this). Returns the unsubscribe. */
  onAppend(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A broken storage invariant stops writes to this partition; returns the error to throw. */
  private broken(err: StorageInvariantError): StorageInvariantError {
    this.corruption ??= err.message;
    log.error({ topic: this.topic, partition: this.partition, reason: err.message }, "storage invariant broken; refusing writes");
    return err;
  }

  /** Calls fn after every append, before its records are replicated or flushed (followers' fetches wait on this). */
  onLogEnd(fn: () => void): () => void {
    this.logEndListeners.add(fn);
    return () => this.logEndListeners.delete(fn);
  }

  private advanceHighWatermark(local: number): void {
    if (local > this.localHighWatermark) this.localHighWatermark = local;
    const to = this.replicatedTo === undefined ? this.localHighWatermark : Math.min(this.localHighWatermark, this.replicatedTo);
    if (to <= this.highWatermark) return;
    // Reads serve everything below the high watermark: past the log end they would serve bytes that are not there.
    if (to > this.logEndOffset) throw this.broken(new StorageInvariantError(`the high watermark of ${this.topic}-${this.partition} would pass its log end (${to} > ${this.logEndOffset})`));
    this.highWatermark = to;
    for (const fn of this.listeners) fn();
  }

  /**
   * Cluster mode: the high watermark the replicas allow (see replicatedTo); it never passes what
   * this log has flushed itself, and never moves back.
   */
  replicatedHighWatermark(to: number): void {
    this.replicatedTo = to;
    this.advanceHighWatermark(this.localHighWatermark);
  }

  /** This log's own high watermark, before the replicas' limit: what a leader counts as its own log end. */
  get localEnd(): number {
    return this.localHighWatermark;
  }

  /**
   * Appends the record batches of one produce request for this partition. Every batch is
   * validated before anything is written; offsets are assigned by rewriting each batch's header.
   * flush=false (the transaction coordinator's markers and records, whose durability it arranges)
   * resolves once written, leaving a durable topic's fdatasync to the next group commit.
   */
  async append(batches: Buffer, origin: "client" | "coordinator" = "client", flush = true): Promise<AppendResult> {
    if (this.corruption) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, this.corruption);
    // A record written here but not on the leader would make this replica's log diverge from it.
    if (this.following) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.topic}-${this.partition} is led by another broker; write there`);
    const s = this.settings;
    // Pass 1: validate; then find duplicates of an idempotent producer's retried batches.
    const { positions, records } = this.validateBatches(batches, origin);
    const now = this.clock();
    let first = -1;
    let lastOffset = -1;
    let nextOffset = this.logEndOffset;
    const idempotent: { pid: number; epoch: number; firstSeq: number; lastSeq: number; base: number; last: number }[] = [];
    for (const at of positions) {
      const h = readBatchHeader(batches, at);
      // Transactional batches carry sequences in practice, but their epoch is checked even without: a fenced incarnation must not write.
      if (h.control || h.transactional) this.producers.checkEpoch(h.producerId, h.producerEpoch);
      if (h.producerId >= 0 && h.baseSequence >= 0) {
        const lastSeq = h.baseSequence + h.lastOffsetDelta;
        const seen = this.producers.check(h.producerId, h.producerEpoch, h.baseSequence, lastSeq);
        if (seen.duplicate) {
          if (positions.length > 1) throw new KafkaError(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, "a retried batch arrived together with new ones");
          return { baseOffset: seen.duplicate.baseOffset, lastOffset: seen.duplicate.lastOffset, logAppendTime: s.logAppendTime ? now : UNKNOWN_TIMESTAMP, logStartOffset: this.logStartOffset };
        }
        idempotent.push({ pid: h.producerId, epoch: h.producerEpoch, firstSeq: h.baseSequence, lastSeq, base: nextOffset, last: nextOffset + h.lastOffsetDelta });
      }
      // Pass 2 (same loop): assign offsets in place; only LogAppendTime changes CRC-covered bytes.
      assignOffsets(batches, at, nextOffset, this.leaderEpoch);
      if (s.logAppendTime) stampLogAppendTime(batches, at, h.size, now);
      if (first < 0) first = nextOffset;
      lastOffset = nextOffset + h.lastOffsetDelta;
      nextOffset = lastOffset + 1;
    }

    const seg = this.write(batches, positions, now);
    for (const b of idempotent) this.producers.record(b.pid, b.epoch, { firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: b.base, lastOffset: b.last });
    for (const at of positions) this.trackTransaction(batches, at, seg.baseOffset);
    this.epochs.assign(this.leaderEpoch, first);

    this.unflushed += records;
    const result = { baseOffset: first, lastOffset, logAppendTime: s.logAppendTime ? now : UNKNOWN_TIMESTAMP, logStartOffset: this.logStartOffset };
    return this.appended(result, flush);
  }

  /**
   * After an append: followers are told, then the records become durable (and visible) per
   * flush.messages; flush=false leaves a durable topic's fdatasync to the next group commit.
   */
  private async appended<T>(result: T, flush = true): Promise<T> {
    const s = this.settings;
    for (const fn of this.logEndListeners) fn();
    if (this.durable) {
      if (flush) await this.flush();
    } else {
      this.advanceHighWatermark(this.logEndOffset);
      if (this.unflushed >= s.flushMessages) void this.flush().catch((err) => log.error({ err, topic: this.topic }, "flush failed"));
    }
    return result;
  }

  /** Writes whole batches (offsets already in their headers) to the active segment, rolling first when due, and indexes them. */
  private write(batches: Buffer, positions: number[], now: number): Segment {
    let seg: Segment;
    let filePos: number;
    try {
      this.maybeRoll(batches.length, now);
      seg = this.active;
      filePos = seg.append(batches);
    } catch (err) {
      if (err instanceof StorageInvariantError) throw this.broken(err);
      const code = (err as NodeJS.ErrnoException).code;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, code === "ENOSPC" ? "disk full: nothing was appended; free space and retry" : `write failed (${code ?? (err as Error).message}); nothing was appended`);
    }
    try {
      for (const at of positions) {
        const size = batches.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
        const base = Number(batches.readBigInt64BE(at + BASE_OFFSET));
        seg.track(base, base + batches.readInt32BE(at + LAST_OFFSET_DELTA), Number(batches.readBigInt64BE(at + MAX_TIMESTAMP)), filePos + at, size, this.settings.indexIntervalBytes);
      }
    } catch (err) {
      throw err instanceof StorageInvariantError ? this.broken(err) : err;
    }
    return seg;
  }

  /**
   * A follower's append: the leader's batches byte for byte (offsets, leader epochs, timestamps,
   * CRCs), after the same framing and CRC checks, continuing at this log's end. A trailing partial
   * batch (a size-limited fetch) is left for the next fetch. Producer state, transactions and the
   * leader-epoch cache follow the batches, so this replica can lead with them.
   */
  async appendReplica(batches: Buffer): Promise<{ lastOffset: number }> {
    if (this.corruption) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, this.corruption);
    const positions: number[] = [];
    let pos = 0;
    let next = this.logEndOffset;
    while (pos + HEADER_SIZE <= batches.length && pos + batches.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD <= batches.length) {
      const size = validateBatch(batches, pos, Math.max(this.settings.maxMessageBytes, this.settings.segmentBytes));
      const base = Number(batches.readBigInt64BE(pos + BASE_OFFSET));
      // Compaction on the leader may leave gaps, never overlaps: an earlier offset means the logs diverged.
      invariant(base >= next, () => `the leader sent ${this.topic}-${this.partition} a batch at offset ${base}, below this replica's log end ${next}`);
      positions.push(pos);
      next = base + batches.readInt32BE(pos + LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    if (!positions.length) return { lastOffset: this.logEndOffset - 1 };
    const slice = pos === batches.length ? batches : batches.subarray(0, pos);
    const seg = this.write(slice, positions, this.clock());
    let records = 0;
    for (const at of positions) {
      const h = readBatchHeader(slice, at);
      records += h.lastOffsetDelta + 1;
      if (h.producerId >= 0 && h.baseSequence >= 0 && !h.control) {
        this.producers.record(h.producerId, h.producerEpoch, { firstSeq: h.baseSequence, lastSeq: h.baseSequence + h.lastOffsetDelta, baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta });
      }
      this.trackTransaction(slice, at, seg.baseOffset);
      this.epochs.assign(h.partitionLeaderEpoch, h.baseOffset);
    }
    this.unflushed += records;
    return this.appended({ lastOffset: next - 1 });
  }

  /**
   * A follower cuts its log back to `offset` (where it and a new leader agree), at a batch
   * boundary: the batch holding `offset` goes too. Below the log start the log restarts empty at
   * `offset`. Producer state and the transaction index are rebuilt from what remains.
   */
  async truncateTo(offset: number): Promise<void> {
    if (offset >= this.logEndOffset) return;
    if (offset <= this.logStartOffset) return this.startAt(Math.max(offset, 0));
    while (this.flushing) await this.flushing.catch(() => {});
    while (this.segments.length > 1 && this.active.baseOffset >= offset) this.segments.pop()!.delete();
    const seg = this.active;
    const at = await this.findBatch(seg, offset);
    if (at >= 0) {
      ftruncateSync(seg.fd, at);
      seg.close();
      seg.deleteIndexes();
      this.segments[this.segments.length - 1] = Segment.open(this.dir, seg.baseOffset, this.handles, { validate: true, maxBatchBytes: Math.max(this.settings.maxMessageBytes, this.settings.segmentBytes), indexIntervalBytes: this.settings.indexIntervalBytes }).segment;
    }
    this.truncated();
  }

  /** A follower whose log the leader's log start passed (or that must drop all of it) starts over, empty, at `offset`. */
  async startAt(offset: number): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
    for (const seg of this.segments) seg.delete();
    this.segments = [Segment.create(this.dir, offset, this.clock(), this.handles)];
    this.logStartOffset = offset;
    this.highWatermark = offset;
    this.localHighWatermark = offset;
    this.flushedTo = offset;
    this.recoveryPoint = offset;
    this.cleanedTo = offset;
    this.truncated();
  }

  /** After a truncation: the bookkeeping that follows the log end goes back with it. */
  private truncated(): void {
    const end = this.logEndOffset;
    this.highWatermark = Math.min(this.highWatermark, end);
    this.localHighWatermark = Math.min(this.localHighWatermark, end);
    this.flushedTo = Math.min(this.flushedTo, end);
    this.recoveryPoint = Math.min(this.recoveryPoint, end);
    this.cleanedTo = Math.min(this.cleanedTo, end);
    this.epochs.truncateFrom(end);
    this.rebuildProducers(undefined);
    this.writeCheckpoint();
    log.info({ topic: this.topic, partition: this.partition, to: end }, "truncated to the leader's log");
  }

  /** Open transactions and the aborted index follow each transactional batch and marker as it is appended. */
  private trackTransaction(batches: Buffer, at: number, segmentBase: number): void {
    if ((batches.readInt16BE(at + ATTRIBUTES) & TRANSACTIONAL_BIT) === 0) return;
    const h = readBatchHeader(batches, at);
    if (!h.control) return this.txns.begin(h.producerId, h.baseOffset);
    this.producers.fence(h.producerId, h.producerEpoch);
    const aborted = this.txns.end(h.producerId, isCommitMarker(batches, at), h.baseOffset);
    if (aborted) this.txns.persist(aborted, segmentBase);
  }

  /**
   * The offset below which no transaction is open (Kafka's LSO): read_committed consumers read up
   * to it, and the cleaner compacts only below it.
   */
  get lastStableOffset(): number {
    const first = this.txns.firstUnstableOffset();
    return first === undefined ? this.highWatermark : Math.max(this.logStartOffset, Math.min(first, this.highWatermark));
  }

  /** Producers with a transaction open here, by the offset of its first batch (the coordinator checks them at start). */
  get openTransactions(): ReadonlyMap<number, number> {
    return this.txns.ongoing;
  }

  /** The epoch this partition last saw from a producer (its batches or markers), or 0. */
  producerEpoch(producerId: number): number {
    return this.producers.producers.get(producerId)?.epoch ?? 0;
  }

  /** Aborted offset ranges by producer: what the cleaner drops. */
  abortedRanges(): Map<number, [number, number][]> {
    return this.txns.abortedRanges();
  }

  /**
   * Checks every batch of a produce request before anything is written: framing, CRC and size,
   * a usable max timestamp (computed when the producer left it out), and on compacted topics a
   * key on every record. Only those two repairs look at records, and only when needed.
   */
  private validateBatches(batches: Buffer, origin: "client" | "coordinator"): { positions: number[]; records: number } {
    const s = this.settings;
    const positions: number[] = [];
    const keyless: number[] = [];
    let pos = 0;
    let records = 0;
    while (pos < batches.length) {
      const size = validateBatch(batches, pos, s.maxMessageBytes);
      const attributes = batches.readInt16BE(pos + ATTRIBUTES);
      if (attributes & CONTROL_BIT && origin === "client") throw new KafkaError(ErrorCode.INVALID_RECORD, "control batches (transaction markers) are written by the transaction coordinator; a producer may not send them");
      if (attributes & TRANSACTIONAL_BIT && Number(batches.readBigInt64BE(pos + PRODUCER_ID)) < 0) throw new KafkaError(ErrorCode.INVALID_RECORD, "a transactional batch needs the producer id InitProducerId gave");
      if (!s.logAppendTime) {
        const max = Number(batches.readBigInt64BE(pos + MAX_TIMESTAMP));
        if (max === UNKNOWN_TIMESTAMP || max < Number(batches.readBigInt64BE(pos + BASE_TIMESTAMP))) repairMaxTimestamp(batches, pos);
      }
      if (s.compact && !readBatchHeader(batches, pos).control) for (const i of keylessRecords(batches, pos)) keyless.push(records + i);
      positions.push(pos);
      records += batches.readInt32BE(pos + LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    if (positions.length === 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, "the produce request holds no record batch");
    if (keyless.length) throw new InvalidRecordsError(keyless, `${keyless.length} of the records have no key; a compacted topic (cleanup.policy=compact) keeps the latest record per key, so every record needs one`);
    return { positions, records };
  }

  private maybeRoll(incoming: number, now: number): void {
    const seg = this.active;
    if (seg.size === 0) return;
    if (seg.size + incoming <= this.settings.segmentBytes && now - seg.createdAt < this.settings.segmentMs) return;
    // A closed segment is flushed and indexed once, so recovery never needs to re-read it.
    fsyncSync(seg.fd);
    seg.writeIndexes();
    this.segments.push(Segment.create(this.dir, seg.nextOffset, now, this.handles));
    this.recoveryPoint = seg.nextOffset;
    this.writeCheckpoint();
  }

  /** fdatasync shared by every append that arrived before it starts (group commit). */
  flush(): Promise<void> {
    if (!this.flushing && this.flushedTo === this.logEndOffset) return Promise.resolve();
    if (!this.flushing) {
      const target = this.logEndOffset;
      const seg = this.active;
      this.unflushed = 0;
      this.flushing = seg
        .flush()
        .then(() => {
          this.flushCount++;
          this.flushedTo = Math.max(this.flushedTo, target);
          this.lastFlushAt = this.clock();
          this.advanceHighWatermark(target);
        })
        .finally(() => {
          this.flushing = null;
        });
      return this.flushing;
    }
    this.nextFlush ??= this.flushing.then(
      () => {
        this.nextFlush = null;
        return this.flush();
      },
      () => {
        this.nextFlush = null;
        return this.flush();
      },
    );
    return this.nextFlush;
  }

  /** flush.ms for topics that do not fsync every append. */
  flushIfDue(now: number): void {
    if (!this.durable && this.unflushed > 0 && now - this.lastFlushAt >= this.settings.flushMs) void this.flush().catch((err) => log.error({ err }, "flush failed"));
  }

  private segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Position of the first batch holding a record at or after offset, or -1 past the segment's end.
   * On compacted topics a batch's header can claim offsets whose records the cleaner removed (it
   * keeps lastOffsetDelta, as Kafka does); such a batch is skipped, so a reader that continues
   * after the last record it saw is never handed the same batch again.
   */
  private async findBatch(seg: Segment, offset: number): Promise<number> {
    let pos = seg.lookup(offset);
    const chunk = 64 * 1024;
    while (pos < seg.size) {
      const buf = await seg.readAt(pos, Math.min(chunk, seg.size - pos));
      let at = 0;
      while (at + HEADER_SIZE <= buf.length) {
        const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
        const base = Number(buf.readBigInt64BE(at + BASE_OFFSET));
        if (base + buf.readInt32BE(at + LAST_OFFSET_DELTA) >= offset && (!this.settings.compact || (await this.holdsRecordFrom(seg, buf, pos, at, size, offset)))) return pos + at;
        at += size;
      }
      pos += at;
    }
    return -1;
  }

  /** Whether a batch of a compacted log still has a record at or after offset (decoded only when offset falls inside it). */
  private async holdsRecordFrom(seg: Segment, buf: Buffer, pos: number, at: number, size: number, offset: number): Promise<boolean> {
    if (buf.readInt32BE(at + RECORD_COUNT) === 0) return false;
    if (Number(buf.readBigInt64BE(at + BASE_OFFSET)) >= offset) return true;
    const batch = at + size <= buf.length ? buf.subarray(at, at + size) : await seg.readAt(pos + at, size);
    return decodeRecordBatch(batch).records.some((r) => r.offset >= offset);
  }

  /**
   * Whole batches from offset up to maxBytes (at least one batch when minOneBatch, as Kafka
   * serves a first batch larger than the limit so consumers can always progress).
   */
  async read(offset: number, maxBytes: number, minOneBatch = true, isolation: ReadLimit = "read_uncommitted"): Promise<ReadResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.readOnce(offset, maxBytes, minOneBatch, isolation);
      } catch (err) {
        // The cleaner swapped a segment under this read: the segment list is current again now.
        if (!(err instanceof SegmentRetiredError) || attempt === 3) throw err;
      }
    }
  }

  private async readOnce(offset: number, maxBytes: number, minOneBatch: boolean, isolation: ReadLimit): Promise<ReadResult> {
    const committed = isolation === "read_committed";
    const lso = this.lastStableOffset;
    const result = (records: Buffer, end = offset): ReadResult => ({
      records,
      highWatermark: this.highWatermark,
      logStartOffset: this.logStartOffset,
      lastStableOffset: lso,
      abortedTransactions: committed ? this.txns.collect(offset, end) : null,
    });
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${this.logStartOffset}, ${this.logEndOffset}] of ${this.topic}-${this.partition}`);
    }
    const hw = committed ? lso : isolation === READ_TO_LOG_END ? this.logEndOffset : this.highWatermark;
    if (offset >= hw) return result(Buffer.alloc(0));
    for (let i = this.segmentFor(offset); i < this.segments.length; i++) {
      const seg = this.segments[i];
      const start = await this.findBatch(seg, offset);
      if (start < 0) continue;
      let buf = await seg.readAt(start, Math.min(Math.max(maxBytes, HEADER_SIZE), seg.size - start));
      const firstSize = buf.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
      if (firstSize > buf.length) {
        if (!minOneBatch) return result(Buffer.alloc(0));
        buf = await seg.readAt(start, firstSize);
      }
      // Cut to whole batches below the high watermark (read_committed: the last stable offset).
      let end = 0;
      let next = offset;
      while (end + HEADER_SIZE <= buf.length) {
        const size = buf.readInt32BE(end + BATCH_LENGTH) + LOG_OVERHEAD;
        if (end + size > buf.length || Number(buf.readBigInt64BE(end + BASE_OFFSET)) >= hw) break;
        next = Number(buf.readBigInt64BE(end + BASE_OFFSET)) + buf.readInt32BE(end + LAST_OFFSET_DELTA) + 1;
        end += size;
      }
      return result(buf.subarray(0, end), next);
    }
    return result(Buffer.alloc(0));
  }

  /** ListOffsets by time: the first record whose timestamp is ≥ ts, or null when every record is older. */
  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < ts || seg.nextOffset <= this.logStartOffset) continue;
      const from = Math.max(seg.lookupTime(ts) ?? seg.baseOffset, this.logStartOffset);
      let pos = await this.findBatch(seg, from);
      while (pos >= 0 && pos < seg.size) {
        const head = await seg.readAt(pos, HEADER_SIZE);
        const h = readBatchHeader(head);
        if (h.maxTimestamp >= ts && h.baseOffset + h.lastOffsetDelta >= this.logStartOffset) {
          const batch = await seg.readAt(pos, h.size);
          for (const r of decodeRecordBatch(batch).records) {
            if (r.offset >= this.logStartOffset && r.timestamp >= ts) return { offset: r.offset, timestamp: r.timestamp };
          }
        }
        pos += h.size;
      }
    }
    return null;
  }

  /** ListOffsets -3: the offset and time of the record with the largest timestamp. */
  maxTimestamp(): { offset: number; timestamp: number } | null {
    let best: { offset: number; timestamp: number } | null = null;
    for (const seg of this.segments) if (seg.maxTimestamp >= 0 && (!best || seg.maxTimestamp > best.timestamp)) best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp };
    return best;
  }

  /**
   * ListOffsets v0: up to max offsets, newest first, among the segment starts and the high
   * watermark whose time is at or before ts (-1 starts from the high watermark, -2 answers the log
   * start). A segment's time is its newest record's, as Kafka's was the file's last write.
   */
  offsetsBefore(ts: number, max: number): number[] {
    const points = this.segments.map((seg) => ({ offset: Math.max(seg.baseOffset, this.logStartOffset), time: seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.createdAt }));
    if (this.active.size > 0) points.push({ offset: this.highWatermark, time: this.clock() });
    let from = points.length - 1;
    if (ts === ListOffsetsTimestamp.EARLIEST) from = 0;
    else if (ts !== ListOffsetsTimestamp.LATEST) while (from >= 0 && points[from].time > ts) from--;
    const out: number[] = [];
    for (let i = from; i >= 0 && out.length < max; i--) out.push(points[i].offset);
    return out;
  }

  /** DeleteRecords: moves the log start offset; whole segments below it are deleted. */
  deleteRecordsBefore(offset: number): number {
    const target = offset === DELETE_TO_HIGH_WATERMARK ? this.highWatermark : offset;
    if (target < 0 || target > this.highWatermark) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete records before ${offset}: the high watermark is ${this.highWatermark}`);
    if (target > this.logStartOffset) {
      this.logStartOffset = target;
      this.dropSegments((seg, next) => next !== undefined && next.baseOffset <= target);
      this.writeCheckpoint();
    }
    return this.logStartOffset;
  }

  private dropSegments(shouldDrop: (seg: Segment, next: Segment | undefined) => boolean): number {
    let dropped = 0;
    while (this.segments.length > 1 && shouldDrop(this.segments[0], this.segments[1])) {
      const seg = this.segments.shift()!;
      seg.delete();
      this.txns.dropSegment(seg.baseOffset, this.segments[0].baseOffset);
      dropped++;
    }
    if (dropped) this.logStartOffset = Math.max(this.logStartOffset, this.segments[0].baseOffset);
    return dropped;
  }

  /** retention.ms / retention.bytes: deletes whole closed segments, never the active one. */
  applyRetention(now: number): number {
    const s = this.settings;
    if (!s.deleteOld) return 0;
    let total = this.sizeBytes;
    const dropped = this.dropSegments((seg, next) => {
      if (!next) return false;
      const expired = s.retentionMs >= 0 && seg.maxTimestamp >= 0 && seg.maxTimestamp < now - s.retentionMs;
      const tooBig = s.retentionBytes >= 0 && total - seg.size >= s.retentionBytes;
      if (expired || tooBig) total -= seg.size;
      return expired || tooBig;
    });
    if (dropped) this.writeCheckpoint();
    return dropped;
  }

  /** Closed segments, oldest first: what the cleaner may rewrite (never the active segment). */
  closedSegments(): readonly Segment[] {
    return this.segments.slice(0, -1);
  }

  /** Whether the batch at baseOffset is one of the last five of its producer, which the cleaner must keep for dedupe after a restart. */
  isProducerStateBatch(producerId: number, baseOffset: number): boolean {
    return this.producers.producers.get(producerId)?.batches.some((b) => b.baseOffset === baseOffset) ?? false;
  }

  /**
   * Puts a cleaned segment in place of the contiguous closed segments it was made from, through
   * swap files so a crash at any step leaves either the old segments or the new one. Returns false
   * (and discards the cleaned file) when retention or DeleteRecords removed any of them meanwhile.
   * droppedAborts: the ABORT markers the cleaner removed, whose aborted-index entries go with them.
   */
  replaceSegments(old: readonly Segment[], cleaned: Segment, droppedAborts: { producerId: number; lastOffset: number }[] = []): boolean {
    const at = this.segments.indexOf(old[0]);
    const intact = at >= 0 && at + old.length < this.segments.length && old.every((seg, i) => this.segments[at + i] === seg);
    if (!intact) {
      discardCleaned(cleaned);
      return false;
    }
    commitSwap(this.dir, old, cleaned);
    this.txns.mergeSegments(old.map((seg) => seg.baseOffset), old[old.length - 1].nextOffset, droppedAborts);
    this.segments.splice(at, old.length, cleaned);
    return true;
  }

  /** Records the cleaner's progress (after its swaps). */
  markCleaned(upTo: number): void {
    this.cleanedTo = Math.max(this.cleanedTo, upTo);
    this.writeCheckpoint();
  }

  /** Producer state is snapshotted only at a clean close; after a crash it is rebuilt from the log after the snapshot. */
  private checkpoint(clean: boolean): string {
    const cp: Checkpoint = {
      logStartOffset: this.logStartOffset,
      recoveryPoint: this.recoveryPoint,
      producers: clean ? this.producers.toJSON() : [],
      producerOffset: clean ? this.logEndOffset : this.logStartOffset,
      transactions: clean ? [...this.txns.ongoing] : [],
      cleanedTo: this.cleanedTo,
    };
    return JSON.stringify(cp);
  }

  private writeCheckpoint(): void {
    writeFileAtomic(join(this.dir, CHECKPOINT), this.checkpoint(false));
  }

  /** Clean shutdown: flush, persist indexes and checkpoints, and leave the marker that skips recovery. */
  async close(): Promise<void> {
    await this.flush();
    // A partition never written to has nothing to keep: recovery of an empty directory is free,
    // and a broker with tens of thousands of fresh partitions stops in moments. One found corrupt
    // is not marked clean, so the next start validates its files again instead of trusting them.
    if (this.corruption || (this.segments.length === 1 && this.active.size === 0 && this.logStartOffset === 0 && this.producers.producers.size === 0 && this.txns.ongoing.size === 0)) {
      for (const seg of this.segments) seg.close();
      this.listeners.clear();
      return;
    }
    this.active.writeIndexes();
    // The next start skips the recovery scan that would rebuild epochs the checkpoint lacks.
    await this.epochs.flushed();
    this.recoveryPoint = this.logEndOffset;
    // One directory fsync makes both the checkpoint's rename and the marker durable, and the
    // fsyncs run in the thread pool, so a broker closing thousands of partitions at once shares
    // the file system's journal commits between them.
    await writeFileAtomicAsync(join(this.dir, CHECKPOINT), this.checkpoint(true));
    await writeFile(join(this.dir, CLEAN), "");
    await fsyncDirAsync(this.dir);
    for (const seg of this.segments) seg.close();
    this.listeners.clear();
  }

  /** Deletes the partition's files (DeleteTopics); long polls waiting on it wake up first. */
  async destroy(): Promise<void> {
    for (const seg of this.segments) seg.close();
    for (const fn of this.listeners) fn();
    this.listeners.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}
