import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { type Server, type Socket, createServer } from "node:net";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, type Source, SourceCounters } from "../component";
import { parseSyslog } from "./syslog-parse";

const log = logger("agents.syslog");

const common = {
  channels: z.array(z.string()).min(1),
  host: z.string().default("0.0.0.0").describe("Address to listen on."),
  port: z.number().int().min(0).max(65535).describe("Port to listen on."),
};

export const syslogTcpSourceSchema = z.object({
  type: z.literal("syslogtcp"),
  ...common,
  batchSize: z.number().int().positive().default(100).describe("Most messages put in one transaction."),
}).describe("Syslog over TCP, one message per line (RFC 3164 or 5424), parsed into headers. Stops reading a connection while its channel is full.");

export const syslogUdpSourceSchema = z.object({
  type: z.literal("syslogudp"),
  ...common,
}).describe("Syslog over UDP, one message per datagram (RFC 3164 or 5424). UDP cannot push back: messages arriving while the channel is full are counted in ChannelWriteFail and dropped.");

/** Wait after a refused batch before offering it again; the connection stays paused meanwhile. */
const RETRY_MS = 50;

export class SyslogTcpSource implements Source {
  readonly counters = new SourceCounters();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private stopping = false;
  port = 0;

  constructor(private readonly config: z.infer<typeof syslogTcpSourceSchema>, private readonly put: BatchSink) {}

  async start(): Promise<void> {
    this.server = createServer((s) => this.serve(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.config.port, this.config.host, () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of this.sockets) s.end();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    let rest = "";
    let busy = Promise.resolve();
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", (e) => log.debug({ err: e }, "syslog client error"));
    socket.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString("utf8")).split("\n");
      rest = parts.pop()!;
      if (parts.length === 0) return;
      socket.pause();
      busy = busy.then(() => this.accept(socket, parts)).finally(() => {
        if (!socket.destroyed) socket.resume();
      });
    });
  }

  private async accept(socket: Socket, lines: string[]): Promise<void> {
    const msgs = lines.map((l) => l.replace(/\r$/, "")).filter((l) => l !== "");
    for (let i = 0; i < msgs.length; i += this.config.batchSize) {
      const batch = msgs.slice(i, i + this.config.batchSize).map((l) => parseSyslog(l));
      this.counters.EventReceivedCount += batch.length;
      for (;;) {
        try {
          await this.put(batch);
          break;
        } catch (e) {
          if (this.stopping || socket.destroyed) return;
          this.counters.ChannelWriteFail++;
          log.debug({ err: e }, "syslog batch refused; retrying");
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
      this.counters.EventAcceptedCount += batch.length;
    }
  }
}

export class SyslogUdpSource implements Source {
  readonly counters = new SourceCounters();
  private socket: UdpSocket | null = null;
  port = 0;

  constructor(private readonly config: z.infer<typeof syslogUdpSourceSchema>, private readonly put: BatchSink) {}

  async start(): Promise<void> {
    this.socket = createSocket(this.config.host.includes(":") ? "udp6" : "udp4");
    this.socket.on("message", (msg: Buffer) => {
      this.counters.EventReceivedCount++;
      this.put([parseSyslog(msg.toString("utf8").replace(/\r?\n$/, ""))]).then(
        () => this.counters.EventAcceptedCount++,
        (e) => {
          this.counters.ChannelWriteFail++;
          log.warn({ err: e }, "syslog datagram dropped: the channel refused it");
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.socket!.once("error", reject);
      this.socket!.bind(this.config.port, this.config.host, () => resolve());
    });
    this.port = this.socket.address().port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.socket ? this.socket.close(() => r()) : r()));
  }
}
