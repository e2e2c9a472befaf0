import { z } from "zod";
import { defineComponent } from "../component";
import { secret } from "../secret";
import type { FlumeEvent } from "../model";
import { StatelessSink } from "./stateless-sink";

export const httpSinkSchema = z.object({
  type: z.literal("http"),
  channel: z.string(),
  endpoint: secret(z.url(), "url").describe("URL each batch is POSTed to."),
  format: z.enum(["json", "ndjson", "text"]).default("json").describe("json: an array of {headers, body} (what the http source accepts); ndjson: one such object per line; text: the bodies, one per line."),
  token: secret(z.string()).optional().describe("Sent as Authorization: Bearer <token>."),
  headers: secret(z.record(z.string(), z.string()), "values").default({}).describe("Extra request headers; their values are kept secret, as they often carry credentials."),
  requestTimeout: z.number().int().positive().default(10_000).describe("Milliseconds before a request counts as failed."),
  maxRetries: z.number().int().nonnegative().default(3).describe("Retries of a batch after a 5xx, 429 or connection error before the sink backs off with the batch kept in the channel."),
  retryBackoffMs: z.number().int().positive().default(200).describe("First wait between retries; it doubles with each retry."),
  batchSize: z.number().int().positive().default(100).describe("Events taken and POSTed in one request."),
}).describe("POSTs batches of events to an HTTP endpoint; the take commits only after a 2xx answer. 5xx, 429 and connection errors are retried with back-off; other answers fail the batch, which stays in the channel.");

const CONTENT_TYPES = { json: "application/json", ndjson: "application/x-ndjson", text: "text/plain" } as const;

export class HttpSinkError extends Error {
  constructor(message: string, readonly retriable: boolean) {
    super(message);
    this.name = "HttpSinkError";
  }
}

export class HttpSink extends StatelessSink {
  constructor(private readonly config: z.infer<typeof httpSinkSchema>) {
    super(config);
  }

  async deliver(events: FlumeEvent[]): Promise<void> {
    const body = encode(events, this.config.format);
    let wait = this.config.retryBackoffMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.post(body);
        return;
      } catch (e) {
        if (!(e instanceof HttpSinkError && !e.retriable) && attempt < this.config.maxRetries) {
          await new Promise((r) => setTimeout(r, wait));
          wait *= 2;
          continue;
        }
        throw e;
      }
    }
  }

  private async post(body: string): Promise<void> {
    const { endpoint, token, format, requestTimeout } = this.config;
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: "POST",
        headers: { ...this.config.headers, "content-type": CONTENT_TYPES[format], ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
        signal: AbortSignal.timeout(requestTimeout),
      });
    } catch (e) {
      const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new HttpSinkError(`cannot POST to ${endpoint} (${cause}); check the endpoint and that it is up`, true);
    }
    const text = await res.text();
    if (res.ok) return;
    const retriable = res.status >= 500 || res.status === 429;
    throw new HttpSinkError(`${endpoint} answered ${res.status}${text ? `: ${text.trim().slice(0, 200)}` : ""}${retriable ? "" : "; the batch stays in the channel until the endpoint accepts it"}`, retriable);
  }
}

function encode(events: FlumeEvent[], format: "json" | "ndjson" | "text"): string {
  if (format === "text") return events.map((e) => `${e.body.toString("utf8")}\n`).join("");
  const objs = events.map((e) => ({ headers: e.headers, body: e.body.toString("utf8") }));
  return format === "json" ? JSON.stringify(objs) : objs.map((o) => `${JSON.stringify(o)}\n`).join("");
}

export const httpSinkType = defineComponent({
  types: ["http", "org.apache.flume.sink.http.HttpSink"],
  schema: httpSinkSchema,
  create: (config) => new HttpSink(config),
});
