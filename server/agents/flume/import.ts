import type { z } from "zod";
import type { FlowConfig } from "../flow";
import { channelTypes, interceptorTypes, lookup, sinkTypes, sourceTypes } from "../registry";
import { escapeValue, parseProperties } from "./properties";

export interface FlumeImport {
  /** A flow for parseFlow; components of unknown types are kept so validation names them. */
  flow: { name: string; sources: Record<string, Record<string, unknown>>; channels: Record<string, Record<string, unknown>>; sinks: Record<string, Record<string, unknown>> };
  /** Every key that was not carried over, with the reason. */
  unsupported: string[];
}

/** Flume property names that mean one of ours under another name, per component type. */
const RENAMES: Record<string, Record<string, string>> = {
  file: { dataDirs: "dataDir" },
  topic: { "kafka.bootstrap.servers": "bootstrapServers", "kafka.topic": "topic", "kafka.flumeBatchSize": "batchSize", "kafka.producer.acks": "acks", "kafka.producer.client.id": "clientId" },
  file_roll: { "sink.directory": "directory", "sink.rollInterval": "rollInterval", "sink.batchSize": "batchSize" },
};

/** Flume properties with no effect here, and why, so the report says more than "unknown". */
const IGNORED: Record<string, Record<string, string>> = {
  file: {
    checkpointDir: "the log checkpoints itself in dataDir",
    checkpointInterval: "checkpoints are taken by log size (checkpointBytes)",
    useDualCheckpoints: "the checkpoint is replaced atomically",
    backupCheckpointDir: "the checkpoint is replaced atomically",
    maxFileSize: "the log is one file rewritten at each checkpoint",
  },
  memory: {
    "keep-alive": "a full channel refuses the commit at once; the source backs off and retries",
    byteCapacityBufferPercentage: "byteCapacity counts header and body bytes exactly",
  },
};

/**
 * Converts a Flume agent's configuration (the keys under `<agent>.`) into a flow. Types may be
 * Flume's aliases, class names or ours; properties keep their names except the documented renames.
 */
export function importFlumeProperties(text: string, agent: string): FlumeImport {
  const props = parseProperties(text);
  const unsupported: string[] = [];
  const prefix = `${agent}.`;
  const own = new Map<string, string>();
  for (const [k, v] of props) if (k.startsWith(prefix)) own.set(k.slice(prefix.length), v);
  if (own.size === 0) throw new Error(`no properties for agent "${agent}" (expected keys starting with "${prefix}"); check --name`);
  const list = (k: string) => (own.get(k) ?? "").split(/\s+/).filter(Boolean);
  const used = new Set<string>(["sources", "channels", "sinks"]);
  const under = (base: string) => {
    const out = new Map<string, string>();
    for (const [k, v] of own) if (k.startsWith(`${base}.`)) out.set(k.slice(base.length + 1), v);
    return out;
  };
  const flow: FlumeImport["flow"] = { name: agent, sources: {}, channels: {}, sinks: {} };

  const convert = (kind: string, entries: typeof sourceTypes, name: string, raw: Map<string, string>, skip: (k: string) => boolean) => {
    const type = raw.get("type") ?? "";
    const entry = lookup(entries, type);
    const out: Record<string, unknown> = { type: entry ? entry.types[0] : type };
    if (!entry) unsupported.push(`${agent}.${kind}.${name}.type = ${type}: no such ${kind.slice(0, -1)} type here`);
    const t = entry?.types[0] ?? "";
    for (const [k, v] of raw) {
      if (k === "type" || skip(k)) continue;
      const full = `${agent}.${kind}.${name}.${k}`;
      const ignored = IGNORED[t]?.[k];
      if (ignored) {
        unsupported.push(`${full}: ignored (${ignored})`);
        continue;
      }
      // Flume's taildir lists `filegroups = f1 f2` and `filegroups.f1 = /path/regex`; ours is one map.
      if (t === "taildir" && k.startsWith("filegroups")) {
        if (k !== "filegroups") ((out.filegroups ??= {}) as Record<string, string>)[k.slice("filegroups.".length)] = v;
        continue;
      }
      const key = RENAMES[t]?.[k] ?? k;
      if (entry && !(key in entry.schema.shape)) {
        unsupported.push(`${full}: not a property of ${t}`);
        continue;
      }
      out[key] = entry ? coerce(entry.schema.shape[key] as z.ZodType, key === "dataDir" ? firstDir(v, full, unsupported) : v) : v;
    }
    return out;
  };

  for (const name of list("sources")) {
    const raw = under(`sources.${name}`);
    const src = convert("sources", sourceTypes, name, raw, (k) => k === "channels" || k.startsWith("interceptors") || k.startsWith("selector."));
    src.channels = (raw.get("channels") ?? "").split(/\s+/).filter(Boolean);
    const interceptors = (raw.get("interceptors") ?? "").split(/\s+/).filter(Boolean).map((i) => {
      const ir = new Map<string, string>();
      for (const [k, v] of raw) if (k.startsWith(`interceptors.${i}.`)) ir.set(k.slice(`interceptors.${i}.`.length), v);
      return convert("sources", interceptorTypes as unknown as typeof sourceTypes, `${name}.interceptors.${i}`, ir, () => false);
    });
    if (interceptors.length > 0) src.interceptors = interceptors;
    const sel = new Map<string, string>();
    for (const [k, v] of raw) if (k.startsWith("selector.")) sel.set(k.slice("selector.".length), v);
    const split = (v: string) => v.split(/\s+/).filter(Boolean);
    const selType = (sel.get("type") ?? "replicating").toLowerCase();
    if (selType === "multiplexing") {
      const mapping: Record<string, string[]> = {};
      const optional: Record<string, string[]> = {};
      for (const [k, v] of sel) {
        if (k.startsWith("mapping.")) mapping[k.slice(8)] = split(v);
        else if (k.startsWith("optional.")) optional[k.slice(9)] = split(v);
        else if (k !== "type" && k !== "header" && k !== "default") unsupported.push(`${agent}.sources.${name}.selector.${k}: not a multiplexing selector property`);
      }
      src.selector = { type: "multiplexing", header: sel.get("header") ?? "flume.selector.header", mapping, optional, default: split(sel.get("default") ?? "") };
    } else if (selType === "replicating") {
      if (sel.size > 0) src.selector = { type: "replicating", optional: split(sel.get("optional") ?? "") };
    } else {
      unsupported.push(`${agent}.sources.${name}.selector.type = ${sel.get("type")}: only replicating and multiplexing selectors exist here`);
    }
    flow.sources[name] = src;
  }
  for (const name of list("channels")) flow.channels[name] = convert("channels", channelTypes as unknown as typeof sourceTypes, name, under(`channels.${name}`), () => false);
  for (const name of list("sinks")) {
    const raw = under(`sinks.${name}`);
    const sink = convert("sinks", sinkTypes as unknown as typeof sourceTypes, name, raw, (k) => k === "channel");
    sink.channel = raw.get("channel") ?? "";
    flow.sinks[name] = sink;
  }
  for (const g of list("sinkgroups")) unsupported.push(`${agent}.sinkgroups.${g}: sink groups (failover, load_balance) are not supported yet; each sink runs on its own`);
  for (const k of own.keys()) {
    const [kind, name] = k.split(".");
    const known = (kind === "sources" || kind === "channels" || kind === "sinks") && name !== undefined && list(kind).includes(name);
    if (!used.has(k) && !known && kind !== "sinkgroups") unsupported.push(`${agent}.${k}: not part of a declared source, channel or sink`);
  }
  return { flow, unsupported };
}

function firstDir(v: string, key: string, unsupported: string[]): string {
  const dirs = v.split(",").map((d) => d.trim()).filter(Boolean);
  if (dirs.length > 1) unsupported.push(`${key}: only the first directory (${dirs[0]}) is used`);
  return dirs[0] ?? "";
}

/** .properties values are strings; a number or boolean property gets the value its schema accepts. */
function coerce(field: z.ZodType, v: string): unknown {
  if (field.safeParse(v).success) return v;
  if (v.trim() !== "" && field.safeParse(Number(v)).success) return Number(v);
  if (v === "true" || v === "false") return v === "true";
  if (field.safeParse(v.split(/\s+/).filter(Boolean)).success) return v.split(/\s+/).filter(Boolean);
  return v;
}

/** Writes a flow as a Flume-style .properties file under `agent.`; our type names are used. */
export function exportFlumeProperties(flow: FlowConfig, agent: string): string {
  const lines: string[] = [];
  const put = (k: string, v: unknown) => lines.push(`${agent}.${k} = ${escapeValue(Array.isArray(v) ? v.join(" ") : String(v))}`);
  put("sources", Object.keys(flow.sources));
  put("channels", Object.keys(flow.channels));
  put("sinks", Object.keys(flow.sinks));
  for (const [n, s] of Object.entries(flow.sources)) {
    const { interceptors, selector, ...rest } = s;
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) put(`sources.${n}.${k}`, v);
    if (interceptors.length > 0) {
      const names = interceptors.map((_, i) => `i${i + 1}`);
      put(`sources.${n}.interceptors`, names);
      interceptors.forEach((ic, i) => {
        for (const [k, v] of Object.entries(ic)) if (v !== undefined) put(`sources.${n}.interceptors.${names[i]}.${k}`, v);
      });
    }
    put(`sources.${n}.selector.type`, selector.type);
    if (selector.type === "replicating") {
      if (selector.optional.length > 0) put(`sources.${n}.selector.optional`, selector.optional);
    } else {
      put(`sources.${n}.selector.header`, selector.header);
      for (const [v, cs] of Object.entries(selector.mapping)) put(`sources.${n}.selector.mapping.${v}`, cs);
      for (const [v, cs] of Object.entries(selector.optional)) put(`sources.${n}.selector.optional.${v}`, cs);
      if (selector.default.length > 0) put(`sources.${n}.selector.default`, selector.default);
    }
  }
  for (const [n, c] of Object.entries(flow.channels)) for (const [k, v] of Object.entries(c)) if (v !== undefined) put(`channels.${n}.${k}`, v);
  for (const [n, s] of Object.entries(flow.sinks)) for (const [k, v] of Object.entries(s)) if (v !== undefined) put(`sinks.${n}.${k}`, v);
  return `${lines.join("\n")}\n`;
}
