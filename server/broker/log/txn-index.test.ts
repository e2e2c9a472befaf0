import { readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../kafka/errors";
import { decodeRecordBatch, encodeRecordBatch, forEachBatch } from "../../kafka/records/batch";
import { LogCleaner } from "./cleaner";
import { effectiveConfigs, logSettings, type TopicConfigs } from "./configs";
import { PartitionLog } from "./partition-log";
import { markerBatch } from "./txn-index";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("txn");

const settings = (c: TopicConfigs = {}) => logSettings(effectiveConfigs({ "segment.bytes": String(4096), "index.interval.bytes": "256", ...c }));
const txnBatch = (producerId: number, values: string[], key = (i: number) => `k${i}`) =>
  encodeRecordBatch(values.map((v, i) => ({ key: Buffer.from(key(i)), value: Buffer.from(v) })), { producerId, producerEpoch: 0, transactional: true });
const plainBatch = (values: string[], key = (i: number) => `k${i}`) => encodeRecordBatch(values.map((v, i) => ({ key: Buffer.from(key(i)), value: Buffer.from(v) })));
const marker = (producerId: number, commit: boolean, epoch = 0) => markerBatch(producerId, epoch, commit, 0);

/** Every data record a read_committed consumer keeps: aborted producers' batches from their first offset up to their marker are dropped, as clients do. */
async function readCommitted(log: PartitionLog): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  const aborted = new Map<number, number>();
  while (offset < log.lastStableOffset) {
    const r = await log.read(offset, 1 << 20, true, "read_committed");
    for (const a of r.abortedTransactions ?? []) aborted.set(a.producerId, a.firstOffset);
    let next = offset;
    forEachBatch(r.records, (h, pos) => {
      next = h.baseOffset + h.lastOffsetDelta + 1;
      if (h.control) {
        aborted.delete(h.producerId);
        return;
      }
      const first = aborted.get(h.producerId);
      if (h.transactional && first !== undefined && h.baseOffset >= first) return;
      for (const rec of decodeRecordBatch(r.records, pos).records) if (rec.offset >= offset) out.push(rec.value!.toString());
    });
    if (next === offset) break;
    offset = next;
  }
  return out;
}

/** Twelve rounds on one key: producer 1 commits a write, producer 2 aborts one. */
async function committedThenAborted(log: PartitionLog, pad: string): Promise<void> {
  for (let round = 0; round < 12; round++) {
    await log.append(txnBatch(1, [`committed-${round}-${pad}`], () => "key"));
    await log.append(marker(1, true), "coordinator");
    await log.append(txnBatch(2, [`aborted-${round}-${pad}`], () => "key"));
    await log.append(marker(2, false), "coordinator");
  }
}

describe("transactions in the partition log", () => {
  it("holds the last stable offset at an open transaction's first offset and lists aborted ones for read_committed", async () => {
    const log = PartitionLog.open(tempDir(), "t", 0, settings());
    await log.append(plainBatch(["a"]));
    await log.append(txnBatch(7, ["t7-1", "t7-2"]));
    await log.append(txnBatch(8, ["t8-1"]));
    expect(log.lastStableOffset).toBe(1);
    expect((await log.read(0, 1 << 20, true, "read_committed")).records.length).toBeGreaterThan(0);
    await log.append(marker(8, true), "coordinator");
    expect(log.lastStableOffset).toBe(1);
    await log.append(marker(7, false), "coordinator");
    expect(log.lastStableOffset).toBe(log.highWatermark);
    const r = await log.read(0, 1 << 20, true, "read_committed");
    expect(r.abortedTransactions).toEqual([{ producerId: 7, firstOffset: 1 }]);
    expect(await log.read(0, 1 << 20)).toMatchObject({ abortedTransactions: null });
    expect(await readCommitted(log)).toEqual(["a", "t8-1"]);
    // A fetch that starts after the abort marker is not told about it.
    expect((await log.read(log.logEndOffset, 1 << 20, true, "read_committed")).abortedTransactions).toEqual([]);
  });

  it("refuses control batches from producers and markers older than the producer's epoch", async () => {
    const log = PartitionLog.open(tempDir(), "t", 0, settings());
    await expect(log.append(marker(3, true))).rejects.toMatchObject({ code: ErrorCode.INVALID_RECORD });
    await log.append(txnBatch(3, ["x"]));
    await log.append(marker(3, false, 2), "coordinator");
    await expect(log.append(marker(3, true, 1), "coordinator")).rejects.toMatchObject({ code: ErrorCode.INVALID_PRODUCER_EPOCH });
    // The marker at epoch 2 fenced epoch 0's writes.
    await expect(log.append(txnBatch(3, ["late"]))).rejects.toMatchObject({ code: ErrorCode.INVALID_PRODUCER_EPOCH });
  });

  it("keeps open transactions and the aborted index over a clean restart and rebuilds what a crash tore", async () => {
    const dir = tempDir();
    const indexBytes = () => readdirSync(dir).filter((f) => f.endsWith(".txnindex")).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    const write = async (log: PartitionLog, from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        await log.append(txnBatch(100 + i, [`v${i}-${"x".repeat(200)}`]));
        await log.append(marker(100 + i, i % 2 === 0), "coordinator");
      }
    };
    let log = PartitionLog.open(dir, "t", 0, settings());
    await write(log, 0, 40);
    await log.append(txnBatch(999, ["open"]));
    const open = log.logEndOffset - 1;
    const expected = await readCommitted(log);
    expect(expected).toHaveLength(20);
    expect(log.segmentCount).toBeGreaterThan(2);
    expect(readdirSync(dir).filter((f) => f.endsWith(".txnindex")).length).toBeGreaterThan(1);
    expect(indexBytes()).toBe(20 * 34);
    await log.close();

    log = PartitionLog.open(dir, "t", 0, settings());
    expect(log.lastStableOffset).toBe(open);
    expect(await readCommitted(log)).toEqual(expected);

    // A crash after more transactions, with the last index append torn: the log after the
    // snapshot is replayed, so the index ends up whole and without duplicates.
    await write(log, 40, 10);
    const expected2 = await readCommitted(log);
    const last = readdirSync(dir).filter((f) => f.endsWith(".txnindex")).sort().pop()!;
    truncateSync(join(dir, last), statSync(join(dir, last)).size - 10);
    log = PartitionLog.open(dir, "t", 0, settings());
    expect(log.lastStableOffset).toBe(open);
    expect(await readCommitted(log)).toEqual(expected2);
    expect(indexBytes()).toBe(25 * 34);
    await log.append(marker(999, true), "coordinator");
    expect(log.lastStableOffset).toBe(log.highWatermark);
    await log.close();
  });

  it("retention drops a segment's index with it", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings({ "retention.bytes": "4096" }));
    for (let i = 0; i < 30; i++) {
      await log.append(txnBatch(i, [`v${"y".repeat(300)}`]));
      await log.append(marker(i, false), "coordinator");
    }
    expect(log.abortedRanges().size).toBe(30);
    expect(log.applyRetention(Date.now())).toBeGreaterThan(0);
    const files = readdirSync(dir).filter((f) => f.endsWith(".txnindex")).map((f) => Number(f.slice(0, 20)));
    expect(Math.min(...files)).toBeGreaterThanOrEqual(log.logStartOffset);
    // What is left is exactly the transactions whose marker is still in the log.
    const left = [...log.abortedRanges().values()].flat();
    expect(left.length).toBe((log.logEndOffset - log.logStartOffset) / 2);
    expect(left.every(([, markerAt]) => markerAt >= log.logStartOffset)).toBe(true);
  });

  it("compaction: an aborted write never hides the committed value before it, markers stay, and nothing at or past the last stable offset is cleaned", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings({ "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01", "segment.bytes": "2048" }));
    const pad = "z".repeat(150);
    await committedThenAborted(log, pad);
    // A transaction still open: its records and everything after stay as they are.
    await log.append(txnBatch(3, [`open-${pad}`], () => "key"));
    for (let i = 0; i < 10; i++) await log.append(plainBatch([`filler-${i}-${pad}`], () => `f${i}`));
    const lso = log.lastStableOffset;
    const result = await new LogCleaner().clean(log);
    expect(result).not.toBeNull();
    expect(result!.cleanedTo).toBeLessThanOrEqual(lso);
    expect(result!.recordsRemoved).toBeGreaterThan(0);

    const committed = await readCommitted(log);
    expect(committed.filter((v) => v.startsWith("committed"))).toEqual([`committed-11-${pad}`]);
    expect(committed.some((v) => v.startsWith("aborted"))).toBe(false);
    let markers = 0;
    for (let offset = 0; offset < log.highWatermark; ) {
      const { records } = await log.read(offset, 1 << 22);
      const start = offset;
      forEachBatch(records, (h) => {
        if (h.control) markers++;
        offset = h.baseOffset + h.lastOffsetDelta + 1;
      });
      if (offset === start) break;
    }
    expect(markers).toBe(24);
    await log.append(marker(3, true), "coordinator");
    expect((await readCommitted(log)).filter((v) => v.startsWith("open"))).toHaveLength(1);
  });

  it("compaction removes a transaction's marker only once none of its batches is left and delete.retention.ms has passed, dropping its aborted-index entry with it", async () => {
    const dir = tempDir();
    let now = 1_000_000;
    const log = PartitionLog.open(dir, "t", 0, settings({ "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01", "segment.bytes": "2048", "delete.retention.ms": "1000" }), () => now);
    const pad = "z".repeat(150);
    await committedThenAborted(log, pad);
    const filler = async (from: number) => {
      for (let i = from; i < from + 12; i++) await log.append(plainBatch([`filler-${i}-${pad}`], () => `f${i}`));
    };
    await filler(0);
    /** Every marker, and whether a batch of its transaction is still before it. */
    const markers = async () => {
      const out: { offset: number; producerId: number; withData: boolean }[] = [];
      const open = new Set<number>();
      for (let offset = 0; offset < log.highWatermark; ) {
        const { records } = await log.read(offset, 1 << 22);
        const start = offset;
        forEachBatch(records, (h) => {
          if (h.control) out.push({ offset: h.baseOffset, producerId: h.producerId, withData: open.delete(h.producerId) });
          else if (h.transactional) open.add(h.producerId);
          offset = h.baseOffset + h.lastOffsetDelta + 1;
        });
        if (offset === start) break;
      }
      return out;
    };
    // Every aborted-index entry ends at an ABORT marker that is still in the log.
    const consistent = async () => {
      const at = new Set((await markers()).map((m) => `${m.producerId}:${m.offset}`));
      for (const [pid, ranges] of log.abortedRanges()) for (const [, last] of ranges) expect(at.has(`${pid}:${last}`)).toBe(true);
    };

    expect(await new LogCleaner(() => now, 1000).clean(log)).not.toBeNull();
    // First pass: the aborted data and the overwritten commits are gone, their markers only stamped.
    expect((await markers()).length).toBe(24);
    expect((await readCommitted(log)).filter((v) => !v.startsWith("filler"))).toEqual([`committed-11-${pad}`]);
    await consistent();

    now += 1_001;
    await filler(12);
    expect(await new LogCleaner(() => now, 1000).clean(log)).not.toBeNull();
    const left = await markers();
    // Markers stay only for transactions with a batch left: the commit whose record is the key's
    // newest, and those whose emptied batches keep the producers' last sequences (or a segment's last offset).
    expect(left.length).toBeLessThan(12);
    const lastOffsets = new Set(log.closedSegments().map((seg) => seg.nextOffset - 1));
    expect(left.filter((m) => !m.withData && !lastOffsets.has(m.offset))).toEqual([]);
    expect(left.some((m) => m.producerId === 1)).toBe(true);
    expect((await readCommitted(log)).filter((v) => !v.startsWith("filler"))).toEqual([`committed-11-${pad}`]);
    expect([...log.abortedRanges().values()].flat().length).toBeLessThanOrEqual(left.filter((m) => m.producerId === 2).length);
    await consistent();

    // A crash: the reopened log rebuilds its transactions from the cleaned segments and finds none open.
    const again = PartitionLog.open(dir, "t", 0, settings({ "cleanup.policy": "compact" }), () => now);
    expect(again.openTransactions.size).toBe(0);
    expect(again.lastStableOffset).toBe(again.highWatermark);
    expect((await readCommitted(again)).filter((v) => !v.startsWith("filler"))).toEqual([`committed-11-${pad}`]);
  });
});
