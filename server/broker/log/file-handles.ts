/**
 * Bounds the segment files a broker keeps open. A broker with thousands of partitions has
 * thousands of segments; each opens its file when first used and the least recently used ones
 * are closed once the limit is passed (and any idle for too long), except while an async read or
 * fsync is using the descriptor.
 */
export interface FileHandleOwner {
  /** Closes the descriptor unless it is busy; false when it had to stay open. */
  closeHandle(): boolean;
  readonly lastUsed: number;
}

export const DEFAULT_MAX_OPEN_SEGMENTS = 1000;

export class FileHandles {
  /** Insertion order is recency: the first entry is the least recently used. */
  private open = new Set<FileHandleOwner>();

  constructor(readonly limit: number = DEFAULT_MAX_OPEN_SEGMENTS) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`the open segment limit must be a positive integer, got ${limit}`);
  }

  get size(): number {
    return this.open.size;
  }

  /** Marks owner's descriptor as just used; closes the least recently used others over the limit. */
  touch(owner: FileHandleOwner): void {
    this.open.delete(owner);
    this.open.add(owner);
    if (this.open.size <= this.limit) return;
    for (const o of this.open) {
      if (this.open.size <= this.limit) break;
      if (o !== owner) o.closeHandle();
    }
  }

  forget(owner: FileHandleOwner): void {
    this.open.delete(owner);
  }

  /** Closes descriptors unused for idleMs. */
  closeIdle(now: number, idleMs: number): number {
    let closed = 0;
    for (const o of [...this.open]) if (now - o.lastUsed >= idleMs && o.closeHandle()) closed++;
    return closed;
  }
}
