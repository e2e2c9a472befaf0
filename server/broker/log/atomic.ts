import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Write temp, fsync, rename, fsync the directory: a crash leaves the old file or the new one, never half of either. */
export function writeFileAtomic(path: string, data: string | Buffer, syncDir = true): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // A caller that passes false fsyncs the directory itself after its other changes there.
  if (syncDir) fsyncDir(dirname(path));
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
