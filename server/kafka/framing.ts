import type { Socket } from "node:net";

/**
 * The sizes accepted. A response frame starts with its 4-byte correlation id, so a reader of
 * responses sets minBytes 4; a SASL v0 exchange frames raw tokens, which may be empty.
 */
export interface FrameLimits {
  minBytes?: number;
  maxBytes?: number;
}

export interface FramerEvents {
  frame(frame: Buffer): void;
  /** A size prefix outside what is accepted: the stream cannot be trusted any further. */
  refuse(size: number): void;
}

/**
 * Cuts a byte stream into Kafka's size-prefixed frames, with one copy per frame however many reads
 * it arrived in. The sender's side of a connection (a client reading responses, a proxy); the
 * broker reads requests with its own reader, which reserves request memory before buffering.
 */
export class Framer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private stopped = false;

  private readonly minBytes: number;
  private readonly maxBytes: number;

  constructor(
    private readonly events: FramerEvents,
    limits: FrameLimits = {},
  ) {
    this.minBytes = limits.minBytes ?? 0;
    this.maxBytes = limits.maxBytes ?? 0x7fffffff;
  }

  push(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    while (this.buffered >= 4 && !this.stopped) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (size < this.minBytes || size > this.maxBytes) {
        this.stop();
        this.events.refuse(size);
        return;
      }
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.events.frame(all.subarray(4, 4 + size));
    }
  }

  /** Hands over no more frames and drops what is buffered (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
  }
}

/** A frame's body with its size in front, as it goes on the wire. */
export function withSize(body: Buffer): Buffer {
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Writes one frame's chunks (size, header, body slices) as a single writev. */
export function writeFrame(socket: Socket, chunks: readonly Buffer[]): void {
  socket.cork();
  for (const chunk of chunks) socket.write(chunk);
  socket.uncork();
}
