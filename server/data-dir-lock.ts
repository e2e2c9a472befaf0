import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Why a data dir could not be locked: another live process holds it. */
export class DataDirLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the data dir for this process: a `tributary.lock` file holding its pid, created
 * exclusively. Two brokers writing one log directory would corrupt it, so a second start fails
 * while the first lives; a lock left by a process that died is taken over. Returns the release.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, "tributary.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
    }
    const holder = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      throw new DataDirLockedError(`data dir ${dir} is in use by another Tributary (pid ${holder}); stop it first or pick another --data-dir (if no such process runs, delete ${file})`);
    }
    unlinkSync(file);
  }
}
