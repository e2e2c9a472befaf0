import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { projectRoot } from "./paths";

/** Newest modification time of any file under the given project paths. */
export function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== "node_modules" && !name.startsWith(".")) visit(join(p, name));
    } else if (st.mtimeMs > newest) newest = st.mtimeMs;
  };
  for (const p of paths) visit(join(projectRoot, p));
  return newest;
}

const CONSOLE_SOURCES = ["app", "components", "next.config.mjs", "package.json"];
const BUILD_ID = join(projectRoot, ".next", "BUILD_ID");

export function consoleBuildIsStale(): boolean {
  return !existsSync(BUILD_ID) || statSync(BUILD_ID).mtimeMs < newestMtime(CONSOLE_SOURCES);
}

/**
 * Runs `next build` in a child process (the event loop stays free to answer "starting" meanwhile),
 * passing its output through line by line to `onLine` and to stderr; rejects with a pointer to the
 * output when it fails. Aborting the signal ends the build at once (a stop during the first start).
 */
export function buildConsole(opts: { onLine?: (line: string) => void; signal?: AbortSignal } = {}): Promise<void> {
  opts.signal?.throwIfAborted();
  process.stderr.write("Building the console (first start, or its sources changed); this takes a minute or two…\n");
  const child = spawn(process.execPath, [join(projectRoot, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      process.stderr.write(`${line}\n`);
      opts.onLine?.(line);
    });
  }
  const stop = () => child.kill("SIGTERM");
  opts.signal?.addEventListener("abort", stop, { once: true });
  return new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      opts.signal?.removeEventListener("abort", stop);
      if (opts.signal?.aborted) reject(opts.signal.reason as Error);
      else if (code === 0) resolve();
      else reject(new Error("the console build failed; see the output above"));
    });
  });
}
