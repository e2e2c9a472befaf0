import { connect, type Socket } from "node:net";
import { Reader } from "../../kafka/codec";
import { Framer, writeFrame } from "../../kafka/framing";
import { readResponseHeader } from "../../kafka/headers";
import type { ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import { decodeResponse, requestFrame, type RequestInputOf, type ResponseOf } from "../../kafka/protocol";

interface Waiting {
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
}

/**
 * A bare Kafka connection for tests that must do what a well-behaved client never does: send any
 * version of any API without negotiating it, send hand-made bytes, leave the socket unread. Requests
 * are framed by server/kafka/protocol.ts and answers matched by correlation id, so a response to the
 * wrong request, or one with bytes left after decoding, fails the test.
 */
export class TestConnection {
  private readonly waiting = new Map<number, Waiting>();
  private readonly framer = new Framer(
    {
      frame: (frame) => this.receive(frame),
      refuse: (size) => this.socket.destroy(new Error(`a response frame of ${size} bytes`)),
    },
    { minBytes: 4 },
  );
  private nextId = 0;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => this.framer.push(d));
    let failure: Error | undefined;
    socket.on("error", (err) => (failure = err));
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        // Requests still waiting will never be answered: fail them rather than hang the test.
        for (const w of this.waiting.values()) w.reject(new Error(`connection closed before the response arrived${failure ? `: ${failure.message}` : ""}`));
        this.waiting.clear();
        resolve();
      }),
    );
  }

  static open(bootstrap: string): Promise<TestConnection> {
    const i = bootstrap.lastIndexOf(":");
    return new Promise((resolve, reject) => {
      const s = connect(Number(bootstrap.slice(i + 1)), bootstrap.slice(0, i), () => {
        s.off("error", reject);
        resolve(new TestConnection(s));
      });
      s.once("error", reject);
    });
  }

  /** Sends a request at this version and decodes its response. */
  async request<N extends ApiName>(api: ApiSpec<N>, version: number, body: NoInfer<RequestInputOf<N>>): Promise<ResponseOf<N>> {
    const id = this.correlationId();
    const answered = this.expect(id);
    writeFrame(this.socket, requestFrame(api, version, id, "test", body));
    const r = new Reader(await answered);
    readResponseHeader(r, api, version);
    const res = decodeResponse(api, version, r);
    if (r.remaining !== 0) throw new Error(`${api.name} v${version} response has ${r.remaining} bytes left after decoding`);
    return res;
  }

  /** Sends a request that gets no answer (Produce with acks=0). */
  send<N extends ApiName>(api: ApiSpec<N>, version: number, body: NoInfer<RequestInputOf<N>>): void {
    writeFrame(this.socket, requestFrame(api, version, this.correlationId(), "test", body));
  }

  /** Sends hand-made bytes (header and body) as one frame; resolves with the response frame to the correlation id in bytes 4-7. */
  sendRaw(payload: Buffer): Promise<Buffer> {
    const answered = this.expect(payload.readInt32BE(4));
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    writeFrame(this.socket, [size, payload]);
    return answered;
  }

  close(): void {
    this.socket.destroy();
  }

  private correlationId(): number {
    do this.nextId++;
    while (this.waiting.has(this.nextId));
    return this.nextId;
  }

  private expect(correlationId: number): Promise<Buffer> {
    if (this.waiting.has(correlationId)) throw new Error(`correlation id ${correlationId} is already waiting for its response`);
    return new Promise((resolve, reject) => this.waiting.set(correlationId, { resolve, reject }));
  }

  private receive(frame: Buffer): void {
    const id = frame.readInt32BE(0);
    const w = this.waiting.get(id);
    if (!w) {
      this.socket.destroy(new Error(`a response with correlation id ${id} answers no request`));
      return;
    }
    this.waiting.delete(id);
    w.resolve(frame);
  }
}
