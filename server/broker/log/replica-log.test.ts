import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../kafka/errors";
import { encodeRecordBatch, readBatchHeader } from "../../kafka/records/batch";
import { effectiveConfigs, logSettings } from "./configs";
import { StorageInvariantError } from "./invariants";
import { PartitionLog } from "./partition-log";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "tributary-replica-log-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const settings = () => logSettings(effectiveConfigs({ "segment.bytes": String(4 * 1024), "index.interval.bytes": "512" }));
const batch = (n: number, tag: string, producer?: { producerId: number; producerEpoch: number; baseSequence: number }) =>
  encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`${tag}-${i}-${"x".repeat(60)}`) })), producer ?? {});

/** Everything a log holds from `from` to its end, as a follower's fetch reads it. */
async function readToEnd(log: PartitionLog, from = log.logStartOffset): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 64 * 1024, true, "replica");
    if (!records.length) break;
    parts.push(records);
    let pos = 0;
    while (pos < records.length) {
      const h = readBatchHeader(records, pos);
      offset = h.baseOffset + h.lastOffsetDelta + 1;
      pos += h.size;
    }
  }
  return Buffer.concat(parts);
}

/** How many bytes of `buf` hold the batches below `offset`. */
function bytesBelow(buf: Buffer, offset: number): number {
  let pos = 0;
  while (pos < buf.length && readBatchHeader(buf, pos).baseOffset < offset) pos += readBatchHeader(buf, pos).size;
  return pos;
}

describe("partition log as a replica", () => {
  it("appends a leader's batches byte for byte (offsets, leader epochs) and keeps the leader-epoch cache across a restart", async () => {
    const leader = PartitionLog.open(tempDir(), "t", 0, settings());
    leader.leaderEpoch = 3;
    for (let i = 0; i < 20; i++) await leader.append(batch(4, `a${i}`));
    leader.leaderEpoch = 5;
    for (let i = 0; i < 20; i++) await leader.append(batch(3, `b${i}`));
    expect(leader.epochs.all).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 80 }]);

    const dir = tempDir();
    const follower = PartitionLog.open(dir, "t", 0, settings());
    // A follower's high watermark is the leader's, not its own flushes.
    follower.replicatedHighWatermark(0);
    const bytes = await readToEnd(leader);
    // In two pieces, the first ending inside a batch: the partial batch waits for the next fetch.
    const cut = 1000;
    await follower.appendReplica(bytes.subarray(0, cut));
    await follower.appendReplica(await readToEnd(leader, follower.logEndOffset));
    expect(follower.logEndOffset).toBe(leader.logEndOffset);
    expect((await readToEnd(follower)).equals(bytes)).toBe(true);
    expect(follower.highWatermark).toBe(0);
    follower.replicatedHighWatermark(100);
    expect(follower.highWatermark).toBe(100);
    expect(follower.epochs.all).toEqual(leader.epochs.all);
    await follower.close();

    const reopened = PartitionLog.open(dir, "t", 0, settings());
    expect(reopened.epochs.all).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 80 }]);
    expect(reopened.epochs.endOffsetFor(3, reopened.logEndOffset)).toEqual({ epoch: 3, endOffset: 80 });
    expect(reopened.epochs.endOffsetFor(4, reopened.logEndOffset)).toEqual({ epoch: 3, endOffset: 80 });
    expect(reopened.epochs.endOffsetFor(9, reopened.logEndOffset)).toEqual({ epoch: 5, endOffset: 140 });
    expect(reopened.epochs.endOffsetFor(2, reopened.logEndOffset)).toBeUndefined();
    await reopened.close();
    await leader.close();
  });

  it("rebuilds from the batches after a crash the epochs its checkpoint file lacks (the file is written behind)", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    log.leaderEpoch = 3;
    for (let i = 0; i < 10; i++) await log.append(batch(4, `a${i}`));
    log.leaderEpoch = 5;
    for (let i = 0; i < 10; i++) await log.append(batch(3, `b${i}`));
    await log.epochs.flushed();
    // A crash before the write behind reached the disk: the file is gone, the batches are not.
    rmSync(join(dir, "leader-epoch-checkpoint"));
    const recovered = PartitionLog.open(dir, "t", 0, settings());
    expect(recovered.epochs.all).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 40 }]);
    await recovered.epochs.flushed();
    expect(readFileSync(join(dir, "leader-epoch-checkpoint"), "utf8")).toBe("0\n2\n3 0\n5 40\n");
    await recovered.close();
  });

  it("keeps a truncation that lands while a new epoch is being written behind", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    log.leaderEpoch = 2;
    await log.append(batch(4, "a"));
    await log.epochs.flushed();
    // A leadership starts epoch 7 at the log end, and at once a truncation takes it back.
    log.epochs.assign(7, log.logEndOffset);
    log.epochs.truncateFrom(log.logEndOffset);
    await log.epochs.flushed();
    expect(readFileSync(join(dir, "leader-epoch-checkpoint"), "utf8")).toBe("0\n1\n2 0\n");
    await log.close();
    expect(PartitionLog.open(dir, "t", 0, settings()).epochs.all).toEqual([{ epoch: 2, startOffset: 0 }]);
  });

  it("refuses batches that overlap its log end without writing anything", async () => {
    const log = PartitionLog.open(tempDir(), "t", 0, settings());
    await log.append(batch(5, "x"));
    const other = PartitionLog.open(tempDir(), "t", 0, settings());
    await other.append(batch(5, "y"));
    await expect(log.appendReplica(await readToEnd(other))).rejects.toBeInstanceOf(StorageInvariantError);
    expect(log.logEndOffset).toBe(5);
    await log.append(batch(1, "still writable"));
    expect(log.logEndOffset).toBe(6);
    // A follower's log takes only the leader's batches: a local write would make it diverge.
    log.following = true;
    await expect(log.append(batch(1, "local"))).rejects.toMatchObject({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  it("truncates to an offset at a batch boundary across segments, dropping epochs and producer state past it, and appends again", async () => {
    const dir = tempDir();
    const log = PartitionLog.open(dir, "t", 0, settings());
    log.leaderEpoch = 1;
    for (let i = 0; i < 30; i++) await log.append(batch(2, `p${i}`, { producerId: 7, producerEpoch: 0, baseSequence: i * 2 }));
    log.leaderEpoch = 2;
    for (let i = 30; i < 60; i++) await log.append(batch(2, `p${i}`, { producerId: 7, producerEpoch: 0, baseSequence: i * 2 }));
    expect(log.segmentCount).toBeGreaterThan(2);
    const kept = await readToEnd(log);
    await log.truncateTo(60);
    expect(log.logEndOffset).toBe(60);
    expect(log.highWatermark).toBe(60);
    expect(log.epochs.all).toEqual([{ epoch: 1, startOffset: 0 }]);
    // The producer's next sequence after the cut is accepted again, not taken for a duplicate.
    const again = await log.append(batch(2, "again", { producerId: 7, producerEpoch: 0, baseSequence: 60 }));
    expect(again.baseOffset).toBe(60);
    const below = bytesBelow(kept, 60);
    expect((await readToEnd(log, 0)).subarray(0, below).equals(kept.subarray(0, below))).toBe(true);
    await log.close();
    const reopened = PartitionLog.open(dir, "t", 0, settings());
    expect(reopened.logEndOffset).toBe(62);
    await reopened.close();
  });

  it("starts over empty at the leader's log start when retention there passed its end", async () => {
    const log = PartitionLog.open(tempDir(), "t", 0, settings());
    await log.append(batch(3, "old"));
    await log.startAt(500);
    expect(log.logStartOffset).toBe(500);
    expect(log.logEndOffset).toBe(500);
    const leader = PartitionLog.open(tempDir(), "t", 0, settings());
    await leader.startAt(500);
    await leader.append(batch(2, "new"));
    await log.appendReplica(await readToEnd(leader));
    expect(log.logEndOffset).toBe(502);
  });
});
