import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, type Source, SourceCounters, defineComponent } from "../component";
import { ChannelFullError, type FlumeEvent } from "../model";
import { secret } from "../secret";
import { putOnce } from "./put-with-backoff";

const log = logger("agents.http-source");

export const httpSourceSchema = z.object({
  type: z.literal("http"),
  channels: z.array(z.string()).min(1),
  bind: z.string().default("0.0.0.0").describe("Address to listen on."),
  port: z.number().int().min(0).max(65535).describe("HTTP port to listen on."),
  token: secret(z.string()).optional().describe("If set, requests must send Authorization: Bearer <token>."),
  maxRequestBytes: z.number().int().positive().default(16 * 1024 * 1024).describe("Larger request bodies are refused with 413."),
  retryAfterSeconds: z.number().int().positive().default(1).describe("Retry-After sent with 503 when a channel is full."),
}).describe("Accepts POSTed events: a JSON array of {headers, body} (Flume's JSONHandler), NDJSON of such objects (application/x-ndjson), or text lines (text/plain). Replies 503 with Retry-After when a channel is full.");

class BadRequest extends Error {}

/** How long stop() waits for requests in flight. */
const STOP_GRACE_MS = 1000;

export class HttpSource implements Source {
  readonly counters = new SourceCounters();
  private server: Server | null = null;
  private stopping = false;
  port = 0;

  constructor(private readonly config: z.infer<typeof httpSourceSchema>, private readonly put: BatchSink) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.config.port, this.config.bind, () => resolve());
    });
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : this.config.port;
  }

  /** Stops accepting, lets requests in flight finish for a moment, then cuts the rest (their clients retry). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
    await closed;
    clearTimeout(cut);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "text/plain", ...headers }).end(`${text}\n`);
    };
    // A keep-alive client would otherwise go on sending on its open connection while the source stops.
    if (this.stopping) return reply(503, "the source is stopping; retry", { "retry-after": String(this.config.retryAfterSeconds), connection: "close" });
    if (req.method !== "POST") return reply(405, "POST events to this endpoint");
    if (this.config.token && req.headers.authorization !== `Bearer ${this.config.token}`) return reply(401, "missing or wrong bearer token");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > this.config.maxRequestBytes) return reply(413, `request body over ${this.config.maxRequestBytes} bytes; send smaller batches`);
      chunks.push(c);
    }
    let events: FlumeEvent[];
    try {
      events = parseBody(Buffer.concat(chunks), req.headers["content-type"] ?? "application/json");
    } catch (e) {
      return reply(400, (e as Error).message);
    }
    try {
      await putOnce(this.put, events, this.counters);
    } catch (e) {
      if (e instanceof ChannelFullError) return reply(503, e.message, { "retry-after": String(this.config.retryAfterSeconds) });
      log.warn({ err: e }, "http batch not accepted");
      return reply(500, (e as Error).message);
    }
    reply(200, `accepted ${events.length}`);
  }
}

function parseBody(buf: Buffer, contentType: string): FlumeEvent[] {
  if (contentType.startsWith("text/plain")) {
    return buf.toString("utf8").split("\n").filter((l) => l !== "").map((l) => ({ headers: {}, body: Buffer.from(l) }));
  }
  const text = buf.toString("utf8");
  let items: unknown;
  try {
    items = contentType.startsWith("application/x-ndjson")
      ? text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as unknown)
      : (JSON.parse(text) as unknown);
  } catch (e) {
    throw new BadRequest(`body is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(items)) throw new BadRequest('expected a JSON array of {"headers": {...}, "body": "..."}');
  return items.map((it, i) => {
    const o = it as { headers?: unknown; body?: unknown };
    if (typeof o !== "object" || o === null) throw new BadRequest(`event ${i} is not an object`);
    const headers: Record<string, string> = {};
    if (o.headers !== undefined) {
      if (typeof o.headers !== "object" || o.headers === null) throw new BadRequest(`event ${i}: headers must be an object of strings`);
      for (const [k, v] of Object.entries(o.headers)) headers[k] = String(v);
    }
    const body = typeof o.body === "string" ? o.body : o.body === undefined ? "" : JSON.stringify(o.body);
    return { headers, body: Buffer.from(body) };
  });
}

export const httpSourceType = defineComponent({
  types: ["http", "org.apache.flume.source.http.HTTPSource"],
  schema: httpSourceSchema,
  create: (config, ctx) => new HttpSource(config, ctx.put),
});
