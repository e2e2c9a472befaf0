/**
 * Kafka's queued.max.request.bytes: one broker-wide budget for the bytes of requests being read
 * and waiting for their response. A connection reserves a frame's size as soon as it has read the
 * 4-byte size, before it buffers the body; what the pool cannot give, the connection waits for
 * with its socket paused, so the kernel holds the client back instead of our heap.
 *
 * Waiting connections are served in arrival order, each as soon as its frame fits: a frame that
 * fits now is read at once, even while a larger one waits, so connections stuck in the middle of
 * huge frames cannot starve small requests from everyone else.
 */
export class RequestMemoryPool {
  private free: number;
  private readonly waiting: Waiter[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`the request memory pool needs a positive size, got ${capacity}`);
    this.free = capacity;
  }

  get available(): number {
    return this.free;
  }

  get waiters(): number {
    return this.waiting.length;
  }

  /** Takes bytes if they are free now. */
  tryReserve(bytes: number): boolean {
    if (bytes > this.free) return false;
    this.free -= bytes;
    return true;
  }

  /** Calls granted (once) when bytes have been reserved for the caller; the returned function gives up the wait. */
  wait(bytes: number, granted: () => void): () => void {
    if (bytes > this.capacity) throw new RangeError(`${bytes} bytes can never fit a pool of ${this.capacity}`);
    const w: Waiter = { bytes, granted };
    this.waiting.push(w);
    return () => {
      const at = this.waiting.indexOf(w);
      if (at >= 0) this.waiting.splice(at, 1);
    };
  }

  release(bytes: number): void {
    this.free += bytes;
    if (this.free > this.capacity) throw new Error(`request memory released twice: ${this.free} bytes free of ${this.capacity}`);
    const ready: Waiter[] = [];
    for (let i = 0; i < this.waiting.length && this.free > 0; ) {
      const w = this.waiting[i];
      if (w.bytes > this.free) {
        i++;
        continue;
      }
      this.free -= w.bytes;
      this.waiting.splice(i, 1);
      ready.push(w);
    }
    // After the queue is settled: a granted connection may read, finish and release right away.
    for (const w of ready) w.granted();
  }
}

interface Waiter {
  bytes: number;
  granted: () => void;
}
