import { z } from "zod";

export const defaultProcessorSchema = z.object({
  type: z.literal("default"),
}).describe("One sink, no fail-over: what every sink outside a sink group runs with.");

export const failoverProcessorSchema = z.object({
  type: z.literal("failover"),
  priority: z.record(z.string(), z.number().int()).default({}).describe("Sink → priority; the live sink with the highest priority takes every batch."),
  maxpenalty: z.number().int().positive().default(30_000).describe("Most milliseconds a failed sink is left out; its penalty doubles from 1 s with each failure in a row."),
}).describe("Sends everything to the highest-priority sink that works; a failing sink is left out for a doubling penalty and comes back when it succeeds again.");

export const loadBalanceProcessorSchema = z.object({
  type: z.literal("load_balance"),
  selector: z.enum(["round_robin", "random"]).default("round_robin").describe("Order in which the sinks take batches."),
  backoff: z.boolean().default(false).describe("Leave a failed sink out for an exponentially growing time."),
  "selector.maxTimeOut": z.number().int().positive().default(30_000).describe("Most milliseconds a failed sink is left out when backoff is on."),
}).describe("Spreads batches over the group's sinks; a batch a sink fails on goes to the next sink.");

export const processorSchema = z.discriminatedUnion("type", [defaultProcessorSchema, failoverProcessorSchema, loadBalanceProcessorSchema]);
export type ProcessorConfig = z.infer<typeof processorSchema>;

export const sinkGroupSchema = z.object({
  sinks: z.array(z.string()).min(1).describe("The sinks of the group, each in at most one group."),
  processor: processorSchema.default({ type: "default" }),
});

/**
 * Flume's SinkProcessor, reduced to the choice it makes: which sinks to try for the next batch, in
 * order, and what a success or failure of one of them changes. The runner tries the candidates in
 * turn until one delivers.
 */
export interface SinkProcessor {
  candidates(now: number): string[];
  succeeded(sink: string): void;
  failed(sink: string, now: number): void;
}

/** First penalty of a failed sink; it doubles with each failure in a row, as in Flume. */
const BASE_PENALTY_MS = 1000;

/** Failures in a row and when a failed sink may be tried again. */
class Penalties {
  private readonly failures = new Map<string, number>();
  private readonly until = new Map<string, number>();
  constructor(private readonly maxMs: number) {}
  fail(sink: string, now: number): void {
    const n = (this.failures.get(sink) ?? 0) + 1;
    this.failures.set(sink, n);
    this.until.set(sink, now + Math.min(this.maxMs, BASE_PENALTY_MS * 2 ** Math.min(n - 1, 30)));
  }
  clear(sink: string): void {
    this.failures.delete(sink);
    this.until.delete(sink);
  }
  penalised(sink: string, now: number): boolean {
    return (this.until.get(sink) ?? 0) > now;
  }
  failing(sink: string): boolean {
    return this.failures.has(sink);
  }
}

export function createProcessor(config: ProcessorConfig, sinks: readonly string[]): SinkProcessor {
  switch (config.type) {
    case "default":
      return { candidates: () => [...sinks], succeeded: () => {}, failed: () => {} };
    case "failover": {
      // Higher priority first; equal priorities keep the group's order.
      const ranked = sinks.map((s, i) => ({ s, i, p: config.priority[s] ?? 0 })).sort((a, b) => b.p - a.p || a.i - b.i).map((x) => x.s);
      const penalties = new Penalties(config.maxpenalty);
      return {
        // As Flume: a failed sink whose penalty ran out is tried first, so a recovered primary takes over again.
        candidates: (now) => [
          ...ranked.filter((s) => penalties.failing(s) && !penalties.penalised(s, now)),
          ...ranked.filter((s) => !penalties.failing(s)),
        ],
        succeeded: (s) => penalties.clear(s),
        failed: (s, now) => penalties.fail(s, now),
      };
    }
    case "load_balance": {
      const penalties = new Penalties(config["selector.maxTimeOut"]);
      let next = 0;
      return {
        candidates(now) {
          let order: string[];
          if (config.selector === "round_robin") {
            order = sinks.map((_, i) => sinks[(next + i) % sinks.length]);
            next = (next + 1) % sinks.length;
          } else {
            order = [...sinks];
            for (let i = order.length - 1; i > 0; i--) {
              const j = Math.floor(Math.random() * (i + 1));
              [order[i], order[j]] = [order[j], order[i]];
            }
          }
          return config.backoff ? order.filter((s) => !penalties.penalised(s, now)) : order;
        },
        succeeded: (s) => penalties.clear(s),
        failed: (s, now) => penalties.fail(s, now),
      };
    }
  }
}
