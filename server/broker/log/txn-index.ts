import { appendFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { decodeRecordBatch, encodeRecordBatch } from "../../kafka/records/batch";
import { writeFileAtomic } from "./atomic";
import { segmentName } from "./segment";

/** A transaction aborted in this partition: its producer's batches from firstOffset to its ABORT marker at lastOffset are to be skipped. */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  /** The partition's last stable offset right after the marker (Kafka's field, used to stop collecting early). */
  lastStableOffset: number;
}

/** Kafka's .txnindex entry: version int16, producer id, first offset, last offset, last stable offset. */
const ENTRY_BYTES = 34;
const ENTRY_VERSION = 0;
const SUFFIX = ".txnindex";
/** Control record types (the key's second int16). */
const ABORT = 0;
const COMMIT = 1;

/** A COMMIT or ABORT marker: one control record, key = version + type, value = version + coordinator epoch. */
export function markerBatch(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? COMMIT : ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return encodeRecordBatch([{ key, value }], { producerId, producerEpoch, control: true });
}

/** Whether the control batch at pos is a COMMIT marker (else ABORT). */
export function isCommitMarker(buf: Buffer, pos: number): boolean {
  const key = decodeRecordBatch(buf, pos).records[0]?.key;
  return !!key && key.length >= 4 && key.readInt16BE(2) === COMMIT;
}

function encodeEntry(e: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_BYTES);
  b.writeInt16BE(ENTRY_VERSION, 0);
  b.writeBigInt64BE(BigInt(e.producerId), 2);
  b.writeBigInt64BE(BigInt(e.firstOffset), 10);
  b.writeBigInt64BE(BigInt(e.lastOffset), 18);
  b.writeBigInt64BE(BigInt(e.lastStableOffset), 26);
  return b;
}

function decodeEntries(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + ENTRY_BYTES <= buf.length; at += ENTRY_BYTES) {
    out.push({ producerId: Number(buf.readBigInt64BE(at + 2)), firstOffset: Number(buf.readBigInt64BE(at + 10)), lastOffset: Number(buf.readBigInt64BE(at + 18)), lastStableOffset: Number(buf.readBigInt64BE(at + 26)) });
  }
  return out;
}

/**
 * A partition's transactions: the ones open (by producer id, from the offset of their first
 * batch), which hold back the last stable offset, and the aborted ones, kept in memory in marker
 * order and on disk in Kafka's layout, one .txnindex per segment holding the entries whose
 * marker lies in that segment. The files are written as markers are appended; after a crash the
 * partition rebuilds them from its log (rebuild), so a torn index never outlives recovery.
 */
export class TransactionIndex {
  /** Open transactions: producer id → first offset in this partition. */
  readonly ongoing = new Map<number, number>();
  private aborted: AbortedTxn[] = [];

  constructor(private readonly dir: string) {}

  /** The first offset still in an open transaction, or undefined when none is open. */
  firstUnstableOffset(): number | undefined {
    let first: number | undefined;
    for (const o of this.ongoing.values()) if (first === undefined || o < first) first = o;
    return first;
  }

  /** A transactional data batch at offset. */
  begin(producerId: number, offset: number): void {
    if (!this.ongoing.has(producerId)) this.ongoing.set(producerId, offset);
  }

  /**
   * A marker at offset; returns the entry to index when it aborts a transaction that wrote here.
   * A marker for a producer with nothing open here (a retry, or a partition added but never
   * written) changes nothing, as in Kafka.
   */
  end(producerId: number, commit: boolean, offset: number): AbortedTxn | null {
    const first = this.ongoing.get(producerId);
    if (first === undefined) return null;
    this.ongoing.delete(producerId);
    if (commit) return null;
    const entry = { producerId, firstOffset: first, lastOffset: offset, lastStableOffset: this.firstUnstableOffset() ?? offset + 1 };
    this.aborted.push(entry);
    return entry;
  }

  /** Persists an entry made by end() into the .txnindex of the segment holding its marker. */
  persist(entry: AbortedTxn, segmentBase: number): void {
    appendFileSync(this.file(segmentBase), encodeEntry(entry));
  }

  /**
   * The aborted transactions a read_committed fetch of [from, to) must be told about: every one
   * whose marker is at or after from and whose first offset is before to. Entries are in marker
   * order, and once one's last stable offset reaches to, every transaction starting before to
   * has ended, so the walk stops there.
   */
  collect(from: number, to: number): { producerId: number; firstOffset: number }[] {
    const out: { producerId: number; firstOffset: number }[] = [];
    let lo = 0;
    let hi = this.aborted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.aborted[mid].lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.aborted.length; i++) {
      const e = this.aborted[i];
      if (e.firstOffset < to) out.push({ producerId: e.producerId, firstOffset: e.firstOffset });
      if (e.lastOffset >= to && e.lastStableOffset >= to) break;
    }
    return out;
  }

  /** Aborted offset ranges by producer, for the cleaner to drop aborted data. */
  abortedRanges(): Map<number, [number, number][]> {
    const m = new Map<number, [number, number][]>();
    for (const e of this.aborted) {
      let l = m.get(e.producerId);
      if (!l) m.set(e.producerId, (l = []));
      l.push([e.firstOffset, e.lastOffset]);
    }
    return m;
  }

  /** Retention dropped the segment at base; entries whose marker was in it go with it. */
  dropSegment(base: number, nextBase: number): void {
    this.aborted = this.aborted.filter((e) => e.lastOffset >= nextBase);
    rmSync(this.file(base), { force: true });
  }

  /**
   * The cleaner put one segment at bases[0] in place of all of bases: one index file for all of
   * their entries but those of the ABORT markers it dropped (a reader told of an aborted
   * transaction skips its producer until the marker, which must therefore exist).
   */
  mergeSegments(bases: number[], end: number, droppedAborts: { producerId: number; lastOffset: number }[] = []): void {
    if (droppedAborts.length) {
      const dropped = new Set(droppedAborts.map((d) => `${d.producerId}:${d.lastOffset}`));
      this.aborted = this.aborted.filter((e) => !dropped.has(`${e.producerId}:${e.lastOffset}`));
    }
    const entries = this.aborted.filter((e) => e.lastOffset >= bases[0] && e.lastOffset < end);
    this.write(bases[0], entries);
    for (const b of bases.slice(1)) rmSync(this.file(b), { force: true });
  }

  /**
   * Loads every .txnindex file (orphans of an interrupted compaction swap too, whose entries the
   * swap moved) with the entries before `keepBelow`; what lies at or after it is replayed from the
   * log by the caller. Duplicates, which a crash between writing a merged index and removing the
   * old ones can leave, are dropped.
   */
  load(keepBelow: number, ongoing: [number, number][]): void {
    const seen = new Set<string>();
    const all: AbortedTxn[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!/^\d{20}\.txnindex$/.test(f)) continue;
      for (const e of decodeEntries(readFileSync(join(this.dir, f)))) {
        const id = `${e.producerId}:${e.firstOffset}:${e.lastOffset}`;
        if (e.lastOffset >= keepBelow || seen.has(id)) continue;
        seen.add(id);
        all.push(e);
      }
    }
    this.aborted = all.sort((a, b) => a.lastOffset - b.lastOffset);
    this.ongoing.clear();
    for (const [pid, first] of ongoing) this.ongoing.set(pid, first);
  }

  /** Rewrites the index files from memory, one per segment (recovery, after replaying the log). */
  rewrite(segmentBases: number[]): void {
    for (const f of readdirSync(this.dir)) if (f.endsWith(SUFFIX)) rmSync(join(this.dir, f), { force: true });
    let i = 0;
    for (const [s, base] of segmentBases.entries()) {
      const next = segmentBases[s + 1] ?? Infinity;
      const entries: AbortedTxn[] = [];
      while (i < this.aborted.length && this.aborted[i].lastOffset < next) {
        if (this.aborted[i].lastOffset >= base) entries.push(this.aborted[i]);
        i++;
      }
      if (entries.length) this.write(base, entries);
    }
  }

  private write(base: number, entries: AbortedTxn[]): void {
    if (entries.length === 0) rmSync(this.file(base), { force: true });
    else writeFileAtomic(this.file(base), Buffer.concat(entries.map(encodeEntry)));
  }

  private file(base: number): string {
    return join(this.dir, segmentName(base) + SUFFIX);
  }
}
