import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * How the proxy treats bytes: passed, dropped both ways (a partition: no reset, the peer just
 * hears nothing), dropped one way only, or passed after a delay.
 */
export type ProxyMode = { kind: "pass" } | { kind: "drop" } | { kind: "one-way"; passes: "to-broker" | "from-broker" } | { kind: "delay"; ms: number };

/** A TCP proxy in front of one broker, for tests that cut, halve or slow the links to it. */
export class TcpProxy {
  private mode: ProxyMode = { kind: "pass" };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: number,
  ) {
    server.on("connection", (client) => this.accept(client));
  }

  static async start(target: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return new TcpProxy(server, target);
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Changes the mode; going back to "pass" resets the connections, so peers reconnect at once. */
  set(mode: ProxyMode): void {
    this.mode = mode;
    if (mode.kind === "pass") for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  private accept(client: Socket): void {
    const broker = createConnection({ host: "127.0.0.1", port: this.target });
    for (const s of [client, broker]) {
      this.sockets.add(s);
      s.on("close", () => {
        this.sockets.delete(s);
        client.destroy();
        broker.destroy();
      });
      s.on("error", () => {});
    }
    client.on("data", (d: Buffer) => this.forward(d, broker, "to-broker"));
    broker.on("data", (d: Buffer) => this.forward(d, client, "from-broker"));
  }

  private forward(data: Buffer, to: Socket, direction: "to-broker" | "from-broker"): void {
    const m = this.mode;
    if (m.kind === "drop" || (m.kind === "one-way" && m.passes !== direction)) return;
    if (m.kind === "delay") setTimeout(() => to.write(data), m.ms);
    else to.write(data);
  }
}
