import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "@/server/paths";

export { freePort } from "@/bench/lib/net";

/** The project's own command, as an operator runs it: `tributary <args>` in a child process. */
export interface TributaryProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

export function runTributary(args: string[], env: Record<string, string> = {}): TributaryProcess {
  const child = spawn(process.execPath, [join(projectRoot, "bin", "tributary.mjs"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: "info", ...env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { child, stdout: () => out, stderr: () => err, exit: new Promise((r) => child.on("exit", (code) => r(code))) };
}

/** `tributary <args>` run to its end, as from a shell: its exit code and all it printed. */
export async function runTributaryToExit(
  args: string[],
  env: Record<string, string> = {},
  onStart?: (child: ChildProcess) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runTributary(args, env);
  onStart?.(p.child);
  const code = await p.exit;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** `tributary agent --flume-conf <conf>` with agent a1, its state in dataDir and metrics on a free port. */
export function runAgent(conf: string, dataDir: string): TributaryProcess {
  return runTributary(["agent", "--flume-conf", conf, "--name", "a1", "--data-dir", dataDir, "--metrics-port", "0"]);
}
