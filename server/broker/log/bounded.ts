/**
 * Runs fn over items with at most `concurrency` calls in flight: file work over thousands of
 * partitions must not open thousands of descriptors at once (EMFILE), and a few calls in flight
 * already keep the thread pool's fsyncs overlapping. Every item is tried; the first failure is
 * thrown once all have finished.
 */
export async function forEachBounded<T>(items: Iterable<T>, concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      try {
        await fn(next.value);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failure) throw failure.err;
}
