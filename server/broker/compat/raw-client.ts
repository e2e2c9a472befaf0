import { connect, type Socket } from "node:net";
import { Reader, Writer } from "../../kafka/codec";
import { APIS, ApiKey } from "../../kafka/messages";
import { decodeStruct, encodeStruct, isFlexible } from "../../kafka/schema";

type Body = Record<string, any>;

/**
 * A bare Kafka-protocol connection, built on the broker's own message specs: for tests that must
 * send what no well-behaved client sends (unsupported versions, incremental fetches for unknown
 * sessions, hand-made frames) and for the benchmark's load generator, which pipelines pre-built
 * produce requests so that the client is never the bottleneck.
 */
export class RawClient {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiting: { resolve: (frame: Buffer) => void; reject: (err: Error) => void }[] = [];
  private correlation = 0;
  private readonly clientId = Buffer.from("raw-client");
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.onData(d));
    let failure: Error | undefined;
    socket.on("error", (err) => (failure = err));
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        // Requests still waiting will never be answered: fail them rather than hang the caller.
        for (const w of this.waiting.splice(0)) w.reject(new Error(`connection closed before the response arrived${failure ? `: ${failure.message}` : ""}`));
        resolve();
      }),
    );
  }

  static open(bootstrap: string): Promise<RawClient> {
    const [host, port] = bootstrap.split(":");
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), host, () => {
        s.off("error", reject);
        resolve(new RawClient(s));
      });
      s.once("error", reject);
    });
  }

  get inFlight(): number {
    return this.waiting.length;
  }

  /** Frames are cut without copying unless one spans socket reads; large fetch responses are concatenated once. */
  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      let head = this.chunks[0];
      if (head.length < 4) {
        head = Buffer.concat(this.chunks);
        this.chunks = [head];
      }
      const size = head.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks, this.buffered);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.waiting.shift()?.resolve(frame);
    }
  }

  /** Sends bytes as one size-prefixed frame and resolves with the next response frame (without its size). */
  sendFrame(payload: Buffer): Promise<Buffer> {
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    return this.sendChunks([size, payload]);
  }

  /** Writes chunks that together form one size-prefixed request; resolves with its response frame. */
  sendChunks(chunks: Buffer[], expectResponse = true): Promise<Buffer> {
    const p = expectResponse ? new Promise<Buffer>((resolve, reject) => this.waiting.push({ resolve, reject })) : Promise.resolve(Buffer.alloc(0));
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
    return p;
  }

  /**
   * A request split into a per-request head (size, api key, version, correlation id) and a body
   * that can be sent again and again without re-encoding: the generator's pre-built produce.
   */
  prebuilt(apiKey: number, version: number, body: Body): (correlationId: number) => Buffer[] {
    const tail = this.encodeAfterCorrelation(apiKey, version, body);
    return (correlationId) => {
      const head = Buffer.allocUnsafe(12);
      head.writeInt32BE(8 + tail.length, 0);
      head.writeInt16BE(apiKey, 4);
      head.writeInt16BE(version, 6);
      head.writeInt32BE(correlationId, 8);
      return [head, tail];
    };
  }

  nextCorrelationId(): number {
    return ++this.correlation;
  }

  private encodeAfterCorrelation(apiKey: number, version: number, body: Body): Buffer {
    const api = APIS.get(apiKey)!;
    const flexible = isFlexible(api.request, version);
    const w = new Writer();
    w.int16(this.clientId.length);
    w.bytes(this.clientId);
    if (flexible) w.uvarint(0);
    encodeStruct(w, api.request.fields, body, version, flexible);
    return Buffer.concat(w.frame().slice(1));
  }

  /** A request header (v1, or v2 for flexible versions) followed by the body encoded from the message spec. */
  encodeRequest(apiKey: number, version: number, body: Body): Buffer {
    const head = Buffer.allocUnsafe(8);
    head.writeInt16BE(apiKey, 0);
    head.writeInt16BE(version, 2);
    head.writeInt32BE(this.nextCorrelationId(), 4);
    return Buffer.concat([head, this.encodeAfterCorrelation(apiKey, version, body)]);
  }

  /** Decodes a response frame with the message spec; throws if bytes are left over (a layout mismatch). */
  static decodeResponse(apiKey: number, version: number, frame: Buffer): Body {
    const api = APIS.get(apiKey)!;
    const flexible = isFlexible(api.response, version);
    const r = new Reader(frame);
    r.int32(); // correlation id
    if (flexible && apiKey !== ApiKey.ApiVersions) decodeStruct(r, [], version, true);
    const out = decodeStruct(r, api.response.fields, version, flexible);
    if (r.remaining !== 0) throw new Error(`${api.name} v${version} response has ${r.remaining} unread bytes`);
    return out;
  }

  /** Sends a request and decodes the response with the message spec. */
  async request(apiKey: number, version: number, body: Body): Promise<Body> {
    return RawClient.decodeResponse(apiKey, version, await this.sendFrame(this.encodeRequest(apiKey, version, body)));
  }

  close(): void {
    this.socket.destroy();
  }
}
