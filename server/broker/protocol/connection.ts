import type { Socket } from "node:net";
import { ErrorCode } from "../../kafka/errors";
import { requestMetrics } from "../metrics";
import { logger } from "../../log";
import { ProtocolError, Reader, Writer } from "../../kafka/codec";
import { APIS, ApiKey, type ApiSpec } from "../../kafka/messages";
import type { SaslAuthenticator } from "./sasl";
import { decodeStruct, encodeStruct, isFlexible } from "../../kafka/schema";

const log = logger("broker.connection");

type Body = Record<string, any>;

export interface Dispatcher {
  /** Returns the response body, or null for a request that gets no response (Produce with acks=0). */
  handle(api: ApiSpec, body: Body, info: { apiVersion: number; clientId: string; clientHost: string; signal: AbortSignal }): Promise<Body | null> | Body | null;
}

export interface ConnectionLimits {
  maxRequestBytes: number;
  idleMs: number;
  /** Requests read ahead of their responses; beyond this the socket stops being read. */
  maxInFlight: number;
}

interface Slot {
  frame?: Buffer[] | null;
}

/**
 * One client connection: size-prefixed frames in, responses out in request order (Kafka clients
 * pipeline requests and match responses by order as well as correlation id). A frame that cannot
 * be parsed closes this connection only.
 */
export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Slot[] = [];
  private closed = false;
  private readonly abort = new AbortController();
  private rawSasl = false;
  readonly clientHost: string;

  constructor(
    private socket: Socket,
    private dispatcher: Dispatcher,
    private limits: ConnectionLimits,
    private sasl: SaslAuthenticator | undefined,
    private onClose: () => void,
  ) {
    this.clientHost = socket.remoteAddress ?? "unknown";
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleMs);
    socket.on("timeout", () => {
      // A connection waiting in a long poll is not idle; look again one idle period later.
      if (this.queue.length === 0) this.close("idle longer than connections.max.idle.ms");
      else socket.setTimeout(limits.idleMs);
    });
    socket.on("data", (d) => this.onData(d));
    socket.on("drain", () => this.resume());
    socket.on("error", (err) => log.debug({ err, client: this.clientHost }, "socket error"));
    socket.on("close", () => {
      this.closed = true;
      this.abort.abort();
      this.onClose();
    });
  }

  private get authenticated(): boolean {
    return !this.sasl;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    log.info({ client: this.clientHost, reason }, "closing connection");
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    this.readFrames();
  }

  /**
   * Dispatches the complete frames buffered so far, stopping while the connection is paused: a
   * client that pipelines requests but does not read its responses gets at most maxInFlight
   * requests handled, and the rest wait in its socket, not in our memory.
   */
  private readFrames(): void {
    while (this.buffered >= 4 && !this.closed && !this.socket.isPaused()) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      // Checked before anything is allocated for the frame.
      if (size < 0 || size > this.limits.maxRequestBytes) {
        this.close(`request of ${size} bytes exceeds socket.request.max.bytes ${this.limits.maxRequestBytes}`);
        return;
      }
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(frame);
    }
  }

  private pause(): void {
    if (!this.socket.isPaused()) this.socket.pause();
  }

  private resume(): void {
    if (this.closed || this.socket.writableNeedDrain || this.queue.length >= this.limits.maxInFlight || !this.socket.isPaused()) return;
    this.socket.resume();
    this.readFrames();
  }

  private onFrame(frame: Buffer): void {
    if (this.rawSasl) return this.onRawSasl(frame);
    const slot: Slot = {};
    this.queue.push(slot);
    if (this.queue.length >= this.limits.maxInFlight) this.pause();
    let apiKey = -1;
    let apiVersion = -1;
    let correlationId = 0;
    try {
      const r = new Reader(frame);
      apiKey = r.int16();
      apiVersion = r.int16();
      correlationId = r.int32();
      const api = APIS.get(apiKey);
      // Header v1 carries the client id as a classic (non-compact) nullable string, even in flexible versions.
      const idLen = r.int16();
      const clientId = idLen < 0 ? "" : r.take(idLen).toString("utf8");
      if (!api) throw new ProtocolError(`unknown API key ${apiKey}`);
      if (apiVersion < api.servedMinVersion || apiVersion > api.maxVersion) {
        if (apiKey === ApiKey.ApiVersions) return this.finish(slot, this.apiVersionsFallback(correlationId));
        // The client will see only a closed connection; the log is where a user learns why.
        log.warn({ client: this.clientHost, clientId, api: api.name, apiVersion, supported: `${api.servedMinVersion}-${api.maxVersion}` }, "request version not supported; closing the connection");
        throw new ProtocolError(`${api.name} v${apiVersion} is not supported (supported ${api.servedMinVersion}-${api.maxVersion})`);
      }
      if (!this.authenticated && apiKey !== ApiKey.ApiVersions && apiKey !== ApiKey.SaslHandshake && apiKey !== ApiKey.SaslAuthenticate) {
        throw new ProtocolError(`${api.name} before SASL authentication completed`);
      }
      const flexible = isFlexible(api.request, apiVersion);
      if (flexible) decodeStruct(r, [], apiVersion, true); // request header tagged fields
      const body = decodeStruct(r, api.request.fields, apiVersion, flexible);
      const metrics = requestMetrics(api.name);
      metrics.count.inc();
      const started = performance.now();
      const info = { apiVersion, clientId, clientHost: this.clientHost, signal: this.abort.signal };
      const respond = (res: Body | null) => {
        metrics.latency.observe(performance.now() - started);
        this.finish(slot, res && this.encode(api, apiVersion, correlationId, res));
      };
      const result = this.sasl && (apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate) ? this.saslStep(apiKey, apiVersion, body) : this.dispatcher.handle(api, body, info);
      if (result instanceof Promise) {
        result.then(respond, (err) => {
          metrics.errors.inc();
          log.error({ err, api: api.name }, "request failed");
          this.close(`${api.name} failed: ${(err as Error).message}`);
        });
      } else respond(result);
    } catch (err) {
      // Every key we do not serve shares one series: a client must not be able to mint series.
      if (apiKey >= 0) requestMetrics(APIS.get(apiKey)?.name ?? "unknown").errors.inc();
      this.close(err instanceof ProtocolError || err instanceof RangeError ? `malformed request (api ${apiKey} v${apiVersion}): ${(err as Error).message}` : `request failed: ${(err as Error).message}`);
      if (!(err instanceof ProtocolError || err instanceof RangeError)) log.error({ err }, "request handling failed");
    }
  }

  private saslStep(apiKey: number, apiVersion: number, body: Body): Body {
    const sasl = this.sasl!;
    if (apiKey === ApiKey.SaslHandshake) {
      const res = sasl.handshake(body.mechanism);
      // Handshake v0: the tokens that follow travel as bare size-prefixed frames.
      if (apiVersion === 0 && res.errorCode === 0) this.rawSasl = true;
      return res;
    }
    const step = sasl.authenticate(body.authBytes);
    if (step.principal) this.authenticatedAs(step.principal);
    if (step.errorCode) setImmediate(() => this.close(`SASL authentication failed: ${step.errorMessage}`));
    return { ...step, sessionLifetimeMs: 0 };
  }

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
  }

  private encode(api: ApiSpec, version: number, correlationId: number, body: Body): Buffer[] {
    const w = new Writer(512);
    w.int32(correlationId);
    const flexible = isFlexible(api.response, version);
    // ApiVersions always answers with response header v0 so any client can read it.
    if (flexible && api.key !== ApiKey.ApiVersions) w.uvarint(0);
    encodeStruct(w, api.response.fields, { throttleTimeMs: 0, ...body }, version, flexible);
    return w.frame();
  }

  /**
   * An ApiVersions version we do not know: answer in v0 with UNSUPPORTED_VERSION and, as Kafka
   * does, only ApiVersions' own range, so the client retries at the highest version we speak.
   */
  private apiVersionsFallback(correlationId: number): Buffer[] {
    const api = APIS.get(ApiKey.ApiVersions)!;
    return this.encode(api, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }] });
  }

  private finish(slot: Slot, frame: Buffer[] | null): void {
    slot.frame = frame;
    this.socket.cork();
    while (this.queue.length && this.queue[0].frame !== undefined) {
      const done = this.queue.shift()!;
      if (done.frame && !this.closed) {
        for (const chunk of done.frame) this.socket.write(chunk);
      }
    }
    this.socket.uncork();
    if (this.socket.writableNeedDrain) this.pause();
    else this.resume();
  }
}

export function apiVersionsList() {
  return [...APIS.values()].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
}
