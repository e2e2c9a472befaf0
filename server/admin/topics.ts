import kafkajs, { type Admin } from "kafkajs";
import type { Broker } from "../broker/broker";
import { TOPIC_CONFIGS } from "../broker/log/configs";
import type { SeriesSampler } from "../metrics/series";
import { EARLIEST, LATEST, type KafkaRequests } from "./kafka-requests";

// kafkajs is CommonJS with a spread in its exports, which Node's ESM loader cannot see into.
const { ConfigResourceTypes, ConfigSource } = kafkajs;


/**
 * Facts only the embedded broker can give (disk use, per-second rates): present when the cluster
 * being viewed is the broker running in this process, absent for external clusters.
 */
export interface EmbeddedFacts {
  broker: Broker;
  series?: SeriesSampler;
}

export interface TopicRow {
  name: string;
  internal: boolean;
  partitions: number;
  records: number;
  sizeBytes: number | null;
  recordsPerSec: number | null;
  bytesPerSec: number | null;
  retentionMs: number | null;
  cleanupPolicy: string | null;
}

function lastRate(series: SeriesSampler | undefined, metric: string, topic: string): number | null {
  if (!series) return null;
  const pts = series.sum(metric, { topic });
  return pts.length ? pts[pts.length - 1].v : 0;
}

function sizeOf(facts: EmbeddedFacts | undefined, topic: string): number | null {
  if (!facts) return null;
  const logs = facts.broker.logs;
  if (!logs.topic(topic)) return null;
  return logs.partitions(topic).reduce((n, p) => n + p.sizeBytes, 0);
}

/**
 * Every topic with its partition count, record count (end − start over partitions), retention and,
 * on the embedded broker, size and current rate: one Metadata, two ListOffsets per leader and one
 * DescribeConfigs, whatever the number of topics.
 */
export async function listTopics(admin: Admin, requests: KafkaRequests, facts: EmbeddedFacts | undefined): Promise<TopicRow[]> {
  const md = await requests.metadata();
  const topics = md.topicMetadata.filter((t) => t.topicErrorCode === 0);
  if (topics.length === 0) return [];
  const leaders = new Map<string, number>();
  for (const t of topics) for (const p of t.partitionMetadata) leaders.set(`${t.topic}:${p.partitionId}`, p.leader);
  const query = topics.map((t) => ({ topic: t.topic, partitions: t.partitionMetadata.map((p) => p.partitionId) }));
  const [starts, ends, configs] = await Promise.all([
    requests.listOffsets(query, EARLIEST, leaders),
    requests.listOffsets(query, LATEST, leaders),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic, configNames: ["retention.ms", "cleanup.policy"] })),
    }),
  ]);
  const cfg = new Map(configs.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
  return topics
    .map((t) => {
      let records = 0;
      for (const p of t.partitionMetadata) {
        const k = `${t.topic}:${p.partitionId}`;
        records += Math.max(0, (ends.get(k) ?? 0) - (starts.get(k) ?? 0));
      }
      const c = cfg.get(t.topic);
      const retention = c?.get("retention.ms");
      return {
        name: t.topic,
        internal: Boolean(t.isInternal) || t.topic.startsWith("__"),
        partitions: t.partitionMetadata.length,
        records,
        sizeBytes: sizeOf(facts, t.topic),
        recordsPerSec: facts ? lastRate(facts.series, "tributary_broker_records_in_total", t.topic) : null,
        bytesPerSec: facts ? lastRate(facts.series, "tributary_broker_bytes_in_total", t.topic) : null,
        retentionMs: retention === undefined ? null : Number(retention),
        cleanupPolicy: c?.get("cleanup.policy") ?? null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface ConfigRow {
  name: string;
  value: string | null;
  /** Set on this topic rather than inherited from the broker's defaults. */
  override: boolean;
  readOnly: boolean;
  sensitive: boolean;
  doc: string | null;
}

export async function topicConfigs(admin: Admin, topic: string): Promise<ConfigRow[]> {
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  const r = res.resources[0];
  if (!r) return [];
  if (r.errorCode) throw new Error(`${r.errorMessage || "describing configs failed"} (topic ${topic})`);
  return r.configEntries
    .map((e) => ({
      name: e.configName,
      value: e.isSensitive ? null : e.configValue,
      override: e.configSource === ConfigSource.TOPIC_CONFIG || (e.configSource === undefined && !e.isDefault),
      readOnly: e.readOnly,
      sensitive: e.isSensitive,
      doc: TOPIC_CONFIGS[e.configName]?.doc ?? null,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface PartitionRow {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  logEndOffset: number;
  records: number;
  sizeBytes: number | null;
}

export async function topicPartitions(requests: KafkaRequests, topic: string, facts: EmbeddedFacts | undefined): Promise<PartitionRow[]> {
  const parts = await requests.partitions(topic);
  const leaders = new Map(parts.map((p) => [`${topic}:${p.partition}`, p.leader]));
  const q = [{ topic, partitions: parts.map((p) => p.partition) }];
  const [starts, ends] = await Promise.all([requests.listOffsets(q, EARLIEST, leaders), requests.listOffsets(q, LATEST, leaders)]);
  const logs = facts?.broker.logs.topic(topic) ? facts.broker.logs.partitions(topic) : undefined;
  return parts.map((p) => {
    const start = starts.get(`${topic}:${p.partition}`) ?? 0;
    const end = ends.get(`${topic}:${p.partition}`) ?? 0;
    return { ...p, logStartOffset: start, logEndOffset: end, records: Math.max(0, end - start), sizeBytes: logs?.[p.partition]?.sizeBytes ?? null };
  });
}

export interface GroupReading {
  groupId: string;
  state: string;
  members: number;
  lag: number;
  partitions: { partition: number; committed: number; lag: number }[];
}

/** The largest number of groups whose offsets the topic page asks for; more are listed as a note. */
export const MAX_GROUPS_SCANNED = 200;

/**
 * Groups with committed offsets on the topic and their lag, clamped at the log start so records
 * removed by retention never show as lag.
 */
export async function groupsReading(admin: Admin, topic: string, partitions: PartitionRow[]): Promise<{ groups: GroupReading[]; truncated: boolean }> {
  const { groups } = await admin.listGroups();
  const ids = groups.map((g) => g.groupId).slice(0, MAX_GROUPS_SCANNED);
  const byPartition = new Map(partitions.map((p) => [p.partition, p]));
  const offsets = await Promise.all(ids.map(async (groupId) => ({ groupId, topics: await admin.fetchOffsets({ groupId, topics: [topic] }) })));
  const reading = offsets.filter((o) => o.topics.some((t) => t.partitions.some((p) => Number(p.offset) >= 0)));
  const described = reading.length ? await admin.describeGroups(reading.map((r) => r.groupId)) : { groups: [] };
  const info = new Map(described.groups.map((g) => [g.groupId, g]));
  return {
    truncated: groups.length > ids.length,
    groups: reading.map((r) => {
      const ps = r.topics
        .flatMap((t) => t.partitions)
        .filter((p) => Number(p.offset) >= 0)
        .map((p) => {
          const part = byPartition.get(p.partition);
          const committed = Number(p.offset);
          const lag = part ? Math.max(0, part.logEndOffset - Math.max(committed, part.logStartOffset)) : 0;
          return { partition: p.partition, committed, lag };
        });
      const g = info.get(r.groupId);
      return { groupId: r.groupId, state: g?.state ?? "Unknown", members: g?.members.length ?? 0, lag: ps.reduce((n, p) => n + p.lag, 0), partitions: ps };
    }),
  };
}

export interface ThroughputPoint {
  t: number;
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** The last 15 minutes of a topic's per-second rates, from the embedded broker's metrics. */
export function topicThroughput(series: SeriesSampler | undefined, topic: string, since: number): ThroughputPoint[] | null {
  if (!series) return null;
  const get = (m: string) => series.sum(`tributary_broker_${m}_total`, { topic }, since);
  const rin = get("records_in");
  const rout = new Map(get("records_out").map((p) => [p.t, p.v]));
  const bin = new Map(get("bytes_in").map((p) => [p.t, p.v]));
  const bout = new Map(get("bytes_out").map((p) => [p.t, p.v]));
  return rin.map((p) => ({ t: p.t, recordsIn: p.v, recordsOut: rout.get(p.t) ?? 0, bytesIn: bin.get(p.t) ?? 0, bytesOut: bout.get(p.t) ?? 0 }));
}

/** Current topic-level overrides: what a config edit starts from and what the audit's "before" shows. */
export function overridesOf(rows: ConfigRow[]): Record<string, string> {
  return Object.fromEntries(rows.filter((r) => r.override && r.value !== null).map((r) => [r.name, r.value as string]));
}
