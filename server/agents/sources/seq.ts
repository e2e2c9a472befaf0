import { z } from "zod";
import { type BatchSink, defineComponent } from "../component";
import { LoopSource } from "./loop-source";
import type { FlumeEvent } from "../model";

export const seqSourceSchema = z.object({
  type: z.literal("seq"),
  channels: z.array(z.string()).min(1),
  totalEvents: z.number().int().nonnegative().default(0).describe("Number of events to generate; 0 generates forever."),
  batchSize: z.number().int().positive().default(100).describe("Events per channel transaction."),
  bodySize: z.number().int().nonnegative().default(0).describe("Pad each body to this many bytes; 0 puts just the sequence number."),
}).describe("Generates events whose body is an increasing sequence number, for tests and benchmarks.");

/** Wait after a refused batch before offering it again. */
const RETRY_MS = 50;

export class SeqSource extends LoopSource {
  private next = 0;

  constructor(private readonly config: z.infer<typeof seqSourceSchema>, private readonly put: BatchSink) {
    super();
  }

  protected async run(): Promise<void> {
    const { totalEvents, batchSize, bodySize } = this.config;
    while (this.running && (totalEvents === 0 || this.next < totalEvents)) {
      const n = totalEvents === 0 ? batchSize : Math.min(batchSize, totalEvents - this.next);
      const batch = new Array<FlumeEvent>(n);
      for (let i = 0; i < n; i++) {
        const s = String(this.next + i);
        const body = Buffer.alloc(Math.max(bodySize, s.length), " ");
        body.write(s);
        batch[i] = { headers: {}, body };
      }
      this.counters.EventReceivedCount += n;
      try {
        await this.put(batch);
      } catch {
        // Back-pressure: the same numbers are generated again once the channel has room.
        this.counters.EventReceivedCount -= n;
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      this.next += n;
      this.counters.EventAcceptedCount += n;
    }
  }
}

export const seqSourceType = defineComponent({
  types: ["seq", "org.apache.flume.source.SequenceGeneratorSource"],
  schema: seqSourceSchema,
  create: (config, ctx) => new SeqSource(config, ctx.put),
});
