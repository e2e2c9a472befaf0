import { setImmediate as yieldToLoop } from "node:timers/promises";

/**
 * How long one request may keep the event loop before it lets others run. A loop over what a
 * client listed (partitions, topics, config resources) checks `due` per item and awaits
 * `next()` when it is: tens of thousands of items then cost other clients a few milliseconds
 * at a time, not the whole request's time at once.
 */
export const SLICE_MS = 10;

export class Slices {
  private started = performance.now();

  get due(): boolean {
    return performance.now() - this.started >= SLICE_MS;
  }

  async next(): Promise<void> {
    await yieldToLoop();
    this.started = performance.now();
  }
}

/** items.map(fn), giving the event loop back whenever a slice is used up. */
export async function mapInSlices<T, R>(items: readonly T[], fn: (item: T, index: number) => R): Promise<R[]> {
  const slices = new Slices();
  const out = new Array<R>(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i], i);
    if (slices.due) await slices.next();
  }
  return out;
}
