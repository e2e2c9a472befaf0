import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { logger } from "../../log";
import { fsyncDirAsync, writeFileAtomic, writeFileSynced } from "./atomic";
import { invariant } from "./invariants";

const log = logger("broker.log");

/**
 * Writes behind in flight at once, across every partition: each holds a descriptor, and a broker
 * taking over thousands of partitions must stay within its open-file limit (the segments' handle
 * budget leaves this much room).
 */
const MAX_WRITES_BEHIND = 4;
let writesBehind = 0;
const waitingWrites: (() => void)[] = [];

/** Runs fn in one of the MAX_WRITES_BEHIND slots, waiting for one in arrival order. */
async function inWriteSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (writesBehind < MAX_WRITES_BEHIND) writesBehind++;
  else await new Promise<void>((granted) => waitingWrites.push(granted));
  try {
    return await fn();
  } finally {
    // The slot passes straight to the next in line, or is given back.
    const next = waitingWrites.shift();
    if (next) next();
    else writesBehind--;
  }
}

const FILE = "leader-epoch-checkpoint";

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/**
 * Kafka's leader-epoch cache: for each leader epoch the offset of its first batch in this log,
 * persisted as `leader-epoch-checkpoint` (Kafka's text format: version, count, then `epoch offset`
 * lines). OffsetForLeaderEpoch answers from it, and a follower truncates with it to where its log
 * and a new leader's agree.
 *
 * A new epoch is written behind, off the event loop (a broker taking over thousands of partitions
 * starts an epoch in each at once, and an fsync apiece on the loop would stall every client), as
 * Kafka does since KAFKA-15046: an epoch the file lacks after a crash is rebuilt from the batches,
 * which carry their leader epoch, by the partition's recovery scan; a clean close waits for the
 * file (flushed) because it skips that scan. Truncation is written at once: an entry past the
 * log's new end must never come back.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  /** Bumped by every change; the file holds `written`, and a write behind renames its file into place only if nothing changed meanwhile. */
  private version = 0;
  private written = 0;
  private writing: Promise<void> | null = null;

  constructor(private readonly dir: string) {}

  /** Loads the checkpoint, dropping entries past the log end (a crash cut the tail they started in). */
  load(logEndOffset: number): void {
    let text: string;
    try {
      text = readFileSync(join(this.dir, FILE), "utf8");
    } catch {
      this.entries = [];
      return;
    }
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    this.entries = lines
      .slice(2)
      .map((l) => l.trim().split(/\s+/).map(Number))
      .filter(([epoch, startOffset]) => Number.isInteger(epoch) && Number.isInteger(startOffset) && startOffset <= logEndOffset)
      .map(([epoch, startOffset]) => ({ epoch, startOffset }));
  }

  get latest(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** A batch of `epoch` was appended at `offset`: a new epoch starts there. */
  assign(epoch: number, offset: number): void {
    const last = this.latest;
    if (last && epoch <= last.epoch) return;
    invariant(!last || offset >= last.startOffset, () => `leader epoch ${epoch} would start at ${offset}, before epoch ${last!.epoch} at ${last!.startOffset}`);
    this.entries.push({ epoch, startOffset: offset });
    this.version++;
    this.writeSoon();
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch at or below `epoch` and the offset where it ends (the
   * next epoch's start, or the log end for the latest); undefined when every epoch here is later.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } | undefined {
    let i = this.entries.length - 1;
    while (i >= 0 && this.entries[i].epoch > epoch) i--;
    if (i < 0) return undefined;
    return { epoch: this.entries[i].epoch, endOffset: i === this.entries.length - 1 ? logEndOffset : this.entries[i + 1].startOffset };
  }

  /** The log was cut to `offset`: epochs that started at or after it are gone. */
  truncateFrom(offset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.version++;
    this.persist();
  }

  /** Resolves once the file holds every epoch assigned so far; written here if the write behind failed. */
  async flushed(): Promise<void> {
    await this.writing;
    if (this.written < this.version) this.persist();
  }

  private get text(): string {
    return `0\n${this.entries.length}\n${this.entries.map((e) => `${e.epoch} ${e.startOffset}`).join("\n")}\n`;
  }

  private persist(): void {
    writeFileAtomic(join(this.dir, FILE), this.text);
    this.written = this.version;
  }

  /** Starts the write behind unless one runs; an epoch assigned as one finished starts the next. */
  private writeSoon(): void {
    if (this.writing) return;
    this.writing = inWriteSlot(() => this.writeBehind()).then((ok) => {
      this.writing = null;
      if (ok && this.written < this.version) this.writeSoon();
    });
  }

  /** False when the file could not be written: the next epoch or a clean close tries again. */
  private async writeBehind(): Promise<boolean> {
    const path = join(this.dir, FILE);
    // Its own temporary file: the synchronous write of a truncation uses writeFileAtomic's.
    const tmp = `${path}.behind.tmp`;
    try {
      while (this.written < this.version) {
        const version = this.version;
        await writeFileSynced(tmp, this.text);
        // Checked and renamed in one turn of the loop, so no truncation can slip in between.
        if (this.version !== version) continue;
        renameSync(tmp, path);
        await fsyncDirAsync(this.dir);
        this.written = Math.max(this.written, version);
      }
      return true;
    } catch (err) {
      // A deleted partition's directory is gone; anything else is retried by the next epoch or a clean close.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") log.warn({ err, dir: this.dir }, "writing the leader-epoch checkpoint failed; the log's batches still carry their epochs");
      return false;
    }
  }
}
