import { z } from "zod";
import type { Selector } from "../component";

export const replicatingSelectorSchema = z.object({
  type: z.literal("replicating"),
  optional: z.array(z.string()).default([]).describe("Channels whose failures are ignored."),
}).describe("Puts every event into all of the source's channels.");

export const multiplexingSelectorSchema = z.object({
  type: z.literal("multiplexing"),
  header: z.string().default("flume.selector.header").describe("Header whose value picks the channels."),
  mapping: z.record(z.string(), z.array(z.string())).default({}).describe("Header value → channels."),
  optional: z.record(z.string(), z.array(z.string())).default({}).describe("Header value → channels whose failures are ignored."),
  default: z.array(z.string()).default([]).describe("Channels for events whose value has no mapping."),
}).describe("Routes each event by a header's value.");

export const selectorSchema = z.discriminatedUnion("type", [replicatingSelectorSchema, multiplexingSelectorSchema]);
export type SelectorConfig = z.infer<typeof selectorSchema>;

export function createSelector(config: SelectorConfig, channels: readonly string[]): Selector {
  if (config.type === "replicating") {
    const optional = config.optional;
    const required = channels.filter((c) => !optional.includes(c));
    const choice = { required, optional };
    return { select: () => choice };
  }
  const none: readonly string[] = [];
  return {
    select(event) {
      const v = event.headers[config.header];
      const mapped = v === undefined ? undefined : config.mapping[v];
      const optional = (v === undefined ? undefined : config.optional[v]) ?? none;
      return { required: mapped ?? (optional.length > 0 ? none : config.default), optional };
    },
  };
}
