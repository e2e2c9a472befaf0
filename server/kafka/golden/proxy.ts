import { connect, createServer, type Server, type Socket } from "node:net";
import { Reader } from "../codec";
import { ErrorCode } from "../errors";
import { Framer, withSize } from "../framing";
import { readRequestHeader, readResponseHeader } from "../headers";
import { APIS, ApiKey, Apis } from "../messages";
import { decodeRequest, decodeResponse, responseFrame } from "../protocol";

/** One frame seen by the proxy, with the API and version of the request it is (or answers). */
export interface Capture {
  direction: "request" | "response";
  apiKey: number;
  version: number;
  client: string;
  scenario: string;
  frame: Buffer;
}

/** The highest version offered: for one API, or (without apiKey) for every API. */
export interface Cap {
  version: number;
  apiKey?: number;
}

/** Token exchanges a SaslHandshake v0 mechanism carries as bare frames before Kafka framing resumes. */
const RAW_SASL_EXCHANGES: Record<string, number> = { PLAIN: 1, "SCRAM-SHA-256": 2, "SCRAM-SHA-512": 2 };

/**
 * A TCP proxy in front of a broker that records every request and response frame with its API and
 * version. With a cap set it rewrites the broker's ApiVersions answer so that the capped API (or
 * every API) is offered no higher than the cap (nor below the version the broker serves): a
 * client then speaks the highest version it knows up to the cap, which is how a capture run walks
 * a client down its versions.
 */
export class RecordingProxy {
  readonly captures: Capture[] = [];
  /** Frames the proxy could not follow (for example a request our specs cannot decode). */
  readonly failures: string[] = [];
  cap: Cap | null = null;
  client = "unknown";
  scenario = "unknown";
  private sockets = new Set<Socket>();

  /** Where connections are forwarded; set once the broker, which advertises the proxy's port, is listening. */
  upstream: { host: string; port: number } | null = null;

  private constructor(private server: Server) {
    server.on("connection", (s) => this.accept(s));
  }

  static async start(): Promise<RecordingProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return new RecordingProxy(server);
  }

  get port(): number {
    const a = this.server.address();
    if (!a || typeof a !== "object") throw new Error("proxy is not listening");
    return a.port;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(direction: Capture["direction"], apiKey: number, version: number, frame: Buffer): void {
    this.captures.push({ direction, apiKey, version, client: this.client, scenario: this.scenario, frame: Buffer.from(frame) });
  }

  /** The highest version offered for an API under the current cap. */
  private offered(apiKey: number, min: number, max: number): number {
    const served = APIS.get(apiKey)?.servedMinVersion ?? min;
    if (this.cap === null || (this.cap.apiKey !== undefined && this.cap.apiKey !== apiKey)) return max;
    return Math.max(served, Math.min(max, this.cap.version));
  }

  private accept(client: Socket): void {
    if (!this.upstream) return void client.destroy();
    const server = connect(this.upstream.port, this.upstream.host);
    for (const s of [client, server]) {
      this.sockets.add(s);
      s.on("error", () => undefined); // a client killed at its timeout resets the pair; nothing to report
      s.on("close", () => {
        this.sockets.delete(s);
        client.destroy();
        server.destroy();
      });
    }
    const pending = new Map<number, { apiKey: number; version: number; mechanism?: string }>();
    // SASL v0 sends its tokens as bare frames without a Kafka header: this many each way are passed on unread.
    const raw = { fromClient: 0, fromServer: 0 };
    const framer = (side: keyof typeof raw, to: Socket, onFrame: (frame: Buffer) => void) =>
      new Framer({
        refuse: (size) => {
          throw new Error(`a frame of ${size} bytes`);
        },
        frame: (frame) => {
          if (raw[side] === 0) return onFrame(frame);
          raw[side]--;
          to.write(withSize(frame));
        },
      });
    const fromClient = framer("fromClient", server, (frame) => {
      const r = new Reader(frame);
      const h = readRequestHeader(r);
      const mechanism = h.apiKey === ApiKey.SaslHandshake ? decodeRequest(Apis.SaslHandshake, h.apiVersion, r).mechanism : undefined;
      pending.set(h.correlationId, { apiKey: h.apiKey, version: h.apiVersion, mechanism });
      this.record("request", h.apiKey, h.apiVersion, frame);
      server.write(withSize(frame));
    });
    const fromServer = framer("fromServer", client, (frame) => {
      const correlationId = frame.readInt32BE(0);
      const req = pending.get(correlationId);
      if (!req) throw new Error(`response with correlation id ${correlationId} answers no request`);
      pending.delete(correlationId);
      const out = req.apiKey === ApiKey.ApiVersions ? this.rewriteApiVersions(req.version, frame) : frame;
      if (out !== null) this.record("response", req.apiKey, req.version, out);
      if (req.apiKey === ApiKey.SaslHandshake && req.version === 0 && this.handshakeAccepted(frame)) {
        raw.fromClient = raw.fromServer = RAW_SASL_EXCHANGES[req.mechanism ?? ""] ?? 0;
      }
      client.write(withSize(out ?? this.apiVersionsFallback(correlationId)));
    });
    // A frame the proxy cannot follow ends this pair only, and says why: the capture is then incomplete.
    const guarded = (framer: Framer) => (d: Buffer) => {
      try {
        framer.push(d);
      } catch (err) {
        this.failures.push(`${this.client} ${this.scenario}: ${(err as Error).message}`);
        client.destroy();
      }
    };
    client.on("data", guarded(fromClient));
    server.on("data", guarded(fromServer));
  }

  private handshakeAccepted(frame: Buffer): boolean {
    const r = new Reader(frame);
    readResponseHeader(r, Apis.SaslHandshake, 0);
    return decodeResponse(Apis.SaslHandshake, 0, r).errorCode === ErrorCode.NONE;
  }

  /** The broker's ApiVersions answer with its ranges capped; null when the request's own version is above the cap. */
  private rewriteApiVersions(version: number, frame: Buffer): Buffer | null {
    if (this.cap === null) return frame;
    const own = Apis.ApiVersions;
    if (version > this.offered(own.key, own.minVersion, own.maxVersion)) return null;
    const r = new Reader(frame);
    const correlationId = readResponseHeader(r, own, version);
    const body = decodeResponse(own, version, r);
    const handshake = body.apiKeys.find((k) => k.apiKey === ApiKey.SaslHandshake);
    // SaslAuthenticate came with SaslHandshake v1; a broker offering only v0 does not have it, and
    // clients then send the tokens as bare frames.
    const saslAuthenticate = !handshake || this.offered(handshake.apiKey, handshake.minVersion, handshake.maxVersion) >= 1;
    const apiKeys = body.apiKeys
      .filter((k) => saslAuthenticate || k.apiKey !== ApiKey.SaslAuthenticate)
      .map((k) => ({ ...k, maxVersion: this.offered(k.apiKey, k.minVersion, k.maxVersion) }));
    return Buffer.concat(responseFrame(own, version, correlationId, { ...body, apiKeys }).slice(1));
  }

  /** As a broker answers an ApiVersions version it does not know: v0 body, UNSUPPORTED_VERSION, its own range. */
  private apiVersionsFallback(correlationId: number): Buffer {
    const own = Apis.ApiVersions;
    const apiKeys = [{ apiKey: own.key, minVersion: own.minVersion, maxVersion: this.offered(own.key, own.minVersion, own.maxVersion) }];
    return Buffer.concat(responseFrame(own, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys }).slice(1));
  }
}
