import type { Broker } from "@/server/broker/broker";

/**
 * For a broker run alone in a child process (tests and benchmarks watching it from outside):
 * SIGTERM closes it and exits 0, or 1 with the reason on stderr, so the parent sees a clean stop
 * (and --cpu-prof gets to write its profile).
 */
export function closeOnSigterm(broker: Broker): void {
  process.once("SIGTERM", () => {
    broker.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`broker stop failed: ${err.stack ?? err.message}\n`);
        process.exit(1);
      },
    );
  });
}
