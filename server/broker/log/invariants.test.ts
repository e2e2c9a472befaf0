import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../kafka/errors";
import { decodeRecords, encodeRecordBatch } from "../../kafka/records/batch";
import { effectiveConfigs, logSettings } from "./configs";
import { FileHandles } from "./file-handles";
import { StorageInvariantError } from "./invariants";
import { PartitionLog } from "./partition-log";
import { Segment } from "./segment";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("invariants");

const settings = () => logSettings(effectiveConfigs({ "flush.messages": "1" }));
const batch = (value: string) => encodeRecordBatch([{ key: Buffer.from("k"), value: Buffer.from(value) }]);

describe("storage invariants", () => {
  it("refuse an append when the segment file does not end where the log wrote it, and recovery repairs the partition", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    await log.append(batch("first"));
    // Something other than the log writes to the active segment: the next batch would land after
    // those bytes while the index points where the log thinks the file ends.
    const segmentFile = readdirSync(dir).find((f) => f.endsWith(".log"))!;
    appendFileSync(join(dir, segmentFile), Buffer.alloc(100, 0xff));
    const refused = await log.append(batch("second")).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StorageInvariantError);
    expect((refused as StorageInvariantError).code).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((refused as StorageInvariantError).message).toMatch(/storage invariant broken: segment .* is \d+ bytes after an append, but the log wrote it up to byte \d+/);
    // The partition stays refused: nothing more is written on top of a log that disagrees with its file.
    await expect(log.append(batch("third"))).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR, message: expect.stringContaining("storage invariant broken") });
    expect(log.highWatermark).toBe(1);
    await log.close();

    // A restart recovers from the file: the foreign bytes are a torn tail and are cut away.
    const reopened = PartitionLog.open(dir, "t", 0, settings());
    expect(reopened.corruption).toBeUndefined();
    const r = await reopened.append(batch("after recovery"));
    const values = decodeRecords((await reopened.read(0, 1 << 20)).records).map((x) => x.value!.toString());
    expect(values[0]).toBe("first");
    expect(values.at(-1)).toBe("after recovery");
    expect(r.baseOffset).toBe(values.length - 1);
    await reopened.close();
  });

  it("refuse a high watermark past the log end", async () => {
    const log = PartitionLog.open(tempDir(), "t", 0, settings());
    await log.append(batch("only"));
    // Nothing in the log moves it there; the guard is what keeps reads from serving bytes that are not written.
    const advance = (to: number) => (log as unknown as { advanceHighWatermark(to: number): void }).advanceHighWatermark(to);
    expect(() => advance(5)).toThrow(/storage invariant broken: the high watermark of t-0 would pass its log end \(5 > 1\)/);
    expect(log.highWatermark).toBe(1);
    await expect(log.append(batch("refused"))).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    await log.close();
  });

  it("refuse indexing a batch whose offsets go back in a segment", () => {
    const handles = new FileHandles();
    const seg = Segment.create(tempDir(), 0, Date.now(), handles);
    seg.track(0, 4, 1, 0, 100, 4096);
    // Compaction leaves gaps, which are fine; offsets going back would break every lookup.
    seg.track(10, 12, 2, 100, 100, 4096);
    expect(seg.nextOffset).toBe(13);
    expect(() => seg.track(12, 15, 3, 200, 100, 4096)).toThrow(/storage invariant broken: segment 0 got a batch of offsets 12-15 after offset 12/);
    expect(seg.nextOffset).toBe(13);
    seg.close();
  });
});
