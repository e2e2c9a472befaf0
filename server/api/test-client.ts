import { request } from "node:http";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AnyTRPCProcedure, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root";

type Outputs = inferRouterOutputs<AppRouter>;
type Procedures = AppRouter["_def"]["record"];

/** A procedure's name as it appears in the URL ("health", "audit.list"). */
export type ProcedurePath = {
  [K in keyof Outputs]: Procedures[K] extends AnyTRPCProcedure ? K : `${K}.${keyof Outputs[K] & string}`;
}[keyof Outputs];

type OutputOf<P extends ProcedurePath> = P extends `${infer R}.${infer Q}`
  ? R extends keyof Outputs
    ? Q extends keyof Outputs[R]
      ? Outputs[R][Q]
      : never
    : never
  : P extends keyof Outputs
    ? Outputs[P]
    : never;

/** A call as tRPC's HTTP wire format answers it: `data` on success, the error envelope otherwise. */
export interface WireResult<T> {
  status: number;
  data: T | undefined;
  error: { message: string; data: { code: string } } | undefined;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * A console client for integration tests, speaking tRPC over real HTTP as the browser does: a
 * cookie jar, extra headers on every request (Origin, X-Forwarded-*), and a local address to
 * connect from (127.0.0.2 is another client on loopback). `raw` sends anything else.
 */
export class ConsoleClient {
  cookie = "";
  /** Set-Cookie headers of the last response, as sent. */
  lastSetCookie: string[] = [];
  readonly trpc;

  constructor(
    readonly base: string,
    readonly opts: { localAddress?: string; headers?: Record<string, string> } = {},
  ) {
    this.trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${base}/api/trpc`, fetch: (url, init) => this.fetch(typeof url === "string" ? url : url instanceof URL ? url.href : url.url, init) })] });
  }

  raw(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
    const headers: Record<string, string> = { ...this.opts.headers, ...init.headers };
    if (this.cookie && headers.cookie === undefined) headers.cookie = this.cookie;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.base), { method, headers, localAddress: this.opts.localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(init.body);
    });
  }

  private async fetch(url: string, init: { method?: string; headers?: HeadersInit; body?: unknown } | undefined): Promise<Response> {
    const res = await this.raw(init?.method ?? "GET", url, {
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    this.lastSetCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
    if (this.lastSetCookie[0]) this.cookie = this.lastSetCookie[0].split(";")[0]!;
    return new Response(res.text, { status: res.status, headers: { "content-type": String(res.headers["content-type"] ?? "application/json") } });
  }

  /** A query sent as the browser sends it, with the input untyped so tests can send bad input. */
  query<P extends ProcedurePath>(path: P, input?: unknown): Promise<WireResult<OutputOf<P>>> {
    return this.wire("GET", path, input);
  }

  mutate<P extends ProcedurePath>(path: P, input?: unknown): Promise<WireResult<OutputOf<P>>> {
    return this.wire("POST", path, input);
  }

  private async wire<T>(method: "GET" | "POST", path: ProcedurePath, input: unknown): Promise<WireResult<T>> {
    const query = method === "GET" && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : "";
    const res = await this.fetch(`${this.base}/api/trpc/${path}${query}`, {
      method,
      headers: { "content-type": "application/json" },
      body: method === "POST" ? JSON.stringify(input ?? null) : undefined,
    });
    const body = (await res.json()) as { result?: { data: T }; error?: WireResult<T>["error"] };
    return { status: res.status, data: body.result?.data, error: body.error };
  }

  async login(username: string, password: string): Promise<this> {
    await this.trpc.auth.login.mutate({ username, password });
    return this;
  }
}

/** The error a call failed with, so a test can look at its code and message. */
export async function failure(call: Promise<unknown>): Promise<{ code: string; message: string; status: number }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCClientError) {
      const data = err.data as { code?: string; httpStatus?: number } | undefined;
      return { code: data?.code ?? "", message: err.message, status: data?.httpStatus ?? 0 };
    }
    throw err;
  }
  throw new Error("expected the call to fail");
}
