import { type Sink, SinkCounters } from "../component";
import type { FlumeEvent } from "../model";

/**
 * A sink that holds nothing open between batches (no client, file or pool): start and stop have
 * nothing to do, and each deliver() is self-contained.
 */
export abstract class StatelessSink implements Sink {
  readonly counters = new SinkCounters();
  readonly batchSize: number;

  constructor(config: { batchSize: number }) {
    this.batchSize = config.batchSize;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  abstract deliver(events: FlumeEvent[]): Promise<void>;
}
