import { cpSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeRecords, encodeRecordBatch, forEachBatch, type RecordInput } from "../../kafka/records/batch";
import type { CompressionName } from "../../kafka/records/compression";
import { LogCleaner } from "./cleaner";
import { effectiveConfigs, logSettings, type TopicConfigs } from "./configs";
import { LogManager } from "./log-manager";
import { PartitionLog } from "./partition-log";
import { killHard, spawnCrashChild } from "@/server/testing/crash-child";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("cleaner");

const settings = (c: TopicConfigs = {}) =>
  logSettings(effectiveConfigs({ "cleanup.policy": "compact", "segment.bytes": String(4096), "index.interval.bytes": "256", "delete.retention.ms": "1000", ...c }));

interface Seen {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

async function readAll(log: PartitionLog): Promise<Seen[]> {
  const out: Seen[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, 4096);
    const rs = decodeRecords(records).filter((r) => r.offset >= offset);
    if (rs.length === 0) {
      // Only emptied batches left in this read: continue after them.
      let next = offset;
      forEachBatch(records, (h) => (next = Math.max(next, h.baseOffset + h.lastOffsetDelta + 1)));
      if (next === offset) break;
      offset = next;
      continue;
    }
    for (const r of rs) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp });
    offset = out[out.length - 1].offset + 1;
  }
  return out;
}

/** Appends `count` records, three per batch, cycling over `keys` keys; each value names the offset it is written at. */
async function fill(log: PartitionLog, count: number, keys: number, now: number, codecs: CompressionName[] = ["none"]): Promise<void> {
  for (let i = 0; i < count; i += 3) {
    const base = log.logEndOffset;
    const records: RecordInput[] = [0, 1, 2].map((j) => ({ key: Buffer.from(`k${(base + j) % keys}`), value: Buffer.from(`v${base + j}-${"x".repeat(30)}`), timestamp: now }));
    await log.append(encodeRecordBatch(records, { compression: codecs[(i / 3) % codecs.length] }));
  }
}

/** For each key, the offset of its newest record. */
function newestByKey(rows: Seen[]): Map<string | null, number> {
  const m = new Map<string | null, number>();
  for (const r of rows) m.set(r.key, r.offset);
  return m;
}

describe("log cleaner", () => {
  it("keeps the newest record per key with its offset, in every codec, and leaves the active segment alone", async () => {
    const now = 1_000_000;
    const log = PartitionLog.open(tempDir(), "c", 0, settings(), () => now);
    await fill(log, 600, 10, now, ["none", "gzip", "snappy", "lz4", "zstd"]);
    const before = await readAll(log);
    const closedEnd = log.closedSegments().at(-1)!.nextOffset;
    const segments = log.segmentCount;
    const result = await new LogCleaner(() => now).clean(log);
    expect(result).not.toBeNull();
    expect(result!.recordsRemoved).toBeGreaterThan(400);
    expect(result!.bytesAfter).toBeLessThan(result!.bytesBefore / 3);
    expect(log.segmentCount).toBe(segments); // full segments are not merged on their first cleaning
    const after = await readAll(log);
    // Every surviving record is byte-identical to the one first written at that offset.
    const original = new Map(before.map((r) => [r.offset, r]));
    for (const r of after) expect(r).toEqual(original.get(r.offset));
    // In the cleaned range, only each key's newest record (as of the whole cleaned range) is left.
    const cleanedRows = after.filter((r) => r.offset < closedEnd);
    const newest = newestByKey(before.filter((r) => r.offset < closedEnd));
    expect(cleanedRows.map((r) => r.offset).sort((a, b) => a - b)).toEqual([...newest.values()].sort((a, b) => a - b));
    // The active segment's records are untouched.
    expect(after.filter((r) => r.offset >= closedEnd)).toEqual(before.filter((r) => r.offset >= closedEnd));
    // Offsets continue where they were.
    expect((await log.append(encodeRecordBatch([{ key: Buffer.from("k1"), value: Buffer.from("next"), timestamp: now }]))).baseOffset).toBe(600);
    await log.close();
  });

  it("lets a reader that continues after the last record it saw read a compacted log to its end", async () => {
    const now = 1_000_000;
    const log = PartitionLog.open(tempDir(), "c", 0, settings(), () => now);
    await fill(log, 600, 10, now, ["none", "zstd"]);
    const expected = (await readAll(log)).map((r) => r.offset);
    await new LogCleaner(() => now).clean(log);
    const survivors = (await readAll(log)).map((r) => r.offset);
    expect(survivors.length).toBeLessThan(expected.length);
    // The loop __consumer_offsets loading and simple consumers use: next offset = last record + 1.
    const seen: number[] = [];
    let offset = log.logStartOffset;
    for (let reads = 0; offset < log.highWatermark; reads++) {
      expect(reads).toBeLessThan(1000); // would spin forever on a batch whose remaining records were all removed
      const { records } = await log.read(offset, 512);
      if (records.length === 0) break;
      for (const r of decodeRecords(records)) {
        if (r.offset < offset) continue;
        seen.push(r.offset);
        offset = r.offset + 1;
      }
    }
    expect(seen).toEqual(survivors);
    await log.close();
  });

  it("keeps tombstones for delete.retention.ms, then drops them", async () => {
    let now = 1_000_000;
    const log = PartitionLog.open(tempDir(), "c", 0, settings(), () => now);
    await fill(log, 300, 5, now);
    await log.append(encodeRecordBatch([{ key: Buffer.from("k3"), value: null, timestamp: now }]));
    await fill(log, 300, 4, now); // k3 gets values again after its tombstone
    const cleaner = new LogCleaner(() => now);
    await cleaner.clean(log);
    // A tombstone followed by newer values of its key is superseded like any old value.
    expect((await readAll(log)).filter((r) => r.key === "k3" && r.value === null)).toEqual([]);
    await log.close();

    // A tombstone that stays the newest record of its key.
    const log2 = PartitionLog.open(tempDir(), "c", 0, settings(), () => now);
    await fill(log2, 300, 5, now);
    await log2.append(encodeRecordBatch([{ key: Buffer.from("k4"), value: null, timestamp: now }]));
    const tombstoneAt = log2.logEndOffset - 1;
    await fill(log2, 300, 4, now); // keys k0..k3 only
    await cleaner.clean(log2);
    let rows = await readAll(log2);
    expect(rows.filter((r) => r.key === "k4")).toEqual([{ offset: tombstoneAt, key: "k4", value: null, timestamp: now }]);
    // delete.retention.ms later, the next cleaning (once new data makes the log dirty) drops it.
    now += 1001;
    await fill(log2, 300, 4, now);
    expect(await cleaner.clean(log2)).not.toBeNull();
    rows = await readAll(log2);
    expect(rows.filter((r) => r.key === "k4")).toEqual([]);
    await log2.close();
  });

  it("honours min.cleanable.dirty.ratio and min.compaction.lag.ms", async () => {
    let now = 1_000_000;
    const log = PartitionLog.open(tempDir(), "c", 0, settings({ "min.cleanable.dirty.ratio": "0.9" }), () => now);
    const cleaner = new LogCleaner(() => now);
    await fill(log, 600, 10, now);
    expect(cleaner.dirtyRatio(log)).toBe(1);
    expect(await cleaner.clean(log)).not.toBeNull();
    expect(cleaner.dirtyRatio(log)).toBe(0);
    // A little new data after a clean log stays below the ratio: nothing happens.
    await fill(log, 150, 10, now);
    const ratio = cleaner.dirtyRatio(log);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(0.9);
    expect(await cleaner.clean(log)).toBeNull();
    await log.close();

    const lagged = PartitionLog.open(tempDir(), "c", 0, settings({ "min.compaction.lag.ms": "60000" }), () => now);
    await fill(lagged, 600, 10, now);
    expect(await cleaner.clean(lagged)).toBeNull(); // every record is younger than the lag
    now += 60_001;
    expect(await cleaner.clean(lagged)).not.toBeNull();
    await lagged.close();
  });

  it("never blocks appends: records appended while the cleaner runs all land, with contiguous offsets", async () => {
    const now = 1_000_000;
    const log = PartitionLog.open(tempDir(), "c", 0, settings(), () => now);
    await fill(log, 900, 7, now, ["gzip"]);
    const cleaning = new LogCleaner(() => now).clean(log);
    const appended: number[] = [];
    for (let i = 0; i < 30; i++) appended.push((await log.append(encodeRecordBatch([{ key: Buffer.from(`live${i}`), value: Buffer.from(`live${i}`), timestamp: now }]))).baseOffset);
    expect(await cleaning).not.toBeNull();
    expect(appended).toEqual(Array.from({ length: 30 }, (_, i) => 900 + i));
    const rows = await readAll(log);
    expect(rows.filter((r) => r.key?.startsWith("live")).map((r) => r.offset)).toEqual(appended);
    await log.close();
  });

  it("survives a crash at every step of the swap: before the commit the old segments stay, after it the swap is finished", async () => {
    const now = 1_000_000;
    const original = tempDir();
    const log = PartitionLog.open(original, "c", 0, settings(), () => now);
    await fill(log, 600, 10, now);
    // A first cleaning leaves small segments; the second one (below) merges them into one.
    await new LogCleaner(() => now).clean(log);
    await fill(log, 600, 10, now);
    await log.close();
    const before = await readWith(original);
    const snapshot = tempDir();
    cpSync(original, snapshot, { recursive: true });

    const cleanedLog = PartitionLog.open(original, "c", 0, settings(), () => now);
    await new LogCleaner(() => now).clean(cleanedLog);
    await cleanedLog.close();
    const after = await readWith(original);
    expect(after.length).toBeLessThan(before.length);
    const firstCleaned = readdirSync(original).filter((f) => f.endsWith(".log")).sort()[0];
    // The old segments the first cleaned segment replaced: those starting before the next cleaned one.
    const nextCleanedBase = Number(readdirSync(original).filter((f) => f.endsWith(".log")).sort()[1].slice(0, 20));
    const replaced = readdirSync(snapshot).filter((f) => f.endsWith(".log") && Number(f.slice(0, 20)) < nextCleanedBase).sort();
    expect(replaced.length).toBeGreaterThan(1);
    const firstCleanedRows = after.filter((r) => r.offset < nextCleanedBase);

    /** A copy of the pre-clean log with the first group's cleaning stopped at one step. */
    const crashAt = (step: (dir: string) => void) => {
      const dir = tempDir();
      cpSync(snapshot, dir, { recursive: true });
      rmSync(join(dir, ".clean-shutdown"), { force: true }); // a crash, not a clean stop
      step(dir);
      return dir;
    };
    const expectOld = async (dir: string) => expect(await readWith(dir)).toEqual(before);
    const expectSwapped = async (dir: string) => {
      const rows = await readWith(dir);
      expect(rows.filter((r) => r.offset < nextCleanedBase)).toEqual(firstCleanedRows);
      expect(rows.filter((r) => r.offset >= nextCleanedBase)).toEqual(before.filter((r) => r.offset >= nextCleanedBase));
      expect(readdirSync(dir).filter((f) => /\.(swap|cleaned|deleted)$/.test(f))).toEqual([]);
    };

    // 1. While writing .cleaned (half a file): recovery drops it.
    await expectOld(crashAt((dir) => cpSync(join(original, firstCleaned), join(dir, `${firstCleaned}.cleaned`))));
    // 2. Right after the commit rename to .swap.
    await expectSwapped(crashAt((dir) => cpSync(join(original, firstCleaned), join(dir, `${firstCleaned}.swap`))));
    // 3. Halfway through renaming the old segments to .deleted.
    await expectSwapped(
      crashAt((dir) => {
        cpSync(join(original, firstCleaned), join(dir, `${firstCleaned}.swap`));
        renameSync(join(dir, replaced[0]), join(dir, `${replaced[0]}.deleted`));
        rmSync(join(dir, replaced[0].replace(".log", ".index")), { force: true });
      }),
    );
    // 4. After the swap file became the segment, before the .deleted files were removed (stale index of the old segment gone).
    await expectSwapped(
      crashAt((dir) => {
        for (const f of replaced) {
          renameSync(join(dir, f), join(dir, `${f}.deleted`));
          rmSync(join(dir, f.replace(".log", ".index")), { force: true });
          rmSync(join(dir, f.replace(".log", ".timeindex")), { force: true });
        }
        cpSync(join(original, firstCleaned), join(dir, firstCleaned));
      }),
    );
  });
});

describe("log cleaner under SIGKILL", () => {
  it("loses no acknowledged newest value and leaves no half swap when the process is killed while compacting (15 rounds)", async () => {
    const dir = tempDir();
    const newestAcked = new Map<string, number>();
    let acked = 0;
    let cleanedSeen = false;
    let killedMidClean = 0;
    for (let round = 0; round < 15; round++) {
      let cleaningStarted: (() => void) | undefined;
      const child = spawnCrashChild(join(import.meta.dirname, "cleaner-crash-child.ts"), [dir], (l) => {
        if (l === "cleaning") cleaningStarted?.();
        if (!/^\d+ k\d+$/.test(l)) return; // a log line, should the child's log level let one through
        const [offset, key] = l.split(" ");
        newestAcked.set(key, Number(offset));
        acked++;
      });
      const before = acked;
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (acked > before + 300) {
            clearInterval(check);
            // Odd rounds: a random moment. Even rounds: a few milliseconds into a cleaning pass.
            if (round % 2) setTimeout(resolve, Math.random() * 300);
            else
              cleaningStarted = () => {
                cleaningStarted = undefined;
                setTimeout(resolve, Math.random() * 20);
              };
          }
        }, 5);
      });
      await killHard(child);

      if (readdirSync(dir).some((f) => /\.(swap|cleaned|deleted)$/.test(f))) killedMidClean++;
      const log = PartitionLog.open(dir, "crash", 0, settings({ "segment.bytes": "4096", "index.interval.bytes": "256" }));
      expect(log.corruption).toBeUndefined();
      expect(readdirSync(dir).filter((f) => /\.(swap|cleaned|deleted)$/.test(f))).toEqual([]);
      const rows = await readAll(log);
      // Every record is an original at its original offset, in order.
      for (const r of rows) expect(r.value).toBe(`v${r.offset}`);
      expect(rows.every((r, i) => i === 0 || r.offset > rows[i - 1].offset)).toBe(true);
      const newest = newestByKey(rows);
      for (const [key, offset] of newestAcked) expect(newest.get(key) ?? -1).toBeGreaterThanOrEqual(offset);
      if (rows.length < log.logEndOffset) cleanedSeen = true;
      await log.close();
    }
    expect(cleanedSeen).toBe(true); // the cleaner really ran between the kills
    expect(killedMidClean).toBeGreaterThan(0); // and at least one kill left its files behind for recovery
    console.log(`killed mid-clean in ${killedMidClean} of 15 rounds`);
  }, 180_000);
});

describe("log manager", () => {
  it("compacts cleanup.policy=compact topics in the background and leaves delete topics alone", async () => {
    const now = 1_000_000;
    const logs = LogManager.open({ dataDir: tempDir(), clock: () => now, backgroundIntervalMs: 60_000 });
    const compactConfig = { "segment.bytes": "4096", "delete.retention.ms": "1000" };
    await logs.createTopic("table", { partitions: 2, configs: { "cleanup.policy": "compact", ...compactConfig } });
    await logs.createTopic("events", { partitions: 1, configs: compactConfig });
    for (const log of [...logs.partitions("table"), logs.partition("events", 0)]) await fill(log, 600, 10, now);
    await logs.runCleaner();
    for (const log of logs.partitions("table")) expect((await readAll(log)).length).toBeLessThan(200);
    expect(await readAll(logs.partition("events", 0))).toHaveLength(600);
    await logs.close();
  });
});

async function readWith(dir: string): Promise<Seen[]> {
  const log = PartitionLog.open(dir, "c", 0, settings());
  const rows = await readAll(log);
  await log.close();
  return rows;
}
