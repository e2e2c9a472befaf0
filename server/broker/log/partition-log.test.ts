import { readdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeRecords, encodeRecordBatch, forEachBatch } from "../../kafka/records/batch";
import { effectiveConfigs, logSettings, type TopicConfigs } from "./configs";
import { PartitionLog } from "./partition-log";
import { killHard, spawnCrashChild } from "@/server/testing/crash-child";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("log");

const settings = (c: TopicConfigs = {}) => logSettings(effectiveConfigs({ "segment.bytes": String(16 * 1024), "index.interval.bytes": "1024", ...c }));
const batchOf = (values: string[], opts: Parameters<typeof encodeRecordBatch>[1] = {}, timestamp?: number) =>
  encodeRecordBatch(values.map((v, i) => ({ key: Buffer.from(`k${i % 3}`), value: Buffer.from(v), timestamp })), opts);

async function readAll(log: PartitionLog, from = log.logStartOffset) {
  const out = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, 8192);
    const rs = decodeRecords(records);
    if (rs.length === 0) break;
    for (const r of rs) if (r.offset >= offset) out.push({ offset: r.offset, value: r.value!.toString(), timestamp: r.timestamp });
    offset = out[out.length - 1].offset + 1;
  }
  return out;
}

describe("partition log", () => {
  it("assigns offsets, rolls segments, and reads by offset across many segments", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    for (let i = 0; i < 200; i++) {
      const r = await log.append(batchOf(Array.from({ length: 5 }, (_, j) => `v${i * 5 + j}-${"x".repeat(40)}`)));
      expect(r).toMatchObject({ baseOffset: i * 5, lastOffset: i * 5 + 4, logAppendTime: -1 });
    }
    expect(log.logEndOffset).toBe(1000);
    expect(log.segmentCount).toBeGreaterThanOrEqual(4);
    expect(readdirSync(dir).filter((f) => f.endsWith(".log"))).toHaveLength(log.segmentCount);
    for (const offset of [0, 1, 499, 503, 777, 999]) {
      const { records } = await log.read(offset, 1024);
      const first = decodeRecords(records).find((r) => r.offset === offset);
      expect(first?.value?.toString()).toMatch(new RegExp(`^v${offset}-`));
    }
    const { records } = await log.read(0, 300, true);
    let batches = 0;
    forEachBatch(records, () => batches++);
    expect(batches).toBe(1); // a first batch bigger than max bytes is still served whole
    await expect(log.read(1001, 100)).rejects.toMatchObject({ code: 1 });
    expect((await log.read(1000, 100)).records.length).toBe(0);
    await log.close();
  });

  it("finds offsets by timestamp and the max timestamp across many segments, before and after a restart", async () => {
    const dir = tempDir();
    const small = settings({ "segment.bytes": "1500", "index.interval.bytes": "256" });
    const log = PartitionLog.open(dir, "t", 0, small);
    for (let i = 0; i < 100; i++) await log.append(batchOf([`a${i}`, `b${i}`], {}, 1_000_000 + i * 1000));
    expect(log.segmentCount).toBeGreaterThanOrEqual(5);
    const check = async (l: PartitionLog) => {
      expect(await l.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 1_000_000 });
      expect(await l.offsetForTimestamp(1_050_500)).toEqual({ offset: 102, timestamp: 1_051_000 });
      expect(await l.offsetForTimestamp(1_099_000)).toEqual({ offset: 198, timestamp: 1_099_000 });
      expect(await l.offsetForTimestamp(2_000_000)).toBeNull();
      expect(l.maxTimestamp()).toEqual({ offset: 199, timestamp: 1_099_000 });
      for (const offset of [0, 37, 101, 150, 199]) {
        const first = decodeRecords((await l.read(offset, 64)).records).find((r) => r.offset === offset);
        expect(first?.value?.toString()).toBe(`${offset % 2 ? "b" : "a"}${offset >> 1}`);
      }
    };
    await check(log);
    await log.close();
    expect(readdirSync(dir).filter((f) => f.endsWith(".timeindex"))).toHaveLength(log.segmentCount);
    const again = PartitionLog.open(dir, "t", 0, small); // indexes loaded from the files this time
    await check(again);
    await again.close();
  });

  it("stamps LogAppendTime topics with the broker's clock", async () => {
    let now = 5_000;
    const log = PartitionLog.open(tempDir(), "t", 0, settings({ "message.timestamp.type": "LogAppendTime" }), () => now);
    const r = await log.append(batchOf(["x", "y"], {}, 42));
    expect(r.logAppendTime).toBe(5_000);
    now = 9_000;
    const [a, b] = await readAll(log);
    expect([a.timestamp, b.timestamp]).toEqual([5_000, 5_000]);
    await log.close();
  });

  it("recovers after an unclean stop: truncates a torn tail and rebuilds lost indexes", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    for (let i = 0; i < 100; i++) await log.append(batchOf([`r${i}`, "y".repeat(100)]));
    // No close(): the process "crashed". Tear the last batch and delete an index.
    const logs = readdirSync(dir).filter((f) => f.endsWith(".log")).sort();
    const tail = join(dir, logs[logs.length - 1]);
    truncateSync(tail, statSync(tail).size - 7);
    writeFileSync(join(dir, "junk.index.tmp"), "half-written");
    const idx = readdirSync(dir).find((f) => f.endsWith(".index"));
    if (idx) unlinkSync(join(dir, idx));
    const again = PartitionLog.open(dir, "t", 0, settings());
    expect(again.logEndOffset).toBe(198); // the torn batch (2 records) is gone, nothing else
    const all = await readAll(again);
    expect(all).toHaveLength(198);
    expect(all.every((r, i) => r.offset === i)).toBe(true);
    const r = await again.append(batchOf(["after"]));
    expect(r.baseOffset).toBe(198);
    await again.close();
    // A clean restart skips validation and agrees.
    const third = PartitionLog.open(dir, "t", 0, settings());
    expect(third.logEndOffset).toBe(199);
    expect((await readAll(third)).at(-1)!.value).toBe("after");
    await third.close();
  });

  it("rejects a request whose second batch is corrupt, too large or of the wrong magic, appending nothing", async () => {
    const log = PartitionLog.open(tempDir(), "t", 0, settings({ "max.message.bytes": "2000" }));
    await log.append(batchOf(["first"]));
    const good = batchOf(["good"]);
    const corrupt = batchOf(["bad"]);
    corrupt[corrupt.length - 1] ^= 0xff;
    const wrongMagic = batchOf(["old"]);
    wrongMagic[16] = 1;
    const huge = batchOf(["h".repeat(3000)]);
    for (const [bad, code] of [[corrupt, 2], [wrongMagic, 43], [huge, 10], [good.subarray(0, 40), 2]] as const) {
      await expect(log.append(Buffer.concat([good, bad]))).rejects.toMatchObject({ code });
      expect(log.logEndOffset).toBe(1);
      expect(log.sizeBytes).toBe(batchOf(["first"]).length);
    }
    expect((await log.append(batchOf(["next"]))).baseOffset).toBe(1);
    await log.close();
  });

  it("refuses writes when a segment before the tail is corrupt", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    for (let i = 0; i < 100; i++) await log.append(batchOf([`c${i}`, "z".repeat(200)]));
    // Crash, then corrupt the first segment (which the checkpoint does not cover as flushed).
    writeFileSync(join(dir, "checkpoint.json"), JSON.stringify({ logStartOffset: 0, recoveryPoint: 0, producers: [], producerOffset: 0 }));
    const first = join(dir, readdirSync(dir).filter((f) => f.endsWith(".log")).sort()[0]);
    const fd = await import("node:fs").then((fs) => fs.openSync(first, "r+"));
    (await import("node:fs")).writeSync(fd, Buffer.from("XXXX"), 0, 4, 100);
    (await import("node:fs")).closeSync(fd);
    const again = PartitionLog.open(dir, "t", 0, settings());
    expect(again.corruption).toMatch(/corrupt before the tail/);
    await expect(again.append(batchOf(["no"]))).rejects.toMatchObject({ code: 56 });
    expect(again.logEndOffset).toBe(200); // nothing was cut away
  });

  it("deletes whole old segments by retention.ms and retention.bytes, never the active one", async () => {
    let now = 1_000_000;
    const log = PartitionLog.open(tempDir(), "t", 0, settings({ "retention.ms": "60000" }), () => now);
    for (let i = 0; i < 100; i++) await log.append(batchOf([`old${i}`, "o".repeat(300)], {}, now - 120_000));
    for (let i = 0; i < 20; i++) await log.append(batchOf([`new${i}`, "n".repeat(300)], {}, now));
    const segments = log.segmentCount;
    const dropped = log.applyRetention(now);
    expect(dropped).toBeGreaterThan(0);
    expect(log.segmentCount).toBe(segments - dropped);
    expect(log.logStartOffset).toBeGreaterThan(0);
    const left = await readAll(log);
    expect(left.filter((r) => r.value.startsWith("new"))).toHaveLength(20);
    now += 10 * 60_000;
    log.applyRetention(now);
    expect(log.segmentCount).toBe(1); // the active segment stays

    const bySize = PartitionLog.open(tempDir(), "t", 0, settings({ "retention.bytes": String(40 * 1024), "retention.ms": "-1" }));
    for (let i = 0; i < 300; i++) await bySize.append(batchOf([`s${i}`, "s".repeat(300)]));
    bySize.applyRetention(Date.now());
    expect(bySize.sizeBytes).toBeLessThanOrEqual(40 * 1024 + 16 * 1024);
    expect(bySize.sizeBytes).toBeGreaterThan(40 * 1024 - 16 * 1024);
    await log.close();
    await bySize.close();
  });

  it("moves the log start with DeleteRecords and keeps it across restarts", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    for (let i = 0; i < 50; i++) await log.append(batchOf([`d${i}`]));
    expect(log.deleteRecordsBefore(30)).toBe(30);
    await expect(log.read(10, 100)).rejects.toMatchObject({ code: 1 });
    await log.close();
    const again = PartitionLog.open(dir, "t", 0, settings());
    expect(again.logStartOffset).toBe(30);
    expect((await readAll(again))[0]).toMatchObject({ offset: 30, value: "d30" });
    await again.close();
  });

  it("returns the original offsets for a retried idempotent batch, also after a restart", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    const send = (l: PartitionLog, seq: number, epoch = 0) => l.append(batchOf([`p${seq}`, `q${seq}`], { producerId: 7, producerEpoch: epoch, baseSequence: seq }));
    expect(await send(log, 0)).toMatchObject({ baseOffset: 0, lastOffset: 1 });
    expect(await send(log, 2)).toMatchObject({ baseOffset: 2, lastOffset: 3 });
    expect(await send(log, 0)).toMatchObject({ baseOffset: 0, lastOffset: 1 }); // retry: no new append
    expect(log.logEndOffset).toBe(4);
    await expect(send(log, 9)).rejects.toMatchObject({ code: 45 }); // OUT_OF_ORDER_SEQUENCE_NUMBER
    // Crash (no close): producer state is rebuilt from the log.
    const again = PartitionLog.open(dir, "t", 0, settings());
    expect(await send(again, 2)).toMatchObject({ baseOffset: 2, lastOffset: 3 });
    expect(await send(again, 4)).toMatchObject({ baseOffset: 4, lastOffset: 5 });
    await again.close();
    // Clean restart: from the snapshot.
    const third = PartitionLog.open(dir, "t", 0, settings());
    expect(await send(third, 4)).toMatchObject({ baseOffset: 4, lastOffset: 5 });
    expect(await send(third, 6)).toMatchObject({ baseOffset: 6, lastOffset: 7 });
    await expect(send(third, 8, -5)).rejects.toMatchObject({ code: 47 }); // INVALID_PRODUCER_EPOCH
    await third.close();
  });

  it("durable topics (flush.messages=1, the default) acknowledge after fsync and share fsyncs between concurrent appends", async () => {
    const log = PartitionLog.open(tempDir(), "t", 0, settings());
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(batchOf([`g${i}`]))));
    expect(results.map((r) => r.baseOffset).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(log.highWatermark).toBe(50);
    expect(log.flushCount).toBeGreaterThan(0);
    expect(log.flushCount).toBeLessThan(10); // group commit: 50 acknowledgements, a few fsyncs
    await log.close();
  });

  it("flush.messages and flush.ms: records are visible at once and fsynced every N records or T ms", async () => {
    let now = 1_000_000;
    const log = PartitionLog.open(tempDir(), "t", 0, settings({ "flush.messages": "10", "flush.ms": "5000" }), () => now);
    for (let i = 0; i < 9; i++) await log.append(batchOf([`f${i}`]));
    expect(log.highWatermark).toBe(9); // not waiting for an fsync
    expect(log.flushCount).toBe(0);
    await log.append(batchOf(["f9"]));
    await log.flush(); // the 10th record started an fsync; wait for it
    expect(log.flushCount).toBe(1);
    await log.append(batchOf(["f10"]));
    log.flushIfDue(now + 4999); // not due: the last fsync was 4,999 ms ago
    await new Promise((r) => setTimeout(r, 50));
    expect(log.flushCount).toBe(1);
    now += 5000;
    log.flushIfDue(now);
    await log.flush(); // joins the fsync flushIfDue started
    expect(log.flushCount).toBe(2);
    // Nothing new: a flush costs nothing.
    await log.flush();
    expect(log.flushCount).toBe(2);
    await log.close();
  });

  it("loses no acknowledged batch when the appender is killed with SIGKILL (20 rounds)", async () => {
    const dir = tempDir();
    const acked: { base: number; last: number; tag: string }[] = [];
    for (let round = 0; round < 20; round++) {
      const child = spawnCrashChild(join(import.meta.dirname, "crash-child.ts"), [dir, String(round)], (l) => {
        const [base, last, tag] = l.split(" ");
        acked.push({ base: Number(base), last: Number(last), tag });
      });
      const before = acked.length;
      // Kill at a random moment once the appender is acknowledging.
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (acked.length > before + 5) {
            clearInterval(check);
            setTimeout(resolve, Math.random() * 150);
          }
        }, 5);
      });
      await killHard(child);
    }
    const log = PartitionLog.open(dir, "crash", 0, settings({ "segment.bytes": String(64 * 1024), "index.interval.bytes": "512" }));
    const all = await readAll(log);
    expect(all.every((r, i) => r.offset === i)).toBe(true); // contiguous from 0
    const byOffset = new Map(all.map((r) => [r.offset, r.value]));
    for (const a of acked) {
      for (let o = a.base; o <= a.last; o++) expect(byOffset.get(o)?.startsWith(`${a.tag}/${o - a.base}/`)).toBe(true);
    }
    expect(acked.length).toBeGreaterThan(100);
    await log.close();
  }, 120_000);
});
