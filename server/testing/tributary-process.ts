import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { projectRoot } from "@/server/paths";
import { eventually } from "./eventually";

export { freePort } from "@/bench/lib/net";

/** A child process of the project's own command (`tributary <args>`, as an operator runs it) or of the agent's entry point. */
export interface TributaryProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

export function runTributary(args: string[], env: Record<string, string> = {}): TributaryProcess {
  return runNode([join(projectRoot, "bin", "tributary.mjs"), ...args], env);
}

/**
 * The agent's own entry point (server/agents/cli-main.ts under tsx) with `args`: the agent from the
 * sources as they are, without the bundle `tributary` builds first.
 */
export function runAgentMain(args: string[]): TributaryProcess {
  return runNode(["--import", "tsx", join(projectRoot, "server", "agents", "cli-main.ts"), ...args]);
}

/** Writes a Flume properties file of `lines` into `dir` and runs the agent's entry point on it as agent a1, its state in `dir`/data. */
export async function runFlumeLinesMain(dir: string, lines: string[], args: string[] = []): Promise<TributaryProcess> {
  const conf = join(dir, "agent.properties");
  await writeFile(conf, [...lines, ""].join("\n"));
  return runAgentMain(["--flume-conf", conf, "--name", "a1", "--data-dir", join(dir, "data"), ...args]);
}

function runNode(args: string[], env: Record<string, string> = {}): TributaryProcess {
  const child = spawn(process.execPath, args, {
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

/** The metrics URL of an agent started with --metrics-port, once it logs that its flow runs. */
export function agentMetricsUrl(agent: TributaryProcess): Promise<string> {
  return eventually(() => (agent.stderr().includes("running flow") ? /metrics at (\S+)/.exec(agent.stderr())?.[1] : undefined), 30_000, "agent start");
}

/** Runs `body` while the agent runs, then stops it as an operator does (SIGTERM); rejects unless it then exits 0. */
export async function whileRunning<T>(agent: TributaryProcess, body: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await body();
  } finally {
    agent.child.kill("SIGTERM");
  }
  const code = await agent.exit;
  if (code !== 0) throw new Error(`the agent exited with ${code} on SIGTERM: ${agent.stderr()}`);
  return result;
}
