import { setTimeout as sleep } from "node:timers/promises";
import { KafkaClient } from "@/server/kafka/client";
import { eventually } from "./eventually";
import { TcpProxy } from "./tcp-proxy";
import { freePort, runTributary, runTributaryToExit, type TributaryProcess } from "./tributary-process";

export interface BrokerClusterOptions {
  nodeIds: readonly number[];
  /** The cluster's own database (one per run). */
  databaseUrl: string;
  sessionTimeoutMs: number;
  /** A fresh data dir per broker. */
  dataDir: () => string;
  /** More `tributary broker` flags for every broker. */
  args?: readonly string[];
  logLevel?: string;
  /** A TCP proxy in front of each broker, advertised in its place, so tests can cut or slow the links to it. */
  proxied?: boolean;
}

interface Node {
  nodeId: number;
  port: number;
  dataDir: string;
  process: TributaryProcess | undefined;
  paused: boolean;
  proxy: TcpProxy | undefined;
}

/**
 * `tributary broker --node-id N` processes on loopback sharing one database, as an operator runs
 * them, with the faults tests inject: SIGKILL, SIGSTOP/SIGCONT, SIGTERM, and restarts on the same
 * port and data dir.
 */
export class BrokerCluster {
  private constructor(
    private readonly o: BrokerClusterOptions,
    private readonly nodes: Map<number, Node>,
  ) {}

  static async start(o: BrokerClusterOptions): Promise<BrokerCluster> {
    const nodes = new Map<number, Node>();
    for (const nodeId of o.nodeIds) {
      const port = await freePort();
      nodes.set(nodeId, { nodeId, port, dataDir: o.dataDir(), process: undefined, paused: false, proxy: o.proxied ? await TcpProxy.start(port) : undefined });
    }
    const cluster = new BrokerCluster(o, nodes);
    // Bundle the server once, so the brokers started together do not all build it.
    await runTributaryToExit(["--version"]);
    for (const nodeId of o.nodeIds) cluster.launch(nodeId);
    try {
      await cluster.waitForBrokers(o.nodeIds.length);
    } catch (err) {
      const output = o.nodeIds.map((id) => `broker ${id}:\n${cluster.output(id)}`).join("\n");
      await cluster.close();
      throw new Error(`${(err as Error).message}\n${output}`, { cause: err });
    }
    return cluster;
  }

  bootstrap(): string[] {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.port}`);
  }

  port(nodeId: number): number {
    return this.node(nodeId).port;
  }

  /** The proxy in front of a broker (proxied clusters only). */
  proxy(nodeId: number): TcpProxy {
    const p = this.node(nodeId).proxy;
    if (!p) throw new Error(`broker ${nodeId} has no proxy: start the cluster with proxied: true`);
    return p;
  }

  dataDir(nodeId: number): string {
    return this.node(nodeId).dataDir;
  }

  /** Running and not paused. */
  isUp(nodeId: number): boolean {
    const n = this.node(nodeId);
    return n.process !== undefined && !n.paused;
  }

  /** Starts a broker with a new node id, port and data dir in the running cluster, as scaling out does. */
  async add(nodeId: number): Promise<void> {
    if (this.nodes.has(nodeId)) throw new Error(`broker ${nodeId} is in this cluster already`);
    const port = await freePort();
    this.nodes.set(nodeId, { nodeId, port, dataDir: this.o.dataDir(), process: undefined, paused: false, proxy: this.o.proxied ? await TcpProxy.start(port) : undefined });
    this.launch(nodeId);
  }

  /** Resolves once a client of the cluster lists `count` live brokers. */
  async waitForBrokers(count: number, timeoutMs = 60_000): Promise<void> {
    const up = [...this.nodes.values()].filter((n) => this.isUp(n.nodeId));
    const client = new KafkaClient({ bootstrap: up.map((n) => `127.0.0.1:${n.port}`), retries: 0, requestTimeoutMs: 3_000, connectTimeoutMs: 2_000 });
    try {
      await eventually(async () => (await client.admin.metadata([]).catch(() => undefined))?.brokers.length === count || undefined, timeoutMs, `${count} live brokers`);
    } finally {
      await client.close();
    }
  }

  async kill(nodeId: number): Promise<void> {
    await this.stop(nodeId, "SIGKILL");
  }

  /** SIGTERM: the broker's controlled shutdown; SIGKILL if it has not exited in `graceMs`. */
  async terminate(nodeId: number, graceMs = 30_000): Promise<void> {
    await this.stop(nodeId, "SIGTERM", graceMs);
  }

  pause(nodeId: number): void {
    const n = this.node(nodeId);
    n.process?.child.kill("SIGSTOP");
    n.paused = true;
  }

  resume(nodeId: number): void {
    const n = this.node(nodeId);
    n.process?.child.kill("SIGCONT");
    n.paused = false;
  }

  /** Starts a stopped broker again with its node id, port and data dir. */
  restart(nodeId: number): void {
    if (this.node(nodeId).process) throw new Error(`broker ${nodeId} is still running`);
    this.launch(nodeId);
  }

  /** What a broker printed (its warnings and errors at the default log level). */
  output(nodeId: number): string {
    const p = this.node(nodeId).process;
    return p ? p.stdout() + p.stderr() : "";
  }

  async close(): Promise<void> {
    for (const n of this.nodes.values()) if (n.paused) this.resume(n.nodeId);
    await Promise.all([...this.nodes.keys()].map((id) => this.terminate(id, 10_000)));
    await Promise.all([...this.nodes.values()].flatMap((n) => (n.proxy ? [n.proxy.close()] : [])));
  }

  private launch(nodeId: number): void {
    const n = this.node(nodeId);
    const args = ["broker", "--node-id", String(nodeId), "--database-url", this.o.databaseUrl, "--kafka-port", String(n.port), "--advertised-listener", `127.0.0.1:${n.proxy?.port ?? n.port}`, "--data-dir", n.dataDir, "--broker-session-timeout-ms", String(this.o.sessionTimeoutMs), ...(this.o.args ?? [])];
    n.process = runTributary(args, { TRIBUTARY_LOG_LEVEL: this.o.logLevel ?? "warn" });
    n.paused = false;
  }

  private async stop(nodeId: number, signal: NodeJS.Signals, graceMs = 30_000): Promise<void> {
    const n = this.node(nodeId);
    const p = n.process;
    if (!p) return;
    if (n.paused) p.child.kill("SIGCONT");
    p.child.kill(signal);
    const exited = await Promise.race([p.exit.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exited) {
      p.child.kill("SIGKILL");
      await p.exit;
    }
    n.process = undefined;
    n.paused = false;
  }

  private node(nodeId: number): Node {
    const n = this.nodes.get(nodeId);
    if (!n) throw new Error(`no broker ${nodeId} in this cluster`);
    return n;
  }
}
