/**
 * A FIFO with O(1) amortised push/shift-many and a put-back at the head, which is what a channel
 * needs: commits append batches, takes remove from the head, rollbacks return taken events in order.
 */
export class EventQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  pushAll(xs: readonly T[]): void {
    for (let i = 0; i < xs.length; i++) this.items.push(xs[i]);
  }

  shiftMany(max: number): T[] {
    const end = Math.min(this.items.length, this.head + max);
    const out = this.items.slice(this.head, end);
    this.head = end;
    // Compact once the consumed prefix dominates, so memory stays proportional to the live queue.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  unshiftAll(xs: readonly T[]): void {
    if (xs.length <= this.head) {
      this.head -= xs.length;
      for (let i = 0; i < xs.length; i++) this.items[this.head + i] = xs[i]!;
    } else {
      this.items = [...xs, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }

  toArray(): T[] {
    return this.items.slice(this.head);
  }
}
