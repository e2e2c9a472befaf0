import { ErrorCode, KafkaError } from "../../kafka/errors";

/**
 * Topic-level configs with Kafka's names, defaults and value rules. One difference on purpose:
 * flush.messages defaults to 1, i.e. a produce is acknowledged only after fsync (group-committed),
 * because on a single node there is no replica to keep an acknowledged record alive.
 */
export type ConfigKind = "long" | "int" | "double" | "boolean" | "string";

interface ConfigDef {
  kind: ConfigKind;
  default: string;
  min?: number;
  max?: number;
  oneOf?: string[];
  /** The value must be a Kafka version (message.format.version). */
  kafkaVersion?: boolean;
  doc: string;
}

/** Kafka's MetadataVersion spellings, e.g. 0.10.2, 2.8-IV1, 3.0. */
const KAFKA_VERSION = /^\d+\.\d+(\.\d+)?(-IV\d+)?$/;
const IGNORED = "Ignored: accepted because Kafka 3.x accepts it,";

const LONG_MAX = "9223372036854775807";

/** No prototype: a client's config name "constructor" or "toString" is unknown, not Object's own. */
export const TOPIC_CONFIGS: Readonly<Record<string, ConfigDef>> = Object.assign(Object.create(null) as Record<string, ConfigDef>, {
  "cleanup.policy": { kind: "string", default: "delete", oneOf: ["delete", "compact", "compact,delete", "delete,compact"], doc: "delete old segments, keep the latest record per key (compact), or both" },
  "retention.ms": { kind: "long", default: "604800000", min: -1, doc: "delete segments whose newest record is older than this; -1 keeps forever" },
  "retention.bytes": { kind: "long", default: "-1", min: -1, doc: "delete the oldest segments while a partition is larger than this; -1 means no limit" },
  "segment.bytes": { kind: "int", default: "1073741824", min: 14, doc: "roll to a new segment file at this size" },
  "segment.ms": { kind: "long", default: "604800000", min: 1, doc: "roll to a new segment after this long even if it is not full" },
  "segment.index.bytes": { kind: "int", default: "10485760", min: 4, doc: "maximum size of a segment's offset index" },
  "index.interval.bytes": { kind: "int", default: "4096", min: 0, doc: "bytes of log between two offset index entries" },
  "max.message.bytes": { kind: "int", default: "1048588", min: 0, doc: "largest record batch a producer may send" },
  "message.timestamp.type": { kind: "string", default: "CreateTime", oneOf: ["CreateTime", "LogAppendTime"], doc: "keep the producer's timestamps or stamp batches with the broker's time" },
  "message.timestamp.difference.max.ms": { kind: "long", default: LONG_MAX, min: 0, doc: "reject CreateTime timestamps this far from the broker's clock" },
  "flush.messages": { kind: "long", default: "1", min: 1, doc: "fsync after this many records; 1 (the default here) acknowledges only durable writes" },
  "flush.ms": { kind: "long", default: LONG_MAX, min: 0, doc: "fsync at least this often" },
  "delete.retention.ms": { kind: "long", default: "86400000", min: 0, doc: "how long a compacted topic keeps tombstones, counted from the tombstone's timestamp" },
  "min.cleanable.dirty.ratio": { kind: "double", default: "0.5", min: 0, max: 1, doc: "compact once this share of the log is uncompacted" },
  "min.compaction.lag.ms": { kind: "long", default: "0", min: 0, doc: "records younger than this are not compacted" },
  "max.compaction.lag.ms": { kind: "long", default: LONG_MAX, min: 1, doc: "compact records at the latest after this long" },
  "compression.type": { kind: "string", default: "producer", oneOf: ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"], doc: "stored as the producer sent it (producer); other values are accepted for compatibility" },
  "min.insync.replicas": { kind: "int", default: "1", min: 1, doc: "in-sync replicas an acks=all write needs (a cluster); a single node is always its own 1" },
  "unclean.leader.election.enable": { kind: "boolean", default: "false", doc: "no effect on a single node" },
  "file.delete.delay.ms": { kind: "long", default: "60000", min: 0, doc: "accepted for compatibility; files are deleted at once" },
  "preallocate": { kind: "boolean", default: "false", doc: "accepted for compatibility" },
  "segment.jitter.ms": { kind: "long", default: "0", min: 0, doc: "accepted for compatibility" },
  "message.downconversion.enable": { kind: "boolean", default: "true", doc: "accepted for compatibility; only magic 2 is served" },
  "message.format.version": { kind: "string", default: "3.0-IV1", kafkaVersion: true, doc: `${IGNORED} deprecated since Kafka 3.0; batches are stored in format v2 as sent` },
  "message.timestamp.before.max.ms": { kind: "long", default: LONG_MAX, min: 0, doc: `${IGNORED} not enforced here` },
  "message.timestamp.after.max.ms": { kind: "long", default: LONG_MAX, min: 0, doc: `${IGNORED} not enforced here` },
  "compression.gzip.level": { kind: "int", default: "-1", min: -1, max: 9, doc: `${IGNORED} batches are stored as the producer compressed them` },
  "compression.lz4.level": { kind: "int", default: "9", min: 1, max: 17, doc: `${IGNORED} batches are stored as the producer compressed them` },
  "compression.zstd.level": { kind: "int", default: "3", min: -131072, max: 22, doc: `${IGNORED} batches are stored as the producer compressed them` },
  "leader.replication.throttled.replicas": { kind: "string", default: "", doc: `${IGNORED} a single node replicates nothing` },
  "follower.replication.throttled.replicas": { kind: "string", default: "", doc: `${IGNORED} a single node replicates nothing` },
  "remote.storage.enable": { kind: "boolean", default: "false", doc: `${IGNORED} tiered storage is not available` },
  "remote.log.copy.disable": { kind: "boolean", default: "false", doc: `${IGNORED} tiered storage is not available` },
  "remote.log.delete.on.disable": { kind: "boolean", default: "false", doc: `${IGNORED} tiered storage is not available` },
  "local.retention.ms": { kind: "long", default: "-2", min: -2, doc: `${IGNORED} tiered storage is not available (retention.ms applies)` },
  "local.retention.bytes": { kind: "long", default: "-2", min: -2, doc: `${IGNORED} tiered storage is not available (retention.bytes applies)` },
});

export type TopicConfigs = Record<string, string>;

function checkValue(name: string, value: string): string {
  const def = TOPIC_CONFIGS[name];
  if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
  const bad = (why: string) => new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${why}`);
  const v = value.trim();
  switch (def.kind) {
    case "long":
    case "int": {
      if (!/^-?\d+$/.test(v)) throw bad("not a number");
      const n = Number(v);
      if (def.kind === "int" && (n > 2147483647 || n < -2147483648)) throw bad("out of int range");
      if (def.min !== undefined && n < def.min) throw bad(`Value must be at least ${def.min}`);
      if (def.max !== undefined && n > def.max) throw bad(`Value must be no more than ${def.max}`);
      return v;
    }
    case "double": {
      const n = Number(v);
      if (v === "" || Number.isNaN(n)) throw bad("not a number");
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) throw bad(`Value must be in [${def.min}, ${def.max}]`);
      return v;
    }
    case "boolean":
      if (!/^(true|false)$/i.test(v)) throw bad("Expected value to be either true or false");
      return v.toLowerCase();
    case "string":
      if (def.oneOf && !def.oneOf.includes(v)) throw bad(`String must be one of: ${def.oneOf.join(", ")}`);
      if (def.kafkaVersion && !KAFKA_VERSION.test(v)) throw bad("not a Kafka version such as 2.8 or 3.0-IV1");
      return v;
  }
}

/** Validates overrides as Kafka does (unknown names and bad values → INVALID_CONFIG); returns them normalised. */
export function validateConfigs(configs: Record<string, string | null | undefined>): TopicConfigs {
  const out: TopicConfigs = {};
  for (const [name, value] of Object.entries(configs)) {
    if (value == null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic config ${name}`);
    out[name] = checkValue(name, value);
  }
  return out;
}

/** The effective value of every config: the override if there is one, else the broker default. */
export function effectiveConfigs(overrides: TopicConfigs, brokerDefaults: TopicConfigs = {}): TopicConfigs {
  const out: TopicConfigs = {};
  for (const [name, def] of Object.entries(TOPIC_CONFIGS)) out[name] = overrides[name] ?? brokerDefaults[name] ?? def.default;
  return out;
}

/** The numbers the log needs, parsed once per config change rather than per append. */
export interface LogSettings {
  segmentBytes: number;
  segmentMs: number;
  indexIntervalBytes: number;
  maxMessageBytes: number;
  logAppendTime: boolean;
  flushMessages: number;
  flushMs: number;
  retentionMs: number;
  retentionBytes: number;
  compact: boolean;
  deleteOld: boolean;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  /** In a cluster: in-sync replicas an acks=all write needs. */
  minInsyncReplicas: number;
}

export function logSettings(c: TopicConfigs): LogSettings {
  const policy = c["cleanup.policy"];
  const num = (k: string) => Math.min(Number(c[k]), Number.MAX_SAFE_INTEGER);
  return {
    segmentBytes: num("segment.bytes"),
    segmentMs: num("segment.ms"),
    indexIntervalBytes: num("index.interval.bytes"),
    maxMessageBytes: num("max.message.bytes"),
    logAppendTime: c["message.timestamp.type"] === "LogAppendTime",
    flushMessages: num("flush.messages"),
    flushMs: num("flush.ms"),
    retentionMs: num("retention.ms"),
    retentionBytes: num("retention.bytes"),
    compact: policy.includes("compact"),
    deleteOld: policy.includes("delete"),
    deleteRetentionMs: num("delete.retention.ms"),
    minCleanableDirtyRatio: Number(c["min.cleanable.dirty.ratio"]),
    minCompactionLagMs: num("min.compaction.lag.ms"),
    maxCompactionLagMs: num("max.compaction.lag.ms"),
    minInsyncReplicas: num("min.insync.replicas"),
  };
}

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules. */
export function validateTopicName(name: string): void {
  const bad = (why: string) => new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Invalid topic name "${name}": ${why}`);
  if (!name) throw bad("it is empty");
  if (name === "." || name === "..") throw bad('"." and ".." are not allowed');
  if (name.length > 249) throw bad("longer than 249 characters");
  if (!LEGAL.test(name)) throw bad("use only ASCII letters, digits, '.', '_' and '-'");
}
