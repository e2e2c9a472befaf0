import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/** Size of each sequential write, the order of a broker's flushed segment append. */
export const DISK_WRITE_BYTES = 1 << 20;

export type SyncMode = "every-write" | "at-end";

export interface DiskResult {
  mode: SyncMode;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
}

/**
 * Sequential writes of DISK_WRITE_BYTES into a new file in `dir`, with fsync after every write
 * (the cost of a broker that syncs each batch) or one fsync at the end (page-cache speed plus one
 * flush — the most a broker can write durably over time).
 */
export async function sequentialWrite(dir: string, totalBytes: number, mode: SyncMode): Promise<DiskResult> {
  const file = join(dir, `disk-limit-${mode}.bin`);
  const chunk = Buffer.alloc(DISK_WRITE_BYTES, 0x61);
  const fh = await open(file, "w");
  try {
    const start = performance.now();
    for (let written = 0; written < totalBytes; written += chunk.length) {
      await fh.write(chunk, 0, chunk.length);
      if (mode === "every-write") await fh.sync();
    }
    if (mode === "at-end") await fh.sync();
    const seconds = (performance.now() - start) / 1000;
    return { mode, bytes: totalBytes, seconds, mbPerSecond: totalBytes / 1e6 / seconds };
  } finally {
    await fh.close();
    await rm(file, { force: true });
  }
}
