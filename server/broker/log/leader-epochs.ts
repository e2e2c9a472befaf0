import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic";
import { invariant } from "./invariants";

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
 */
export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

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
    this.persist();
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
    this.persist();
  }

  private persist(): void {
    writeFileAtomic(join(this.dir, FILE), `0\n${this.entries.length}\n${this.entries.map((e) => `${e.epoch} ${e.startOffset}`).join("\n")}\n`);
  }
}
