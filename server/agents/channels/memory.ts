import { z } from "zod";
import { defineComponent } from "../component";
import { type Channel, ChannelFullError, type FlumeEvent, type Transaction, eventBytes, statsOf } from "../model";
import { ChannelTransactions } from "./transactions";

export const memoryChannelSchema = z.object({
  type: z.literal("memory"),
  capacity: z.number().int().positive().default(100).describe("Maximum number of events stored in the channel."),
  transactionCapacity: z.number().int().positive().default(100).describe("Maximum number of events a source puts or a sink takes in one transaction."),
  byteCapacity: z.number().int().nonnegative().default(0).describe("Maximum total bytes of event bodies and headers in the channel; 0 means no byte limit."),
}).describe("Keeps events in memory: fastest, but events still in the channel are lost if the process dies.");

export type MemoryChannelConfig = z.infer<typeof memoryChannelSchema>;

export class MemoryChannel implements Channel {
  readonly transactionCapacity: number;
  private readonly tx: ChannelTransactions<FlumeEvent>;
  private bytes = 0;

  constructor(readonly name: string, private readonly config: MemoryChannelConfig) {
    this.transactionCapacity = config.transactionCapacity;
    this.tx = new ChannelTransactions(name, config.transactionCapacity, (e) => e, (e) => e);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  size(): number {
    return this.tx.size();
  }

  stats() {
    return statsOf(this.tx.counters, this.size(), this.config.capacity);
  }

  begin(): Transaction {
    // Nothing to wait for: the commit is decided and applied at once.
    return this.tx.begin((puts, takes, settle) => {
      let add = 0;
      if (puts.length > 0) {
        if (this.size() + puts.length > this.config.capacity) return Promise.reject(new ChannelFullError(this.name, `${this.size()} of ${this.config.capacity} events`));
        if (this.config.byteCapacity > 0) {
          for (const e of puts) add += eventBytes(e);
          if (this.bytes + add > this.config.byteCapacity) return Promise.reject(new ChannelFullError(this.name, `${this.bytes} of ${this.config.byteCapacity} bytes`));
        }
      }
      if (this.config.byteCapacity > 0) for (const e of takes) add -= eventBytes(e);
      this.bytes += add;
      settle();
      return Promise.resolve();
    });
  }
}

export const memoryChannelType = defineComponent({
  types: ["memory", "org.apache.flume.channel.MemoryChannel"],
  schema: memoryChannelSchema,
  create: (config, ctx) => new MemoryChannel(ctx.name, config),
});
