import { connect, type Socket } from "node:net";
import { Reader, Writer } from "../protocol/codec";
import { APIS } from "../protocol/messages";
import { decodeStruct, encodeStruct, isFlexible } from "../protocol/schema";

/**
 * A bare Kafka-protocol connection for tests that must send what no well-behaved client sends
 * (unsupported versions, incremental fetches for unknown sessions) or read raw responses.
 */
export class RawClient {
  private acc = Buffer.alloc(0);
  private waiting: ((frame: Buffer) => void)[] = [];
  private correlation = 0;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d) => {
      this.acc = Buffer.concat([this.acc, d]);
      while (this.acc.length >= 4 && this.acc.length >= 4 + this.acc.readInt32BE(0)) {
        const size = this.acc.readInt32BE(0);
        const frame = this.acc.subarray(4, 4 + size);
        this.acc = this.acc.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  static open(bootstrap: string): Promise<RawClient> {
    const [host, port] = bootstrap.split(":");
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), host, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  /** Sends bytes as one size-prefixed frame and resolves with the next response frame (without its size). */
  sendFrame(payload: Buffer): Promise<Buffer> {
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    const p = new Promise<Buffer>((resolve) => this.waiting.push(resolve));
    this.socket.write(Buffer.concat([size, payload]));
    return p;
  }

  /** A request header (v1, or v2 for flexible versions) followed by the body encoded from the message spec. */
  encodeRequest(apiKey: number, version: number, body: Record<string, unknown>): Buffer {
    const api = APIS.get(apiKey)!;
    const flexible = isFlexible(api.request, version);
    const w = new Writer();
    w.int16(apiKey);
    w.int16(version);
    w.int32(++this.correlation);
    const id = Buffer.from("raw-test");
    w.int16(id.length);
    w.bytes(id);
    if (flexible) w.uvarint(0);
    encodeStruct(w, api.request.fields, body, version, flexible);
    return Buffer.concat(w.frame().slice(1));
  }

  /** Sends a request and decodes the response with the message spec. */
  async request(apiKey: number, version: number, body: Record<string, unknown>): Promise<Record<string, any>> {
    const frame = await this.sendFrame(this.encodeRequest(apiKey, version, body));
    const api = APIS.get(apiKey)!;
    const flexible = isFlexible(api.response, version);
    const r = new Reader(frame);
    r.int32(); // correlation id
    if (flexible && apiKey !== 18) decodeStruct(r, [], version, true);
    const out = decodeStruct(r, api.response.fields, version, flexible);
    if (r.remaining !== 0) throw new Error(`${api.name} v${version} response has ${r.remaining} unread bytes`);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}
