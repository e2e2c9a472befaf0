import { closeSync, existsSync, fdatasync, fstatSync, ftruncateSync, openSync, read, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { BATCH_LENGTH, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, validateBatch } from "../../kafka/records/batch";
import type { FileHandleOwner, FileHandles } from "./file-handles";
import { invariant } from "./invariants";

const readAsync = promisify(read);
const fdatasyncAsync = promisify(fdatasync);

/**
 * Thrown when a reader reaches a segment the cleaner or retention replaced while the read was
 * under way; the partition log retries the read against the current segments.
 */
export class SegmentRetiredError extends KafkaError {
  constructor(baseOffset: number) {
    super(ErrorCode.NOT_LEADER_OR_FOLLOWER, `segment ${baseOffset} was replaced during the read; retry the fetch`);
  }
}

export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0");
}

/**
 * One segment: <base>.log holding batches back to back, a sparse offset index
 * (<base>.index: int32 relative offset → int32 file position) and a time index
 * (<base>.timeindex: int64 timestamp → int32 relative offset), both kept in memory and
 * written out when the segment is rolled or the log is closed; recovery rebuilds them.
 * The file is opened on first use and may be closed again by the shared FileHandles limit.
 */
export class Segment implements FileHandleOwner {
  /** Parallel arrays: cheap to search, cheap to persist. */
  private idxOffsets: number[] = [];
  private idxPositions: number[] = [];
  private timeStamps: number[] = [];
  private timeOffsets: number[] = [];
  private bytesSinceIndex = 0;
  private handle: number | undefined;
  /** Async reads and fsyncs under way: the descriptor must stay open until they finish. */
  private busy = 0;
  /** Replaced by the cleaner or deleted: its file name may now belong to another segment. */
  private retired = false;
  /** ".log", or ".log.cleaned" / ".log.swap" while the cleaner writes a replacement. */
  private suffix: string;
  size: number;
  /** Next offset after the last batch in this segment. */
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  readonly createdAt: number;
  lastUsed = Date.now();

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private handles: FileHandles,
    size: number,
    createdAt: number,
    suffix: string,
  ) {
    this.size = size;
    this.nextOffset = baseOffset;
    this.createdAt = createdAt;
    this.suffix = suffix;
  }

  get path(): string {
    return join(this.dir, `${segmentName(this.baseOffset)}${this.suffix}`);
  }

  /** The open descriptor, opening the file if the handle limit closed it. */
  get fd(): number {
    if (this.handle === undefined) {
      if (this.retired) throw new SegmentRetiredError(this.baseOffset);
      this.handle = openSync(this.path, "a+");
    }
    this.lastUsed = Date.now();
    this.handles.touch(this);
    return this.handle;
  }

  closeHandle(): boolean {
    if (this.busy > 0) return false;
    if (this.handle !== undefined) closeSync(this.handle);
    this.handle = undefined;
    this.handles.forget(this);
    return true;
  }

  /** Runs an async operation on the descriptor, keeping it open until the operation ends. */
  private async pinned<T>(fn: (fd: number) => Promise<T>): Promise<T> {
    const fd = this.fd;
    this.busy++;
    try {
      return await fn(fd);
    } finally {
      this.busy--;
      if (this.retired && this.busy === 0) this.closeHandle();
    }
  }

  /** An empty segment file; suffix ".log.cleaned" for the cleaner's replacements. */
  static create(dir: string, baseOffset: number, now: number, handles: FileHandles, suffix = ".log"): Segment {
    const seg = new Segment(dir, baseOffset, handles, 0, now, suffix);
    // A live segment file is never truncated by a create; a leftover cleaner file is.
    closeSync(openSync(seg.path, suffix === ".log" ? "a" : "w"));
    return seg;
  }

  /** An empty segment whose file does not exist yet: the first open ("a+") creates it. */
  static fresh(dir: string, baseOffset: number, now: number, handles: FileHandles): Segment {
    return new Segment(dir, baseOffset, handles, 0, now, ".log");
  }

  /**
   * Opens an existing segment. With `validate` every batch is checked (length, magic, CRC) and
   * a torn or corrupt tail is truncated away; returns how many bytes were cut.
   */
  static open(dir: string, baseOffset: number, handles: FileHandles, opts: { validate: boolean; maxBatchBytes: number; indexIntervalBytes: number }): { segment: Segment; truncated: number; corrupt?: string } {
    const st = statSync(join(dir, `${segmentName(baseOffset)}.log`));
    const seg = new Segment(dir, baseOffset, handles, st.size, st.birthtimeMs || st.mtimeMs, ".log");
    const loaded = !opts.validate && seg.loadIndexes();
    if (loaded) return { segment: seg, truncated: 0 };
    const { validEnd, corrupt } = seg.rebuild(opts.validate, opts.maxBatchBytes, opts.indexIntervalBytes);
    const truncated = seg.size - validEnd;
    if (truncated > 0 && opts.validate) {
      ftruncateSync(seg.fd, validEnd);
      seg.size = validEnd;
    }
    return { segment: seg, truncated, corrupt };
  }

  /** Scans batch headers (and CRCs when validating) to rebuild indexes and the segment's end. */
  private rebuild(validate: boolean, maxBatchBytes: number, interval: number): { validEnd: number; corrupt?: string } {
    this.idxOffsets = [];
    this.idxPositions = [];
    this.timeStamps = [];
    this.timeOffsets = [];
    this.bytesSinceIndex = 0;
    this.maxTimestamp = -1;
    this.nextOffset = this.baseOffset;
    const chunk = 4 << 20;
    let pos = 0;
    let buf: Buffer = Buffer.alloc(0);
    let bufStart = 0;
    const head = Buffer.alloc(HEADER_SIZE);
    while (pos < this.size) {
      if (this.size - pos < HEADER_SIZE) return { validEnd: pos, corrupt: "torn batch header at the end" };
      let batch: Buffer;
      let at: number;
      if (validate) {
        // Validation needs whole batches in memory; read big chunks to keep syscalls few.
        if (pos + LOG_OVERHEAD > bufStart + buf.length) {
          buf = this.readSyncAt(pos, Math.min(chunk, this.size - pos));
          bufStart = pos;
        }
        let size = buf.readInt32BE(pos - bufStart + BATCH_LENGTH) + LOG_OVERHEAD;
        if (size < HEADER_SIZE || pos + size > this.size) return { validEnd: pos, corrupt: `batch at byte ${pos} claims ${size} bytes` };
        if (pos + size > bufStart + buf.length) {
          buf = this.readSyncAt(pos, Math.max(Math.min(chunk, this.size - pos), size));
          bufStart = pos;
        }
        try {
          size = validateBatch(buf, pos - bufStart, Math.max(maxBatchBytes, size));
        } catch (err) {
          return { validEnd: pos, corrupt: (err as Error).message };
        }
        batch = buf;
        at = pos - bufStart;
      } else {
        readSync(this.fd, head, 0, HEADER_SIZE, pos);
        batch = head;
        at = 0;
      }
      const size = batch.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < HEADER_SIZE || pos + size > this.size) return { validEnd: pos, corrupt: `batch at byte ${pos} claims ${size} bytes` };
      const base = Number(batch.readBigInt64BE(at));
      const last = base + batch.readInt32BE(at + LAST_OFFSET_DELTA);
      this.track(base, last, Number(batch.readBigInt64BE(at + MAX_TIMESTAMP)), pos, size, interval);
      pos += size;
    }
    return { validEnd: pos };
  }

  /** Updates the in-memory indexes for a batch written at pos. */
  track(baseOffset: number, lastOffset: number, maxTimestamp: number, pos: number, size: number, interval: number): void {
    // Lookups binary-search the index by offset: offsets only ever grow along the file (compaction leaves gaps, never goes back).
    invariant(baseOffset >= this.nextOffset && lastOffset >= baseOffset, () => `segment ${this.baseOffset} got a batch of offsets ${baseOffset}-${lastOffset} after offset ${this.nextOffset - 1}`);
    if (this.idxOffsets.length === 0 || this.bytesSinceIndex >= interval) {
      this.idxOffsets.push(baseOffset - this.baseOffset);
      this.idxPositions.push(pos);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
      this.timeStamps.push(maxTimestamp);
      this.timeOffsets.push(baseOffset - this.baseOffset);
    }
    this.nextOffset = lastOffset + 1;
  }

  /** Appends bytes; on a failed or short write the file is cut back so the log stays consistent. */
  append(buf: Buffer): number {
    const pos = this.size;
    const fd = this.fd;
    try {
      let done = 0;
      while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, pos + done);
    } catch (err) {
      try {
        ftruncateSync(fd, pos);
      } catch {
        // The original error says what went wrong; a failed cut leaves a torn tail that recovery removes.
      }
      throw err;
    }
    this.size += buf.length;
    // The file is opened for appending, where Linux writes at its end whatever position is asked:
    // the index holds `pos`, so the file must have ended exactly there.
    const fileSize = fstatSync(fd).size;
    invariant(fileSize === this.size, () => `segment ${this.path} is ${fileSize} bytes after an append, but the log wrote it up to byte ${this.size}`);
    return pos;
  }

  /** Position of the last indexed batch starting at or before offset. */
  lookup(offset: number): number {
    const rel = offset - this.baseOffset;
    let lo = 0;
    let hi = this.idxOffsets.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.idxOffsets[mid] <= rel) {
        found = this.idxPositions[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Relative offset of the first time-index entry with timestamp ≥ ts, as a scan start. */
  lookupTime(ts: number): number | undefined {
    let lo = 0;
    let hi = this.timeStamps.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.timeStamps[mid] >= ts) {
        ans = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    // The batch holding the first record ≥ ts starts at or after the previous entry's batch.
    if (ans < 0) return undefined;
    return this.baseOffset + (ans > 0 ? this.timeOffsets[ans - 1] : 0);
  }

  readSyncAt(pos: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    const fd = this.fd;
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, pos + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  readAt(pos: number, length: number): Promise<Buffer> {
    return this.pinned(async (fd) => {
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await readAsync(fd, buf, done, length - done, pos + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? buf : buf.subarray(0, done);
    });
  }

  /** fdatasync without blocking the event loop. */
  flush(): Promise<void> {
    return this.pinned((fd) => fdatasyncAsync(fd));
  }

  /** Renames the file to another suffix; the open descriptor (if any) stays valid. */
  moveTo(suffix: string): void {
    const from = this.path;
    this.suffix = suffix;
    renameSync(from, this.path);
  }

  /** Writes .index and .timeindex in Kafka's layout (temp file + rename, so a crash never leaves half an index). */
  writeIndexes(): void {
    const idx = Buffer.alloc(this.idxOffsets.length * 8);
    this.idxOffsets.forEach((o, i) => {
      idx.writeInt32BE(o, i * 8);
      idx.writeInt32BE(this.idxPositions[i], i * 8 + 4);
    });
    const tix = Buffer.alloc(this.timeStamps.length * 12);
    this.timeStamps.forEach((t, i) => {
      tix.writeBigInt64BE(BigInt(t), i * 12);
      tix.writeInt32BE(this.timeOffsets[i], i * 12 + 8);
    });
    const base = join(this.dir, segmentName(this.baseOffset));
    writeFileSync(`${base}.index.tmp`, idx);
    renameSync(`${base}.index.tmp`, `${base}.index`);
    writeFileSync(`${base}.timeindex.tmp`, tix);
    renameSync(`${base}.timeindex.tmp`, `${base}.timeindex`);
  }

  /** Loads persisted indexes; false when they are missing or do not fit the log (then the caller rebuilds). */
  private loadIndexes(): boolean {
    const base = join(this.dir, segmentName(this.baseOffset));
    if (!existsSync(`${base}.index`) || !existsSync(`${base}.timeindex`)) return false;
    const idx = readFileSync(`${base}.index`);
    const tix = readFileSync(`${base}.timeindex`);
    if (idx.length % 8 !== 0 || tix.length % 12 !== 0 || (this.size > 0 && idx.length === 0)) return false;
    for (let i = 0; i < idx.length; i += 8) {
      const pos = idx.readInt32BE(i + 4);
      if (pos >= this.size || (i > 0 && pos <= this.idxPositions[this.idxPositions.length - 1])) return false;
      this.idxOffsets.push(idx.readInt32BE(i));
      this.idxPositions.push(pos);
    }
    for (let i = 0; i < tix.length; i += 12) {
      this.timeStamps.push(Number(tix.readBigInt64BE(i)));
      this.timeOffsets.push(tix.readInt32BE(i + 8));
    }
    if (this.timeStamps.length) this.maxTimestamp = this.timeStamps[this.timeStamps.length - 1];
    // The next offset and the max timestamp's offset come from the last batch, found from the last index entry.
    let pos = this.idxPositions.length ? this.idxPositions[this.idxPositions.length - 1] : 0;
    const head = Buffer.alloc(HEADER_SIZE);
    const fd = this.fd;
    while (pos < this.size) {
      if (readSync(fd, head, 0, HEADER_SIZE, pos) < HEADER_SIZE) return false;
      const size = head.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < HEADER_SIZE || pos + size > this.size) return false;
      const last = Number(head.readBigInt64BE(0)) + head.readInt32BE(LAST_OFFSET_DELTA);
      this.nextOffset = last + 1;
      if (Number(head.readBigInt64BE(MAX_TIMESTAMP)) === this.maxTimestamp) this.offsetOfMaxTimestamp = last;
      pos += size;
    }
    if (this.offsetOfMaxTimestamp < 0 && this.timeOffsets.length) this.offsetOfMaxTimestamp = this.baseOffset + this.timeOffsets[this.timeOffsets.length - 1];
    return true;
  }

  /** Closes the file now, or when the reads under way finish. */
  close(): void {
    this.retired = true;
    this.closeHandle();
  }

  /** Removes the segment's files; reads already under way finish on the open descriptor. */
  delete(): void {
    this.close();
    rmSync(this.path, { force: true });
    this.deleteIndexes();
  }

  deleteIndexes(): void {
    const base = join(this.dir, segmentName(this.baseOffset));
    for (const ext of [".index", ".timeindex"]) rmSync(base + ext, { force: true });
  }
}
