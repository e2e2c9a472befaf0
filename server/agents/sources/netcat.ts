import { type Server, type Socket, createServer } from "node:net";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, type Source, SourceCounters } from "../component";
import type { FlumeEvent } from "../model";

const log = logger("agents.netcat");

export const netcatSourceSchema = z.object({
  type: z.literal("netcat"),
  channels: z.array(z.string()).min(1),
  bind: z.string().default("0.0.0.0").describe("Address to listen on."),
  port: z.number().int().min(0).max(65535).describe("TCP port to listen on."),
  "ack-every-event": z.boolean().default(true).describe("Reply OK to every accepted line, as Flume does."),
  "max-line-length": z.number().int().positive().default(512).describe("Longer lines are truncated, as in Flume."),
  batchSize: z.number().int().positive().default(100).describe("Most lines put into the channels in one transaction."),
}).describe("Accepts newline-separated text over TCP, one event per line.");

/** Wait after a refused batch before offering it again; the socket stays paused meanwhile. */
const RETRY_MS = 50;

export class NetcatSource implements Source {
  readonly counters = new SourceCounters();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private stopping = false;
  port = 0;

  constructor(private readonly config: z.infer<typeof netcatSourceSchema>, private readonly put: BatchSink) {}

  async start(): Promise<void> {
    this.server = createServer((s) => this.serve(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.config.port, this.config.bind, () => resolve());
    });
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : this.config.port;
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
    socket.on("error", (e) => log.debug({ err: e }, "netcat client error"));
    socket.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString("utf8")).split("\n");
      rest = parts.pop()!;
      if (parts.length === 0) return;
      // TCP back-pressure: stop reading while the lines are being put, resume once accepted.
      socket.pause();
      busy = busy.then(() => this.accept(socket, parts)).finally(() => {
        if (!socket.destroyed) socket.resume();
      });
    });
  }

  private async accept(socket: Socket, lines: string[]): Promise<void> {
    const max = this.config["max-line-length"];
    for (let i = 0; i < lines.length; i += this.config.batchSize) {
      const batch: FlumeEvent[] = lines.slice(i, i + this.config.batchSize).map((l) => ({
        headers: {},
        body: Buffer.from(l.endsWith("\r") ? l.slice(0, -1) : l).subarray(0, max),
      }));
      this.counters.EventReceivedCount += batch.length;
      for (;;) {
        try {
          await this.put(batch);
          break;
        } catch (e) {
          if (this.stopping || socket.destroyed) return;
          this.counters.ChannelWriteFail++;
          log.debug({ err: e }, "netcat batch refused; retrying");
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
      this.counters.EventAcceptedCount += batch.length;
      if (this.config["ack-every-event"] && !socket.destroyed) socket.write("OK\n".repeat(batch.length));
    }
  }
}
