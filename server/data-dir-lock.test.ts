import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir } from "./data-dir-lock";
import { tempDirs } from "@/server/testing/temp-dir";

const dataDir = tempDirs("lock");

describe("the data dir lock", () => {
  it("holds this process's pid and is gone once released", () => {
    const dir = dataDir();
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, "tributary.lock"), "utf8")).toBe(`${process.pid}\n`);
    release();
    expect(existsSync(join(dir, "tributary.lock"))).toBe(false);
  });

  it("refuses a data dir another live process holds, naming it", async () => {
    const dir = dataDir();
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    try {
      writeFileSync(join(dir, "tributary.lock"), `${other.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
      expect(() => lockDataDir(dir)).toThrow(`in use by another Tributary (pid ${other.pid})`);
    } finally {
      other.kill();
      await new Promise((r) => other.once("exit", r));
    }
    // Its holder gone, the lock is taken over.
    lockDataDir(dir)();
  });

  it("takes over a lock left by a process that died", () => {
    const dir = dataDir();
    writeFileSync(join(dir, "tributary.lock"), "4194303\n");
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, "tributary.lock"), "utf8")).toBe(`${process.pid}\n`);
    release();
  });
});
