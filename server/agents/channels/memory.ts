import { z } from "zod";
import { defineComponent } from "../component";
import {
  type Channel,
  ChannelCounters,
  ChannelFullError,
  type FlumeEvent,
  type Transaction,
  TransactionCapacityError,
  TransactionStateError,
  eventBytes,
  statsOf,
} from "../model";
import { EventQueue } from "./queue";

export const memoryChannelSchema = z.object({
  type: z.literal("memory"),
  capacity: z.number().int().positive().default(100).describe("Maximum number of events stored in the channel."),
  transactionCapacity: z.number().int().positive().default(100).describe("Maximum number of events a source puts or a sink takes in one transaction."),
  byteCapacity: z.number().int().nonnegative().default(0).describe("Maximum total bytes of event bodies and headers in the channel; 0 means no byte limit."),
}).describe("Keeps events in memory: fastest, but events still in the channel are lost if the process dies.");

export type MemoryChannelConfig = z.infer<typeof memoryChannelSchema>;

export class MemoryChannel implements Channel {
  readonly transactionCapacity: number;
  private readonly queue = new EventQueue<FlumeEvent>();
  private readonly counters = new ChannelCounters();
  /** Events taken by open transactions still occupy capacity until their take commits. */
  private reserved = 0;
  private bytes = 0;

  constructor(readonly name: string, private readonly config: MemoryChannelConfig) {
    this.transactionCapacity = config.transactionCapacity;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  size(): number {
    return this.queue.length + this.reserved;
  }

  stats() {
    return statsOf(this.counters, this.size(), this.config.capacity);
  }

  begin(): Transaction {
    let puts: FlumeEvent[] = [];
    let takes: FlumeEvent[] = [];
    let open = true;
    const ch = this;
    const check = (what: string) => {
      if (!open) throw new TransactionStateError(this.name, `${what} on a closed transaction`);
    };
    return {
      put(events) {
        check("put");
        if (puts.length + events.length > ch.transactionCapacity) {
          throw new TransactionCapacityError(ch.name, puts.length + events.length, ch.transactionCapacity);
        }
        ch.counters.EventPutAttemptCount += events.length;
        for (const e of events) puts.push(e);
      },
      take(max) {
        check("take");
        const n = Math.min(max, ch.transactionCapacity - takes.length);
        ch.counters.EventTakeAttemptCount++;
        const got = ch.queue.shiftMany(n);
        ch.reserved += got.length;
        for (const e of got) takes.push(e);
        return got;
      },
      async commit() {
        check("commit");
        if (puts.length > 0) {
          if (ch.size() + puts.length > ch.config.capacity) {
            throw new ChannelFullError(ch.name, `${ch.size()} of ${ch.config.capacity} events`);
          }
          let add = 0;
          if (ch.config.byteCapacity > 0) {
            for (const e of puts) add += eventBytes(e);
            if (ch.bytes + add > ch.config.byteCapacity) {
              throw new ChannelFullError(ch.name, `${ch.bytes} of ${ch.config.byteCapacity} bytes`);
            }
          }
          ch.bytes += add;
          ch.queue.pushAll(puts);
          ch.counters.EventPutSuccessCount += puts.length;
        }
        if (takes.length > 0) {
          ch.reserved -= takes.length;
          if (ch.config.byteCapacity > 0) for (const e of takes) ch.bytes -= eventBytes(e);
          ch.counters.EventTakeSuccessCount += takes.length;
        }
        open = false;
        puts = [];
        takes = [];
      },
      rollback() {
        if (!open) return;
        open = false;
        ch.reserved -= takes.length;
        ch.queue.unshiftAll(takes);
        puts = [];
        takes = [];
      },
    };
  }
}

export const memoryChannelType = defineComponent({
  types: ["memory", "org.apache.flume.channel.MemoryChannel"],
  schema: memoryChannelSchema,
  create: (config, ctx) => new MemoryChannel(ctx.name, config),
});
