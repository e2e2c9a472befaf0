import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { Reader, Writer } from "../codec";
import { ErrorCode } from "../errors";
import { readResponseHeader, writeRequestHeader } from "../headers";
import { Framer, writeFrame } from "../framing";
import { ApiKey, Apis, type ApiSpec } from "../messages";
import { encodeRequest } from "../protocol";
import { KafkaClientError } from "./errors";
import { call } from "./protocol";
import { saslExchange, type SaslOptions } from "./sasl";
import { pickVersion, type BrokerVersions } from "./versions";

/** TLS settings: PEM strings or buffers, as node:tls takes them. */
export interface TlsOptions {
  ca?: string | Buffer | (string | Buffer)[];
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Server name to verify (defaults to the broker's host). */
  servername?: string;
  /** false accepts any certificate: only for tests against self-signed brokers. */
  rejectUnauthorized?: boolean;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  tls?: TlsOptions;
  sasl?: SaslOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Requests written but not yet answered; further requests wait their turn. */
  maxInFlight: number;
  /** Larger response frames close the connection instead of being buffered. */
  maxResponseBytes: number;
}

export interface RequestOptions {
  /** Overrides the connection's request timeout (a long-polling Fetch adds its max wait). */
  timeoutMs?: number;
  /** Produce with acks=0: the broker sends nothing back. */
  noResponse?: boolean;
}

interface Pending {
  api: ApiSpec;
  version: number;
  read: (r: Reader) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const CLIENT_VERSION = "0.1.0";
/** ApiVersions v3 is the first flexible one and what current clients send first. */
const API_VERSIONS_FIRST = 3;

/**
 * One connection to one broker: requests are framed, pipelined up to maxInFlight and matched to
 * their responses by correlation id. Opening it negotiates versions (ApiVersions) and
 * authenticates (SASL); any failure afterwards closes it and fails every request in flight with a
 * retriable NETWORK_EXCEPTION, so callers reconnect and retry.
 */
export class BrokerConnection {
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private nextId = 0;
  private readonly framer: Framer;
  private closedBy: KafkaClientError | null = null;
  private readonly closeListeners: ((err: KafkaClientError) => void)[] = [];
  versions: BrokerVersions = new Map();
  readonly address: string;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.address = `${opts.host}:${opts.port}`;
    this.framer = new Framer(
      {
        frame: (frame) => this.dispatch(frame),
        refuse: (size) => this.fail(new KafkaClientError(ErrorCode.CORRUPT_MESSAGE, `response from ${this.address}`, { detail: `frame of ${size} bytes (limit ${opts.maxResponseBytes})`, retriable: true })),
      },
      { minBytes: 4, maxBytes: opts.maxResponseBytes },
    );
    socket.on("data", (d: Buffer) => this.framer.push(d));
    socket.on("error", (e) => this.fail(new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, `connection to ${this.address}`, { cause: e, detail: e.message })));
    socket.on("close", () => this.fail(new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, `connection to ${this.address}`, { detail: "closed by the broker" })));
  }

  /** Connects, negotiates versions and authenticates; rejects with what went wrong. */
  static async open(opts: ConnectionOptions): Promise<BrokerConnection> {
    const socket = await connectSocket(opts);
    const conn = new BrokerConnection(socket, opts);
    try {
      await conn.negotiate();
      if (opts.sasl) await conn.authenticate(opts.sasl);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  get closed(): boolean {
    return this.closedBy !== null;
  }

  onClose(fn: (err: KafkaClientError) => void): void {
    if (this.closedBy) fn(this.closedBy);
    else this.closeListeners.push(fn);
  }

  /** The version to send an API at, or UNSUPPORTED_VERSION naming both ranges. */
  version(apiKey: number): number {
    return pickVersion(apiKey, this.versions, `broker ${this.address}`);
  }

  /** Whether the broker speaks this API at a version we do. */
  supports(apiKey: number): boolean {
    try {
      this.version(apiKey);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends one request: `write` encodes the body, `read` decodes the response body. Resolves with
   * the decoded body (undefined for noResponse requests once written).
   */
  async send<T>(api: ApiSpec, version: number, write: (w: Writer) => void, read: (r: Reader) => T, o: RequestOptions = {}): Promise<T> {
    await this.turn();
    if (this.closedBy) throw this.closedBy;
    const id = (this.nextId = (this.nextId + 1) & 0x7fffffff);
    const w = new Writer(256);
    writeRequestHeader(w, api, version, id, this.opts.clientId);
    write(w);
    const frame = w.frame();
    if (o.noResponse) {
      writeFrame(this.socket, frame);
      this.release();
      return undefined as T;
    }
    const result = new Promise<T>((resolve, reject) => {
      const timeoutMs = o.timeoutMs ?? this.opts.requestTimeoutMs;
      // Responses come in order: one that never comes blocks every later one, so the connection goes.
      const timer = setTimeout(() => this.fail(new KafkaClientError(ErrorCode.REQUEST_TIMED_OUT, `${api.name} to ${this.address}`, { detail: `no answer within ${timeoutMs} ms` })), timeoutMs);
      this.pending.set(id, { api, version, read, resolve: resolve as (v: unknown) => void, reject, timer });
    });
    writeFrame(this.socket, frame);
    return result;
  }

  close(): void {
    this.fail(new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, `connection to ${this.address}`, { detail: "closed by the client" }));
  }

  /** Waits while maxInFlight requests hold a turn (written and unanswered, or being written). */
  private turn(): Promise<void> {
    if (this.active < this.opts.maxInFlight && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands a finished request's turn to the next waiter. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private dispatch(frame: Buffer): void {
    const id = frame.readInt32BE(0);
    const p = this.pending.get(id);
    if (!p) {
      this.fail(new KafkaClientError(ErrorCode.CORRUPT_MESSAGE, `response from ${this.address}`, { detail: `correlation id ${id} matches no request`, retriable: true }));
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.release();
    try {
      const r = new Reader(frame);
      readResponseHeader(r, p.api, p.version);
      p.resolve(p.read(r));
    } catch (err) {
      p.reject(new KafkaClientError(ErrorCode.CORRUPT_MESSAGE, `${p.api.name} response from ${this.address}`, { detail: (err as Error).message, retriable: false, cause: err }));
    }
  }

  private fail(err: KafkaClientError): void {
    if (this.closedBy) return;
    this.closedBy = err;
    this.framer.stop();
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    // Waiters see closedBy as soon as they get their turn.
    for (const w of this.waiting.splice(0)) w();
    for (const fn of this.closeListeners.splice(0)) fn(err);
  }

  private async negotiate(): Promise<void> {
    let version = API_VERSIONS_FIRST;
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.send(Apis.ApiVersions, version, (w) => encodeRequest(Apis.ApiVersions, version, { clientSoftwareName: "tributary", clientSoftwareVersion: CLIENT_VERSION }, w), (r) => readApiVersionsResponse(r, version >= 3));
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
        // The broker answered in v0 with the ApiVersions range it speaks: ask again within it.
        const own = res.apiKeys.get(ApiKey.ApiVersions);
        version = Math.min(own?.max ?? 0, API_VERSIONS_FIRST);
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, `ApiVersions to ${this.address}`);
      this.versions = res.apiKeys;
      return;
    }
    throw new KafkaClientError(ErrorCode.UNSUPPORTED_VERSION, `ApiVersions to ${this.address}`, { retriable: false, detail: "the broker refused every version offered" });
  }

  private async authenticate(o: SaslOptions): Promise<void> {
    const handshake = await call(this, Apis.SaslHandshake, { mechanism: o.mechanism });
    if (handshake.errorCode !== ErrorCode.NONE) {
      throw new KafkaClientError(handshake.errorCode, `SASL ${o.mechanism} with ${this.address}`, { retriable: false, detail: `the broker enables ${handshake.mechanisms.join(", ") || "none"}` });
    }
    const exchange = saslExchange(o);
    let token: Buffer | null = exchange.first();
    while (token) {
      const res = await call(this, Apis.SaslAuthenticate, { authBytes: token });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, `SASL ${o.mechanism} as ${o.username} with ${this.address}`, { retriable: false, detail: res.errorMessage });
      token = exchange.next(res.authBytes);
    }
  }
}

function connectSocket(o: ConnectionOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tlsOpts: TlsConnectionOptions | undefined = o.tls && { host: o.host, port: o.port, servername: o.tls.servername ?? (isIP(o.host) ? undefined : o.host), ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key, rejectUnauthorized: o.tls.rejectUnauthorized ?? true };
    const socket = tlsOpts ? tlsConnect(tlsOpts) : netConnect({ host: o.host, port: o.port });
    socket.setNoDelay(true);
    const where = `${o.tls ? "TLS " : ""}connection to ${o.host}:${o.port}`;
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${o.connectTimeoutMs} ms`)), o.connectTimeoutMs);
    const onError = (e: Error) => {
      clearTimeout(timer);
      reject(new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, where, { cause: e, detail: e.message }));
    };
    socket.once("error", onError);
    socket.once(tlsOpts ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

function skipTaggedFields(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint();
    r.take(r.uvarint());
  }
}

/**
 * ApiVersions' response, read by hand: a broker that does not speak the version asked answers
 * UNSUPPORTED_VERSION in v0 (a classic array), which the typed decoder of that version cannot read.
 */
function readApiVersionsResponse(r: Reader, flexible: boolean): { errorCode: number; apiKeys: BrokerVersions } {
  const errorCode = r.int16();
  const apiKeys: BrokerVersions = new Map();
  // An UNSUPPORTED_VERSION answer is always v0 (classic array), whatever we asked.
  const compact = flexible && errorCode !== ErrorCode.UNSUPPORTED_VERSION;
  const n = compact ? r.uvarint() - 1 : r.int32();
  for (let i = 0; i < n; i++) {
    const key = r.int16();
    apiKeys.set(key, { min: r.int16(), max: r.int16() });
    if (compact) skipTaggedFields(r);
  }
  return { errorCode, apiKeys };
}
