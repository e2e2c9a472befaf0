import type { RequestMemoryPool } from "./request-memory";

export interface FrameEvents {
  /** The largest frame accepted now, and the setting that says so (it is smaller before SASL authentication). */
  limit(): { bytes: number; setting: string };
  /** A whole frame; `reserved` bytes of the pool are the caller's to release when the request is done. */
  frame(frame: Buffer, reserved: number): void;
  /** The connection must be closed, for this reason. */
  refuse(reason: string): void;
  /** Memory the reader waited for was granted: reading may go on. */
  granted(): void;
}

/**
 * Cuts a connection's bytes into size-prefixed Kafka frames. Each frame's size is reserved from
 * the broker's request memory pool as soon as it is read, before the body is buffered; a frame
 * larger than what has arrived gets one buffer of exactly its size, filled as data comes, so
 * memory matches the reservation. A frame not complete within `deadlineMs` of its size arriving
 * (waiting for memory or for the client) is refused.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The frame being read: its size (-1 between frames), whether its memory is reserved, and its body once it spans reads. */
  private size = -1;
  private reserved = false;
  private body: Buffer | null = null;
  private filled = 0;
  private cancelWait: (() => void) | null = null;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: RequestMemoryPool,
    private readonly deadlineMs: number,
    private readonly events: FrameEvents,
  ) {}

  get waitingForMemory(): boolean {
    return this.cancelWait !== null;
  }

  push(data: Buffer): void {
    if (this.body && this.filled < this.size) {
      const n = Math.min(data.length, this.size - this.filled);
      data.copy(this.body, this.filled, 0, n);
      this.filled += n;
      if (n === data.length) return;
      data = data.subarray(n);
    }
    this.chunks.push(data);
    this.buffered += data.length;
  }

  /** Hands over complete frames while mayRead() allows; each frame is taken out before it is handed over. */
  drain(mayRead: () => boolean): void {
    while (mayRead()) {
      if (this.size < 0 && !this.startFrame()) return;
      if (!this.reserved) return;
      const frame = this.takeBody();
      if (!frame) return this.armDeadline();
      const reserved = this.size;
      this.size = -1;
      this.reserved = false;
      clearTimeout(this.deadline);
      this.deadline = undefined;
      this.events.frame(frame, reserved);
    }
  }

  /** Reads the next frame's size and reserves it; false when there is no size yet or the frame is refused. */
  private startFrame(): boolean {
    if (this.buffered < 4) return false;
    const size = this.take(4).readInt32BE(0);
    const limit = this.events.limit();
    // Checked before anything is allocated for the frame.
    if (size < 0 || size > limit.bytes) {
      this.events.refuse(`request of ${size} bytes exceeds ${limit.setting} ${limit.bytes}`);
      return false;
    }
    this.size = size;
    if (this.pool.tryReserve(size)) {
      this.reserved = true;
      return true;
    }
    this.cancelWait = this.pool.wait(size, () => {
      this.cancelWait = null;
      this.reserved = true;
      this.events.granted();
    });
    this.armDeadline();
    return true;
  }

  /** The frame's body if all of it is here; otherwise moves what is here into a buffer of the frame's size. */
  private takeBody(): Buffer | null {
    if (this.body) {
      if (this.filled < this.size) return null;
      const body = this.body;
      this.body = null;
      this.filled = 0;
      return body;
    }
    if (this.buffered >= this.size) return this.take(this.size);
    this.body = Buffer.allocUnsafe(this.size);
    for (const c of this.chunks) {
      c.copy(this.body, this.filled);
      this.filled += c.length;
    }
    this.chunks = [];
    this.buffered = 0;
    return null;
  }

  /** The next n buffered bytes, without a copy when they lie in one read. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }

  private armDeadline(): void {
    if (this.deadline) return;
    this.deadline = setTimeout(() => {
      const progress = this.waitingForMemory ? "still waiting for request memory (queued.max.request.bytes)" : `${this.filled + this.buffered} of its bytes arrived`;
      this.events.refuse(`could not finish a request of ${this.size} bytes within connections.max.idle.ms (${this.deadlineMs} ms): ${progress}`);
    }, this.deadlineMs);
    this.deadline.unref();
  }

  /** Gives back the frame in progress: its reservation or its place in the queue for memory. */
  dispose(): void {
    clearTimeout(this.deadline);
    this.cancelWait?.();
    this.cancelWait = null;
    if (this.reserved) this.pool.release(this.size);
    this.reserved = false;
    this.size = -1;
    this.body = null;
    this.chunks = [];
    this.buffered = 0;
  }
}
