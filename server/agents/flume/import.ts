import { z } from "zod";
import { KAFKA_SECURITY_PROPERTIES } from "../kafka-security";
import { channelTypes, interceptorTypes, lookup, sinkTypes, sourceTypes } from "../registry";
import { InvalidInputError } from "../../invalid-input";
import { parseProperties } from "./properties";

export interface FlumeImport {
  /** A flow for parseFlow; components of unknown types are kept so validation names them. */
  flow: {
    name: string;
    sources: Record<string, Record<string, unknown>>;
    channels: Record<string, Record<string, unknown>>;
    sinks: Record<string, Record<string, unknown>>;
    sinkgroups: Record<string, { sinks: string[]; processor: Record<string, unknown> }>;
  };
  /** Every key that was not carried over, with the reason. */
  unsupported: string[];
}

/** Kafka's assignor class names (or our names), comma-separated, as the topic source's assignmentStrategy. */
function assignors(v: string): string[] {
  const byClass: Record<string, string> = { CooperativeStickyAssignor: "cooperative-sticky", RangeAssignor: "range" };
  return v.split(",").map((s) => s.trim()).filter(Boolean).map((s) => byClass[s.slice(s.lastIndexOf(".") + 1)] ?? s);
}

/**
 * Flume property names that mean one of ours under another name, per component type (sources and
 * sinks share a type name only for topic, whose source and sink names do not overlap). A function
 * also converts the value.
 */
const RENAMES: Record<string, Record<string, string | { to: string; value: (v: string) => unknown }>> = {
  file: { dataDirs: "dataDir" },
  topic: {
    // KafkaSink
    "kafka.bootstrap.servers": "bootstrapServers",
    brokerList: "bootstrapServers",
    "kafka.topic": "topic",
    "kafka.flumeBatchSize": "batchSize",
    "kafka.producer.acks": "acks",
    requiredAcks: "acks",
    "kafka.producer.client.id": "clientId",
    "kafka.producer.batch.size": "batchBytes",
    "kafka.producer.max.request.size": "maxRequestBytes",
    "kafka.producer.compression.type": "compression",
    "kafka.producer.transactional.id": "transactionalId",
    "kafka.producer.transaction.timeout.ms": "transactionTimeoutMs",
    partitionIdHeader: "partitionHeader",
    // KafkaSource
    "kafka.topics": { to: "topics", value: (v) => v.split(",").map((t) => t.trim()).filter(Boolean) },
    "kafka.consumer.group.id": "groupId",
    "kafka.consumer.client.id": "clientId",
    "kafka.consumer.session.timeout.ms": "sessionTimeoutMs",
    "kafka.consumer.auto.offset.reset": { to: "fromBeginning", value: (v) => v.trim() === "earliest" },
    "kafka.consumer.partition.assignment.strategy": { to: "assignmentStrategy", value: assignors },
    // Both sides' security, under Kafka's own names.
    ...Object.fromEntries(Object.entries(KAFKA_SECURITY_PROPERTIES).flatMap(([kafka, ours]) => [[`kafka.producer.${kafka}`, ours], [`kafka.consumer.${kafka}`, ours]])),
  },
  spooldir: { deserializer: { to: "deserializer", value: (v) => v.trim().toLowerCase() } },
  file_roll: { "sink.directory": "directory", "sink.rollInterval": "rollInterval", "sink.batchSize": "batchSize", "sink.serializer": { to: "format", value: (v) => v.trim().toLowerCase() } },
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
  topic: {
    batchDurationMillis: "a batch is put as soon as the brokers return it",
    "kafka.producer.linger.ms": "batches are sent when the sink takes them",
    useFlumeEventFormat: "headers travel as Kafka record headers",
  },
  http: {
    handler: "JSON arrays (Flume's JSONHandler), NDJSON and text lines are all accepted, chosen by Content-Type",
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
  if (own.size === 0) throw new InvalidInputError(`no properties for agent "${agent}" (expected keys starting with "${prefix}"); check --name`);
  const list = (k: string) => (own.get(k) ?? "").split(/\s+/).filter(Boolean);
  const used = new Set<string>(["sources", "channels", "sinks", "sinkgroups"]);
  const under = (base: string) => {
    const out = new Map<string, string>();
    for (const [k, v] of own) if (k.startsWith(`${base}.`)) out.set(k.slice(base.length + 1), v);
    return out;
  };
  const flow: FlumeImport["flow"] = { name: agent, sources: {}, channels: {}, sinks: {}, sinkgroups: {} };

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
      // Flume's regex_extractor names its groups' headers through serializers: `serializers = s1 s2`, `serializers.s1.name = h1`.
      if (t === "regex_extractor" && k.startsWith("serializers")) {
        if (k === "serializers") out.headers = v.split(/\s+/).filter(Boolean).map((sname) => raw.get(`serializers.${sname}.name`) ?? "");
        else if (!k.endsWith(".name")) unsupported.push(`${full}: ignored (header values are kept as matched)`);
        continue;
      }
      const rename = RENAMES[t]?.[k];
      const key = typeof rename === "string" ? rename : rename?.to ?? k;
      // A map property (taildir's filegroups, http's headers) is written as `prop.name = value`; a bare `prop` lists the names, as Flume does.
      const dot = key.indexOf(".");
      const mapField = entry && dot > 0 && !(key in entry.schema.shape) ? key.slice(0, dot) : key;
      if (entry && mapField in entry.schema.shape && isRecord(entry.schema.shape[mapField] as z.ZodType)) {
        if (mapField !== key) ((out[mapField] ??= {}) as Record<string, string>)[key.slice(dot + 1)] = v;
        continue;
      }
      if (entry && !(key in entry.schema.shape)) {
        unsupported.push(`${full}: not a property of ${t}`);
        continue;
      }
      if (typeof rename === "object") out[key] = rename.value(v);
      else out[key] = entry ? coerce(entry.schema.shape[key] as z.ZodType, key === "dataDir" ? firstDir(v, full, unsupported) : v) : v;
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
  for (const g of list("sinkgroups")) {
    const raw = under(`sinkgroups.${g}`);
    const sinks = (raw.get("sinks") ?? "").split(/\s+/).filter(Boolean);
    const type = PROCESSORS[(raw.get("processor.type") ?? "default").toLowerCase()];
    const processor: Record<string, unknown> = { type: type ?? raw.get("processor.type") };
    if (!type) unsupported.push(`${agent}.sinkgroups.${g}.processor.type = ${raw.get("processor.type")}: only default, failover and load_balance processors exist here`);
    for (const [k, v] of raw) {
      if (k === "sinks" || k === "processor.type") continue;
      const full = `${agent}.sinkgroups.${g}.${k}`;
      if (type === "failover" && k.startsWith("processor.priority.")) ((processor.priority ??= {}) as Record<string, number>)[k.slice("processor.priority.".length)] = Number(v);
      else if (type === "failover" && k === "processor.maxpenalty") processor.maxpenalty = Number(v);
      else if (type === "load_balance" && k === "processor.backoff") processor.backoff = v.trim() === "true";
      else if (type === "load_balance" && k === "processor.selector.maxTimeOut") processor["selector.maxTimeOut"] = Number(v);
      else if (type === "load_balance" && k === "processor.selector") {
        if (v === "round_robin" || v === "random") processor.selector = v;
        else unsupported.push(`${full} = ${v}: only round_robin and random selectors exist here`);
      } else unsupported.push(`${full}: not a property of the ${type ?? "unknown"} sink processor`);
    }
    flow.sinkgroups[g] = { sinks, processor };
  }
  for (const k of own.keys()) {
    const [kind, name] = k.split(".");
    const known = (kind === "sources" || kind === "channels" || kind === "sinks" || kind === "sinkgroups") && name !== undefined && list(kind).includes(name);
    if (!used.has(k) && !known) unsupported.push(`${agent}.${k}: not part of a declared source, channel, sink or sink group`);
  }
  return { flow, unsupported };
}

/** Flume's processor aliases and class names. */
const PROCESSORS: Record<string, "default" | "failover" | "load_balance"> = {
  default: "default",
  failover: "failover",
  load_balance: "load_balance",
  "org.apache.flume.sink.defaultsinkprocessor": "default",
  "org.apache.flume.sink.failoversinkprocessor": "failover",
  "org.apache.flume.sink.loadbalancingsinkprocessor": "load_balance",
};

/** Whether a (possibly defaulted or optional) schema field is a string map. */
function isRecord(field: z.ZodType): boolean {
  let f: z.ZodType = field;
  while (f instanceof z.ZodDefault || f instanceof z.ZodOptional) f = f.unwrap() as z.ZodType;
  return f instanceof z.ZodRecord;
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
