import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/** Write temp, fsync, rename, fsync the directory: a crash leaves the old file or the new one, never half of either. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** Makes renames and deletions in dir durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * writeFileAtomic without the directory fsync, off the event loop: many of these at once (a
 * broker closing thousands of partitions) share the file system's journal commits.
 */
export async function writeFileAtomicAsync(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, "w");
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}

export async function fsyncDirAsync(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
