import { type Source, SourceCounters } from "../component";

/**
 * A source whose work is one loop that runs while `running` is set (Flume's PollableSource runner
 * and the threads of exec/spooldir/taildir): start() begins it, stop() clears the flag and waits for
 * the round in flight, so nothing is put after stop() resolves.
 */
export abstract class LoopSource implements Source {
  readonly counters = new SourceCounters();
  protected running = false;
  private loop: Promise<void> | null = null;

  /** Sources that must prepare first (check a directory, read positions) do so and then call this. */
  start(): Promise<void> {
    this.running = true;
    this.loop = this.run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  protected abstract run(): Promise<void>;
}
