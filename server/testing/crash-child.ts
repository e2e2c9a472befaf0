import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";

export type CrashChild = ChildProcessByStdio<null, Readable, null>;

/**
 * Runs a TypeScript child (`node --import tsx script ...args`) for a crash test: each whole line it
 * prints is handed to onLine as it arrives, which is how the test learns what the child had
 * acknowledged before it is killed. stderr is inherited so a child's failure shows in the test output.
 */
export function spawnCrashChild(script: string, args: string[], onLine: (line: string) => void): CrashChild {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let buf = "";
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) onLine(l);
  });
  return child;
}

/** SIGKILL, resolving once the child is gone (so its files can be inspected). */
export async function killHard(child: CrashChild): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}
