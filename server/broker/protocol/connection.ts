import type { Socket } from "node:net";
import { ErrorCode } from "../../kafka/errors";
import { requestMetrics } from "../metrics";
import { logger } from "../../log";
import { ProtocolError, Reader } from "../../kafka/codec";
import { readRequestHeader } from "../../kafka/headers";
import { APIS, ApiKey, Apis } from "../../kafka/messages";
import type { ResponseInputOf } from "../../kafka/protocol";
import type { HandlerRegistry, Reply, RequestInfo, SaslSession } from "../handlers/registry";
import { CloseLog } from "./close-log";
import { encodeResponse } from "./encode";
import { FrameReader } from "./frames";
import type { RequestMemoryPool } from "./request-memory";
import type { SaslAuthenticator } from "./sasl";
import { ANONYMOUS, principalOf } from "../security/acl";

const log = logger("broker.connection");
const closeLog = new CloseLog(log);

export interface ConnectionLimits {
  maxRequestBytes: number;
  idleMs: number;
  /** Requests read ahead of their responses; beyond this the socket stops being read. */
  maxInFlight: number;
}

/** Kafka's sasl.server.max.receive.size: the largest frame a client may send before it has authenticated. */
export const SASL_MAX_RECEIVE_BYTES = 512 * 1024;

/** A request in order of arrival: its response once ready, and the pool bytes it holds until that is written. */
interface Slot {
  frame?: Buffer[] | null;
  bytes: number;
}

/**
 * One client connection: size-prefixed frames in, responses out in request order (Kafka clients
 * pipeline requests and match responses by order as well as correlation id). A frame that cannot
 * be parsed closes this connection only. The socket is read only while the connection has room:
 * fewer than maxInFlight requests unanswered, its responses being taken by the client, and the
 * broker's request memory granted for the frame being read; otherwise it is paused, and the
 * kernel holds the client back.
 */
interface ConnectionSide {
  signal(): AbortSignal;
  throttle(ms: number): void;
}

/** One request's RequestInfo: a class, so a request costs one small object and no closures. */
class ConnectionRequestInfo implements RequestInfo {
  constructor(
    readonly apiVersion: number,
    readonly clientId: string,
    readonly clientHost: string,
    readonly principal: string,
    readonly sasl: SaslSession | undefined,
    private readonly side: ConnectionSide,
  ) {}

  // Most requests never look at it, so the connection's abort controller is made only for those that do.
  get signal(): AbortSignal {
    return this.side.signal();
  }

  throttle(ms: number): void {
    this.side.throttle(ms);
  }
}

export class Connection {
  private readonly reader: FrameReader;
  private queue: Slot[] = [];
  private closed = false;
  private draining = false;
  /** Made when a request first asks for it (a long-poll fetch): most connections never need one. */
  private abort: AbortController | undefined;
  private rawSasl = false;
  /** User:<name> once SASL authenticated; without SASL every client is User:ANONYMOUS, as in Kafka. */
  private principal = ANONYMOUS;
  /** Not read before this time (ms since epoch): the client went over a quota. */
  private mutedUntil = 0;
  private unmute: NodeJS.Timeout | undefined;
  readonly clientHost: string;

  constructor(
    private socket: Socket,
    private handlers: HandlerRegistry,
    private limits: ConnectionLimits,
    private pool: RequestMemoryPool,
    private sasl: SaslAuthenticator | undefined,
    private onClose: () => void,
  ) {
    this.clientHost = socket.remoteAddress ?? "unknown";
    this.reader = new FrameReader(pool, limits.idleMs, {
      limit: () => (this.authenticated ? { bytes: limits.maxRequestBytes, setting: "socket.request.max.bytes" } : { bytes: Math.min(limits.maxRequestBytes, SASL_MAX_RECEIVE_BYTES), setting: "sasl.server.max.receive.size (before SASL authentication)" }),
      frame: (frame, reserved) => this.onFrame(frame, reserved),
      refuse: (reason) => this.close(reason),
      granted: () => this.updateFlow(),
    });
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleMs);
    socket.on("timeout", () => {
      // A connection waiting in a long poll is not idle; look again one idle period later.
      if (this.queue.length === 0) this.close("idle longer than connections.max.idle.ms");
      else socket.setTimeout(limits.idleMs);
    });
    socket.on("data", (d: Buffer) => {
      this.reader.push(d);
      this.updateFlow();
    });
    socket.on("drain", () => this.updateFlow());
    socket.on("error", (err) => log.debug({ err, client: this.clientHost }, "socket error"));
    socket.on("close", () => {
      this.closed = true;
      clearTimeout(this.unmute);
      this.abort?.abort();
      this.reader.dispose();
      // Answered but unwritten requests give their memory back now; the rest when their handler ends.
      for (const slot of this.queue) if (slot.frame !== undefined) this.release(slot);
      this.queue = [];
      this.onClose();
    });
  }

  private get authenticated(): boolean {
    return !this.sasl;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    closeLog.closed(this.clientHost, reason);
    this.socket.destroy();
  }

  /** Aborted when the connection closes (already, for one that closed before anyone asked). */
  private get signal(): AbortSignal {
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.closed) this.abort.abort();
    }
    return this.abort.signal;
  }

  private get mayRead(): boolean {
    return !this.closed && !this.reader.waitingForMemory && this.queue.length < this.limits.maxInFlight && !this.socket.writableNeedDrain && this.mutedUntil === 0;
  }

  /** Stops reading the client for ms (from now, or from the end of a throttle already running, whichever is later). */
  private throttle(ms: number): void {
    if (this.closed) return;
    this.mutedUntil = Math.max(this.mutedUntil, Date.now() + ms);
    clearTimeout(this.unmute);
    this.unmute = setTimeout(() => {
      this.mutedUntil = 0;
      this.updateFlow();
    }, this.mutedUntil - Date.now());
    this.updateFlow();
  }

  /**
   * Pauses or resumes the socket for the connection's state and hands over the frames it may
   * read now. Requests finishing while frames are handed over do not start a second pass.
   */
  private updateFlow(): void {
    if (this.closed) return;
    if (!this.mayRead) {
      if (!this.socket.isPaused()) this.socket.pause();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.draining) return;
    this.draining = true;
    try {
      this.reader.drain(() => this.mayRead);
    } finally {
      this.draining = false;
    }
    if (!this.mayRead && !this.socket.isPaused()) this.socket.pause();
  }

  private release(slot: Slot): void {
    if (slot.bytes) this.pool.release(slot.bytes);
    slot.bytes = 0;
  }

  private onFrame(frame: Buffer, reserved: number): void {
    if (this.rawSasl) {
      this.onRawSasl(frame);
      return this.pool.release(reserved);
    }
    const slot: Slot = { bytes: reserved };
    this.queue.push(slot);
    let apiKey = -1;
    let apiVersion = -1;
    try {
      const r = new Reader(frame);
      const header = readRequestHeader(r);
      apiKey = header.apiKey;
      apiVersion = header.apiVersion;
      const route = this.handlers.route(apiKey);
      if (!route) throw new ProtocolError(`unknown API key ${apiKey}`);
      const api = route.api;
      if (apiVersion < api.servedMinVersion || apiVersion > api.maxVersion) {
        if (apiKey === ApiKey.ApiVersions) return this.answerApiVersionsFallback(slot, header.correlationId);
        // The client will see only a closed connection; the log is where a user learns why.
        log.warn({ client: this.clientHost, clientId: header.clientId, api: api.name, apiVersion, supported: `${api.servedMinVersion}-${api.maxVersion}` }, "request version not supported; closing the connection");
        throw new ProtocolError(`${api.name} v${apiVersion} is not supported (supported ${api.servedMinVersion}-${api.maxVersion})`);
      }
      if (!this.authenticated && apiKey !== ApiKey.ApiVersions && apiKey !== ApiKey.SaslHandshake && apiKey !== ApiKey.SaslAuthenticate) {
        throw new ProtocolError(`${api.name} before SASL authentication completed`);
      }
      const metrics = requestMetrics(api.name);
      metrics.count.inc();
      const started = performance.now();
      const respond = (reply: Reply | null) => {
        metrics.latency.observe(performance.now() - started);
        if (reply) this.answer(slot, api.name, () => reply(header.correlationId));
        else this.finish(slot, null);
      };
      const result = route.handle(apiVersion, r, this.requestInfo(apiVersion, header.clientId ?? ""));
      if (result instanceof Promise) {
        result.then(respond, (err: unknown) => {
          metrics.errors.inc();
          log.error({ err, api: api.name }, "request failed");
          this.finish(slot, null);
          this.close(`${api.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        });
      } else respond(result);
    } catch (err) {
      // Every key we do not serve shares one series: a client must not be able to mint series.
      if (apiKey >= 0) requestMetrics(APIS.get(apiKey)?.name ?? "unknown").errors.inc();
      this.finish(slot, null);
      const malformed = err instanceof ProtocolError || err instanceof RangeError;
      const reason = err instanceof Error ? err.message : String(err);
      this.close(malformed ? `malformed request (api ${apiKey} v${apiVersion}): ${reason}` : `request failed: ${reason}`);
      if (!malformed) log.error({ err }, "request handling failed");
    }
  }

  private requestInfo(apiVersion: number, clientId: string): RequestInfo {
    return new ConnectionRequestInfo(apiVersion, clientId, this.clientHost, this.principal, this.sasl ? this.saslSession : undefined, this.side);
  }

  /** What a request's RequestInfo asks its connection for; one per connection, not per request. */
  private readonly side: ConnectionSide = {
    signal: () => this.signal,
    throttle: (ms) => this.throttle(ms),
  };

  /** The SASL exchange of this connection, for the SaslHandshake and SaslAuthenticate handlers while it authenticates. */
  private readonly saslSession: SaslSession = {
    handshake: (mechanism, version) => {
      const res = this.sasl!.handshake(mechanism);
      // Handshake v0: the tokens that follow travel as bare size-prefixed frames.
      if (version === 0 && res.errorCode === ErrorCode.NONE) this.rawSasl = true;
      return res;
    },
    authenticate: (authBytes) => {
      const step = this.sasl!.authenticate(authBytes);
      if (step.principal) this.authenticatedAs(step.principal);
      if (step.errorCode) setImmediate(() => this.close(`SASL authentication failed: ${step.errorMessage}`));
      return { errorCode: step.errorCode, errorMessage: step.errorMessage, authBytes: step.authBytes, sessionLifetimeMs: 0 };
    },
  };

  private onRawSasl(frame: Buffer): void {
    const step = this.sasl!.authenticate(frame);
    if (step.errorCode) return this.close(`SASL authentication failed: ${step.errorMessage}`);
    if (step.principal) {
      this.rawSasl = false;
      this.authenticatedAs(step.principal);
    }
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(step.authBytes.length);
    this.socket.write(Buffer.concat([size, step.authBytes]));
  }

  private authenticatedAs(principal: string): void {
    log.info({ client: this.clientHost, principal }, "SASL authenticated");
    this.sasl = undefined;
    this.principal = principalOf(principal);
  }

  /** Encodes the response (a huge one in slices, see encode.ts) and queues it in its place. */
  private answer(slot: Slot, api: string, encode: () => Buffer[] | Promise<Buffer[]>): void {
    const failed = (err: unknown) => {
      log.error({ err, api }, "encoding the response failed");
      this.finish(slot, null);
      this.close(`${api} response could not be encoded: ${err instanceof Error ? err.message : String(err)}`);
    };
    let frame: Buffer[] | Promise<Buffer[]>;
    try {
      frame = encode();
    } catch (err) {
      return failed(err);
    }
    if (frame instanceof Promise) frame.then((f) => this.finish(slot, f), failed);
    else this.finish(slot, frame);
  }

  /**
   * An ApiVersions version we do not know: answer in v0 with UNSUPPORTED_VERSION and, as Kafka
   * does, only ApiVersions' own range, so the client retries at the highest version we speak.
   */
  private answerApiVersionsFallback(slot: Slot, correlationId: number): void {
    const api = Apis.ApiVersions;
    const body: ResponseInputOf<"ApiVersions"> = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }] };
    this.answer(slot, api.name, () => encodeResponse(api, 0, correlationId, body));
  }

  /** Writes the responses that are next in order; a request's memory returns to the pool once its response is handed to the socket. */
  private finish(slot: Slot, frame: Buffer[] | null): void {
    slot.frame = frame;
    if (this.closed) return this.release(slot);
    this.socket.cork();
    while (this.queue.length && this.queue[0].frame !== undefined) {
      const done = this.queue.shift()!;
      if (done.frame) for (const chunk of done.frame) this.socket.write(chunk);
      this.release(done);
    }
    this.socket.uncork();
    this.updateFlow();
  }
}
