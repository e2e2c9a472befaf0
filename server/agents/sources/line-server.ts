import { type Server, type Socket, createServer } from "node:net";
import { logger } from "../../log";
import { type BatchSink, type Source, SourceCounters } from "../component";
import type { FlumeEvent } from "../model";
import { putWithBackoff } from "./put-with-backoff";

const log = logger("agents.line-server");

export interface LineServerOptions {
  host: string;
  port: number;
  /** Most lines handed over at once. */
  batchSize: number;
  /** Characters kept of a line; the rest up to its newline is dropped, so a client that never sends one cannot grow memory. */
  maxLineLength: number;
}

/**
 * Takes one batch of a connection's lines (without their newline or a trailing \r); resolves false
 * when the batch was not taken (the server is closing, the socket went), so later lines of that
 * read are not offered either.
 */
export type LineHandler = (lines: string[], socket: Socket) => Promise<boolean>;

/**
 * A TCP listener for newline-separated text (netcat, syslog over TCP). TCP back-pressure: a
 * connection is not read while its lines are being handled.
 */
export class LineServer {
  private readonly sockets = new Set<Socket>();
  closing = false;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async listen(o: LineServerOptions, handle: LineHandler): Promise<LineServer> {
    let self: LineServer | null = null;
    const server = createServer((socket) => self?.serve(socket, o, handle));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
    self = new LineServer(server, (server.address() as { port: number }).port);
    return self;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.sockets) s.end();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private serve(socket: Socket, o: LineServerOptions, handle: LineHandler): void {
    this.sockets.add(socket);
    let rest = "";
    let overlong = false;
    let busy = Promise.resolve();
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", (err) => log.debug({ err }, "line client error"));
    socket.on("data", (chunk: Buffer) => {
      const parts = chunk.toString("utf8").split("\n");
      const lines: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (!overlong) rest += parts[i];
        if (rest.length > o.maxLineLength) {
          rest = rest.slice(0, o.maxLineLength);
          overlong = true;
        }
        if (i === parts.length - 1) break;
        lines.push(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
        rest = "";
        overlong = false;
      }
      if (lines.length === 0) return;
      socket.pause();
      busy = busy
        .then(async () => {
          for (let i = 0; i < lines.length; i += o.batchSize) if (!(await handle(lines.slice(i, i + o.batchSize), socket))) return;
        })
        .finally(() => {
          if (!socket.destroyed) socket.resume();
        });
    });
  }
}

/**
 * A source behind one LineServer (netcat, syslog over TCP): listens at start, closes at stop, and
 * hands each batch of a connection's lines to `accept`.
 */
export abstract class LineServerSource implements Source {
  readonly counters = new SourceCounters();
  private server: LineServer | null = null;
  port = 0;

  constructor(protected readonly put: BatchSink) {}

  protected abstract listenOptions(): LineServerOptions;
  protected abstract accept(lines: string[], socket: Socket): Promise<boolean>;

  async start(): Promise<void> {
    this.server = await LineServer.listen(this.listenOptions(), (lines, socket) => this.accept(lines, socket));
    this.port = this.server.port;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  /** Offers the batch until the channels take it, while this source runs and the client is connected. */
  protected putWhileConnected(events: FlumeEvent[], socket: Socket): Promise<boolean> {
    return putWithBackoff(this.put, events, this.counters, () => !this.server!.closing && !socket.destroyed);
  }
}
