import { closeSync, openSync, readdirSync, readSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { logger } from "../../log";
import { BATCH_LENGTH, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD } from "../../kafka/records/batch";
import { fsyncDir } from "./atomic";
import { type Segment, segmentName } from "./segment";

const log = logger("broker.cleaner");

/**
 * The cleaner's file protocol, as Kafka's: a replacement is written as <base>.log.cleaned and
 * fsynced; renaming it to <base>.log.swap is the commit point; then the replaced segments become
 * .log.deleted, their indexes go, the swap file becomes <base>.log and its indexes are written.
 * A cleaned segment always ends at the same offset as the segments it replaces (the cleaner keeps
 * the last batch, emptied if need be), so after a crash the swap file alone says which segments
 * it replaces: those whose base offset lies within its offsets.
 */
export function commitSwap(dir: string, old: readonly Segment[], cleaned: Segment): void {
  cleaned.moveTo(".log.swap");
  fsyncDir(dir);
  for (const seg of old) {
    seg.close();
    seg.moveTo(".log.deleted");
    seg.deleteIndexes();
  }
  cleaned.moveTo(".log");
  cleaned.writeIndexes();
  fsyncDir(dir);
  for (const seg of old) rmSync(seg.path, { force: true });
}

/** Removes a replacement that will not be used (its base name's indexes belong to the live segment). */
export function discardCleaned(cleaned: Segment): void {
  cleaned.close();
  rmSync(cleaned.path, { force: true });
}

/** Last offset of the batches in a segment file, from their headers. */
function lastOffsetIn(path: string, base: number): number {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(HEADER_SIZE);
    let pos = 0;
    let last = base - 1;
    while (readSync(fd, head, 0, HEADER_SIZE, pos) === HEADER_SIZE) {
      last = Number(head.readBigInt64BE(0)) + head.readInt32BE(LAST_OFFSET_DELTA);
      pos += head.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    }
    return last;
  } finally {
    closeSync(fd);
  }
}

/**
 * Recovery's half of the protocol, run before a partition's segments are opened: an unfinished
 * .cleaned file is dropped (the old segments are intact), a .swap file is finished (it was
 * complete and fsynced before the rename), leftover .deleted files are removed.
 */
export function completeSwaps(dir: string): void {
  let changed = false;
  for (const f of readdirSync(dir)) {
    if (f.endsWith(".log.cleaned") || f.endsWith(".log.deleted")) {
      rmSync(join(dir, f), { force: true });
      changed = true;
    }
  }
  const files = readdirSync(dir);
  for (const f of files.filter((name) => /^\d{20}\.log\.swap$/.test(name))) {
    const base = Number(f.slice(0, 20));
    const last = lastOffsetIn(join(dir, f), base);
    const replaced = files.filter((name) => /^\d{20}\.log$/.test(name)).map((name) => Number(name.slice(0, 20))).filter((b) => b >= base && b <= last);
    for (const b of replaced) for (const ext of [".log", ".index", ".timeindex"]) rmSync(join(dir, segmentName(b) + ext), { force: true });
    for (const ext of [".index", ".timeindex"]) rmSync(join(dir, segmentName(base) + ext), { force: true });
    renameSync(join(dir, f), join(dir, `${segmentName(base)}.log`));
    log.warn({ dir, segment: base, replaced }, "finished a compaction swap interrupted by a crash");
    changed = true;
  }
  if (changed) fsyncDir(dir);
}
