import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeRecords, encodeRecordBatch } from "../../kafka/records/batch";
import { effectiveConfigs, logSettings } from "./configs";
import { LogManager } from "./log-manager";
import { PartitionLog } from "./partition-log";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("limits");

const openFds = () => readdirSync("/proc/self/fd").length;

describe("file handles", () => {
  it("stay bounded with 2,000 partitions: segments open on use and the least recently used close", async () => {
    const dataDir = tempDir();
    const limit = 64;
    const start = openFds();
    const logs = LogManager.open({ dataDir, maxOpenSegments: limit, backgroundIntervalMs: 60_000 });
    // flush.messages high: this test is about descriptors, not 2,000 fsyncs.
    await logs.createTopic("wide", { partitions: 2000, configs: { "flush.messages": "1000000" } });
    expect(openFds() - start).toBeLessThanOrEqual(limit + 8);
    const parts = logs.partitions("wide");
    for (const p of parts) await p.append(encodeRecordBatch([{ key: null, value: Buffer.from(`to ${p.partition}`) }]));
    expect(logs.handles.size).toBeLessThanOrEqual(limit);
    expect(openFds() - start).toBeLessThanOrEqual(limit + 8);
    // Every partition still reads back its own record, reopening closed files on the way.
    for (const p of parts) expect(decodeRecords((await p.read(0, 1024)).records)[0].value!.toString()).toBe(`to ${p.partition}`);
    expect(openFds() - start).toBeLessThanOrEqual(limit + 8);
    await logs.close();
    expect(openFds()).toBeLessThanOrEqual(start + 2);

    // Opening them all again (recovery reads every segment) is bounded too.
    const again = LogManager.open({ dataDir, maxOpenSegments: limit, backgroundIntervalMs: 60_000 });
    expect(openFds() - start).toBeLessThanOrEqual(limit + 8);
    expect(again.partition("wide", 1999).logEndOffset).toBe(1);
    await again.close();
  }, 180_000);
});

describe("shutdown with many partitions", () => {
  it("closes 2,000 partitions under a 256 open-file limit without EMFILE, and they reopen cleanly", async () => {
    const dataDir = tempDir();
    const child = join(import.meta.dirname, "close-child.ts");
    const { stdout } = await promisify(execFile)("prlimit", ["--nofile=256:256", process.execPath, "--import", "tsx", child, dataDir, "2000"], { timeout: 120_000 });
    expect(stdout.trim()).toBe("closed");
    const again = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    const parts = again.partitions("wide");
    expect(parts).toHaveLength(2000);
    // A clean close left every partition's marker: none needed recovery, and each kept its record.
    expect(parts.every((p) => p.logEndOffset === 1)).toBe(true);
    await again.close();
  }, 180_000);
});

describe("disk full (ENOSPC) on a real tmpfs", () => {
  it("fails the append with KAFKA_STORAGE_ERROR, keeps the log consistent, and resumes when space returns", async () => {
    // Mounting needs root, as in the project's CI container; a failure here says so plainly.
    const dir = tempDir();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir]);
    try {
      const settings = logSettings(effectiveConfigs({ "segment.bytes": String(8 << 20) }));
      const log = PartitionLog.open(join(dir, "t-0"), "t", 0, settings);
      const value = Buffer.alloc(3000, 7);
      const acked: number[] = [];
      let failure: unknown;
      for (let i = 0; i < 1000 && !failure; i++) {
        try {
          acked.push((await log.append(encodeRecordBatch([{ key: Buffer.from(`k${i}`), value }]))).baseOffset);
        } catch (err) {
          failure = err;
        }
      }
      expect(failure).toMatchObject({ code: 56, message: expect.stringMatching(/disk full: nothing was appended/) });
      expect(acked.length).toBeGreaterThan(10);
      expect(log.logEndOffset).toBe(acked.length);
      // No partial batch on disk: the file holds exactly the acknowledged batches.
      const segFile = join(dir, "t-0", readdirSync(join(dir, "t-0")).find((f) => f.endsWith(".log"))!);
      expect(statSync(segFile).size).toBe(log.sizeBytes);
      // Still full: still refused, still nothing appended.
      await expect(log.append(encodeRecordBatch([{ key: null, value }]))).rejects.toMatchObject({ code: 56 });
      expect(log.logEndOffset).toBe(acked.length);

      execFileSync("mount", ["-o", "remount,size=4m", dir]);
      const after = await log.append(encodeRecordBatch([{ key: Buffer.from("after"), value: Buffer.from("space is back") }]));
      expect(after.baseOffset).toBe(acked.length);

      // A crash now (no close) recovers cleanly: every acknowledged record, nothing else.
      const recovered = PartitionLog.open(join(dir, "t-0"), "t", 0, settings);
      expect(recovered.corruption).toBeUndefined();
      expect(recovered.logEndOffset).toBe(acked.length + 1);
      const offsets: number[] = [];
      let offset = 0;
      while (offset < recovered.highWatermark) {
        const rs = decodeRecords((await recovered.read(offset, 64 * 1024)).records);
        for (const r of rs) offsets.push(r.offset);
        offset = rs[rs.length - 1].offset + 1;
      }
      expect(offsets).toEqual([...acked, acked.length]);
      await recovered.close();
      await log.close(); // the "crashed" instance still held its file open
    } finally {
      execFileSync("umount", [dir]);
    }
  });
});
