import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "@/server/paths";
import { TcpProxy } from "./test-proxy";

export const run = promisify(execFile);
export const bin = join(projectRoot, "bin", "tributary.mjs");

export interface KcatPartition {
  partition: number;
  leader: number;
  replicas: { id: number }[];
  isrs: { id: number }[];
}

export interface KcatMetadata {
  controllerid: number;
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: KcatPartition[] }[];
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  return port;
}

/** kcat -L against one broker, or undefined while it does not answer. */
export async function kcatMetadata(port: number, topic?: string): Promise<KcatMetadata | undefined> {
  try {
    const { stdout } = await run("kcat", ["-b", `127.0.0.1:${port}`, "-L", "-J", "-m", "3", ...(topic ? ["-t", topic] : [])]);
    return JSON.parse(stdout) as KcatMetadata;
  } catch {
    return undefined;
  }
}

export interface BrokerProcess {
  nodeId: number;
  child: ChildProcess;
  /** The port the broker binds. */
  port: number;
  /** The port it advertises: its proxy's when proxied, else its own. */
  advertisedPort: number;
  proxy?: TcpProxy;
  dataDir: string;
}

export interface ProcessClusterOptions {
  databaseUrl: string;
  sessionTimeoutMs: number;
  /** More flags for every broker (e.g. --replica-lag-time-max-ms). */
  args?: string[];
  /** Put a TCP proxy in front of each broker and advertise it, so tests can cut or slow links. */
  proxied?: boolean;
}

const env = { ...process.env, TRIBUTARY_LOG_LEVEL: "warn" };

/**
 * `tributary broker --node-id N` processes sharing one database, each on free ports with its own
 * data dir (kept across restarts of the same node id), optionally behind a TCP proxy.
 */
export class ProcessCluster {
  readonly brokers = new Map<number, BrokerProcess>();
  private readonly dirs = new Map<number, string>();
  private readonly extraDirs: string[] = [];

  constructor(private readonly opts: ProcessClusterOptions) {}

  /** Bundles the server once, so brokers started together do not all build it. */
  static async build(): Promise<void> {
    await run(process.execPath, [bin, "--version"]);
  }

  /** The command-line arguments of a broker with this node id: a fresh port, its data dir (or a new one, for a second process). */
  async argsFor(nodeId: number, o: { newDataDir?: boolean } = {}): Promise<{ args: string[]; port: number; dataDir: string }> {
    const port = await freePort();
    const dataDir = (!o.newDataDir && this.dirs.get(nodeId)) || mkdtempSync(join(tmpdir(), `tributary-broker-${nodeId}-`));
    if (o.newDataDir) this.extraDirs.push(dataDir);
    else this.dirs.set(nodeId, dataDir);
    const args = ["broker", "--node-id", String(nodeId), "--database-url", this.opts.databaseUrl, "--kafka-port", String(port), "--data-dir", dataDir, "--broker-session-timeout-ms", String(this.opts.sessionTimeoutMs), ...(this.opts.args ?? [])];
    return { args, port, dataDir };
  }

  /** Starts (or restarts) a broker; resolves once it answers Metadata. */
  async start(nodeId: number): Promise<BrokerProcess> {
    const { args, port, dataDir } = await this.argsFor(nodeId);
    const previous = this.brokers.get(nodeId)?.proxy;
    const proxy = this.opts.proxied ? (previous ?? (await TcpProxy.start())) : undefined;
    proxy?.retarget(port);
    const advertisedPort = proxy?.port ?? port;
    const child = spawn(process.execPath, [bin, ...args, "--advertised-listener", `127.0.0.1:${advertisedPort}`], { env, stdio: ["ignore", "ignore", "inherit"] });
    const b: BrokerProcess = { nodeId, child, port, advertisedPort, proxy, dataDir };
    this.brokers.set(nodeId, b);
    return b;
  }

  /** Sends a signal; for SIGKILL and SIGTERM resolves once the process has exited. */
  async signal(nodeId: number, signal: NodeJS.Signals): Promise<void> {
    const { child } = this.brokers.get(nodeId)!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = signal === "SIGKILL" || signal === "SIGTERM" ? new Promise((r) => child.once("exit", r)) : Promise.resolve();
    child.kill(signal);
    await exited;
  }

  /** A comma-separated bootstrap list of every broker started. */
  get bootstrap(): string {
    return [...this.brokers.values()].map((b) => `127.0.0.1:${b.advertisedPort}`).join(",");
  }

  async stopAll(): Promise<void> {
    for (const b of this.brokers.values()) {
      // A stopped process must run again to hear SIGTERM.
      b.child.kill("SIGCONT");
      await this.signal(b.nodeId, "SIGTERM");
      await b.proxy?.close();
    }
    for (const d of [...this.dirs.values(), ...this.extraDirs]) rmSync(d, { recursive: true, force: true });
  }
}
