import { z } from "zod";
import { channelTypes, interceptorTypes, lookup, sinkTypes, sourceTypes } from "./registry";
import { sinkGroupSchema } from "./processors/processors";
import { selectorSchema } from "./selectors/selectors";

const component = z.looseObject({ type: z.string().describe("Component type: ours or Flume's alias or class name.") });

/**
 * A flow as JSON. Names are record keys, so they are unique per kind by construction. Each
 * component's own properties are checked by its type's schema; errors name the component and property.
 */
export const flowSchema = z.object({
  name: z.string().min(1).default("flow"),
  sources: z.record(z.string(), z.looseObject({
    type: z.string(),
    channels: z.array(z.string()).min(1).describe("Channels this source puts into."),
    interceptors: z.array(component).default([]).describe("Applied in order to every batch before the selector."),
    selector: selectorSchema.default({ type: "replicating", optional: [] }),
  })),
  channels: z.record(z.string(), component),
  sinks: z.record(z.string(), z.looseObject({ type: z.string(), channel: z.string().describe("The one channel this sink takes from.") })),
  sinkgroups: z.record(z.string(), sinkGroupSchema).default({}).describe("Sinks that share one runner and a sink processor (failover, load_balance); other sinks run on their own."),
}).superRefine((flow, ctx) => {
  const check = (kind: "sources" | "channels" | "sinks", entries: typeof sourceTypes | typeof channelTypes | typeof sinkTypes, strip: string[]) => {
    for (const [name, raw] of Object.entries(flow[kind])) {
      const entry = lookup(entries as typeof sourceTypes, raw.type);
      if (!entry) {
        ctx.addIssue({ code: "custom", path: [kind, name, "type"], message: `unknown ${kind.slice(0, -1)} type "${raw.type}"; known: ${entries.map((e) => e.types[0]).join(", ")}` });
        continue;
      }
      const props: Record<string, unknown> = { ...raw, type: entry.types[0] };
      for (const k of strip) delete props[k];
      for (const k of Object.keys(props)) {
        if (!(k in entry.schema.shape)) ctx.addIssue({ code: "custom", path: [kind, name, k], message: `unknown property "${k}" for type ${entry.types[0]}` });
      }
      const r = entry.schema.safeParse(props);
      if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: "custom", path: [kind, name, ...i.path.map(String)], message: i.message });
    }
  };
  check("sources", sourceTypes, ["interceptors", "selector"]);
  check("channels", channelTypes, []);
  check("sinks", sinkTypes, []);
  for (const [name, src] of Object.entries(flow.sources)) {
    src.interceptors.forEach((ic, i) => {
      const entry = lookup(interceptorTypes, ic.type);
      if (!entry) {
        ctx.addIssue({ code: "custom", path: ["sources", name, "interceptors", i, "type"], message: `unknown interceptor type "${ic.type}"` });
        return;
      }
      const r = entry.schema.safeParse({ ...ic, type: entry.types[0] });
      if (!r.success) for (const is of r.error.issues) ctx.addIssue({ code: "custom", path: ["sources", name, "interceptors", i, ...is.path.map(String)], message: is.message });
    });
    const selected = src.selector.type === "replicating"
      ? src.selector.optional
      : [...Object.values(src.selector.mapping).flat(), ...Object.values(src.selector.optional).flat(), ...src.selector.default];
    for (const c of [...src.channels, ...selected]) {
      if (!(c in flow.channels)) ctx.addIssue({ code: "custom", path: ["sources", name, "channels"], message: `channel "${c}" is not defined` });
      else if (!src.channels.includes(c)) ctx.addIssue({ code: "custom", path: ["sources", name, "selector"], message: `channel "${c}" is not one of the source's channels` });
    }
    const batch = Number(src.batchSize ?? 0);
    for (const c of src.channels) checkBatch(flow.channels[c], batch, ["sources", name, "batchSize"], c, ctx);
  }
  for (const [name, sink] of Object.entries(flow.sinks)) {
    if (!(sink.channel in flow.channels)) ctx.addIssue({ code: "custom", path: ["sinks", name, "channel"], message: `channel "${sink.channel}" is not defined` });
    else checkBatch(flow.channels[sink.channel], Number(sink.batchSize ?? 0), ["sinks", name, "batchSize"], sink.channel, ctx);
  }
  checkExactlyOnce(flow, ctx);
  const grouped = new Map<string, string>();
  for (const [g, group] of Object.entries(flow.sinkgroups)) {
    for (const k of group.sinks) {
      if (!(k in flow.sinks)) ctx.addIssue({ code: "custom", path: ["sinkgroups", g, "sinks"], message: `sink "${k}" is not defined` });
      else if (grouped.has(k)) ctx.addIssue({ code: "custom", path: ["sinkgroups", g, "sinks"], message: `sink "${k}" is already in sink group "${grouped.get(k)}"; a sink belongs to at most one group` });
      grouped.set(k, g);
    }
    const p = group.processor;
    if (p.type === "failover") {
      for (const k of Object.keys(p.priority)) if (!group.sinks.includes(k)) ctx.addIssue({ code: "custom", path: ["sinkgroups", g, "processor", "priority", k], message: `sink "${k}" is not in this group` });
    }
    if (p.type === "default" && group.sinks.length > 1) ctx.addIssue({ code: "custom", path: ["sinkgroups", g, "processor", "type"], message: "the default processor runs one sink; use failover or load_balance for several" });
  }
});

type FlowShape = { sources: Record<string, { type: string; channels: string[]; [k: string]: unknown }>; sinks: Record<string, { type: string; channel: string; [k: string]: unknown }> };

/**
 * Transactional topic sinks and the topic source whose offsets each commits: the sources feeding
 * its channel (exactly one, a topic source, once the flow is valid).
 */
export function exactlyOnceSources(flow: FlowShape): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, sink] of Object.entries(flow.sinks)) {
    if (lookup(sinkTypes, sink.type)?.types[0] !== "topic" || sink.transactionalId === undefined) continue;
    out.set(name, Object.entries(flow.sources).filter(([, src]) => src.channels.includes(sink.channel)).map(([n]) => n));
  }
  return out;
}

/**
 * Exactly-once holds only when the sink's transactions cover every record the source reads: one
 * topic source, reading from the sink's brokers into this channel only, and one sink taking from it.
 */
function checkExactlyOnce(flow: FlowShape, ctx: z.RefinementCtx): void {
  for (const [name, sources] of exactlyOnceSources(flow)) {
    const sink = flow.sinks[name];
    const problem = (message: string) => ctx.addIssue({ code: "custom", path: ["sinks", name, "transactionalId"], message: `exactly-once (transactionalId, Kafka's kafka.producer.transactional.id) ${message}` });
    const src = sources.length === 1 ? flow.sources[sources[0]] : undefined;
    if (!src || lookup(sourceTypes, src.type)?.types[0] !== "topic") {
      problem(`needs exactly one source putting into channel "${sink.channel}", a topic source; it has ${sources.length === 0 ? "none" : sources.map((s) => `${s} (${flow.sources[s].type})`).join(", ")}`);
      continue;
    }
    const others = Object.keys(flow.sinks).filter((k) => k !== name && flow.sinks[k].channel === sink.channel);
    if (others.length > 0) problem(`needs this sink to be the only one taking from channel "${sink.channel}"; ${others.join(", ")} take from it too`);
    if (src.channels.length > 1) problem(`needs source ${sources[0]} to put into channel "${sink.channel}" only, as the sink commits the offsets of everything it reads; it also puts into ${src.channels.filter((c) => c !== sink.channel).join(", ")}`);
    const servers = (v: unknown) => (typeof v === "string" ? v : "").split(",").map((x) => x.trim()).sort().join(",");
    if (servers(src.bootstrapServers) !== servers(sink.bootstrapServers)) problem(`needs source ${sources[0]} and this sink on the same brokers (bootstrapServers), as one transaction holds the records and the source group's offsets`);
    if (sink.acks !== undefined && sink.acks !== "all" && sink.acks !== -1) problem(`needs acks "all"`);
    if (src.setTopicHeader === false) problem(`needs setTopicHeader on source ${sources[0]}: the header says which topic each record's offset belongs to`);
    const srcHeader = typeof src.topicHeader === "string" ? src.topicHeader : "topic";
    if (sink.allowTopicOverride !== false && (sink.topicHeader ?? "topic") === srcHeader) problem(`would write every record back to its input topic (the "${srcHeader}" header the source sets chooses the topic); set allowTopicOverride = false or another topicHeader`);
  }
}

function checkBatch(channel: z.infer<typeof component> | undefined, batch: number, path: string[], channelName: string, ctx: z.RefinementCtx): void {
  if (!channel || !batch) return;
  const entry = lookup(channelTypes, channel.type);
  const parsed = entry?.schema.safeParse({ ...channel, type: entry.types[0] });
  const cap = parsed?.success ? Number((parsed.data as { transactionCapacity: number }).transactionCapacity) : undefined;
  if (cap !== undefined && batch > cap) ctx.addIssue({ code: "custom", path, message: `batchSize ${batch} exceeds transactionCapacity ${cap} of channel "${channelName}"` });
}

export type FlowConfig = z.infer<typeof flowSchema>;

export class FlowConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid flow:\n  ${problems.join("\n  ")}`);
    this.name = "FlowConfigError";
  }
}

/** Validates a flow; throws FlowConfigError listing every problem as "sinks.k1.batchSize: …". */
export function parseFlow(input: unknown): FlowConfig {
  const r = flowSchema.safeParse(input);
  if (!r.success) throw new FlowConfigError(r.error.issues.map((i) => `${i.path.join(".") || "(flow)"}: ${i.message}`));
  return r.data;
}
