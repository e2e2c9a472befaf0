import { setTimeout as sleep } from "node:timers/promises";
import { TOPIC_CONFIGS } from "../broker/log/configs";
import { KafkaClientError, type KafkaClient, type NewTopic, type PartitionInfo } from "../kafka/client";
import { ConfigResourceType, ConfigSource, IsolationLevel, ListOffsetsTimestamp } from "../kafka/constants";
import { ErrorCode } from "../kafka/errors";
import type { SeriesSampler } from "../metrics/series";
import { partitionKey } from "../kafka/partition-key";

/** A topic or partition the cluster does not have. */
export class TopicNotFound extends Error {}

export interface TopicRow {
  name: string;
  internal: boolean;
  partitions: number;
  records: number;
  /** Bytes of one copy of the topic (each partition's leader replica); null when the cluster does not tell. */
  sizeBytes: number | null;
  recordsPerSec: number | null;
  bytesPerSec: number | null;
  /** Where the rates come from: the embedded broker's metrics, or the console's sampler (other clusters). */
  rateFrom: TopicRates["kind"];
  retentionMs: number | null;
  cleanupPolicy: string | null;
}

/** The key of a topic-partition in the maps these functions return. */

/** Offsets of many partitions at one timestamp (or EARLIEST / LATEST): one ListOffsets per leader. */
export async function offsetsAt(client: KafkaClient, partitions: { topic: string; partition: number }[], timestamp: number, isolationLevel: number = IsolationLevel.READ_COMMITTED): Promise<Map<string, number>> {
  const listed = await client.admin.listOffsets(partitions.map((p) => ({ ...p, timestamp })), isolationLevel);
  return new Map(listed.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
}

/** A topic's partitions in partition order; a topic the cluster lacks is the user's to fix. */
export async function partitionsOf(client: KafkaClient, topic: string): Promise<PartitionInfo[]> {
  const t = (await client.admin.metadata([topic])).topics.find((x) => x.name === topic);
  if (!t) throw new TopicNotFound(`Topic ${topic} does not exist on this cluster; pick one from the Topics page.`);
  return t.partitions.filter(Boolean);
}

/** Replica bytes by topic, partition and broker. */
export type ReplicaSizes = Map<string, Map<number, Map<number, number>>>;

/** Codes with which a cluster declines to say how large its logs are; the pages then show "–". */
const SIZES_WITHHELD = new Set<number>([ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.UNSUPPORTED_VERSION]);

/**
 * Bytes of every partition replica from DescribeLogDirs (every broker, the named topics or all),
 * which Apache Kafka, Redpanda and Tributary all answer; null when the cluster withholds them (the
 * console's user lacks Describe on the cluster).
 */
export async function replicaSizes(client: KafkaClient, topics: { topic: string; partitions: number[] }[] | null): Promise<ReplicaSizes | null> {
  let dirs;
  try {
    dirs = await client.admin.describeLogDirs(topics);
  } catch (err) {
    if (err instanceof KafkaClientError && SIZES_WITHHELD.has(err.code)) return null;
    throw err;
  }
  const out: ReplicaSizes = new Map();
  for (const d of dirs) {
    if (d.errorCode !== ErrorCode.NONE) continue; // an offline log directory holds no readable replica
    for (const p of d.partitions) {
      if (p.future) continue; // a copy being moved between directories is not the replica yet
      const byPartition = out.get(p.topic) ?? new Map<number, Map<number, number>>();
      const byNode = byPartition.get(p.partition) ?? new Map<number, number>();
      byNode.set(d.nodeId, (byNode.get(d.nodeId) ?? 0) + p.sizeBytes);
      byPartition.set(p.partition, byNode);
      out.set(p.topic, byPartition);
    }
  }
  return out;
}

/** A partition's size: its leader's replica, or the largest one while it has no leader. */
export function partitionSize(sizes: ReplicaSizes | null, topic: string, p: { partition: number; leader: number }): number | null {
  if (!sizes) return null;
  const byNode = sizes.get(topic)?.get(p.partition);
  if (!byNode) return null; // no broker reported a replica of it
  return byNode.get(p.leader) ?? Math.max(...byNode.values());
}

function lastRate(series: SeriesSampler, metric: string, topic: string): number {
  const pts = series.sum(metric, { topic });
  return pts.length ? pts[pts.length - 1].v : 0;
}

/** Rates for the topics list: the embedded broker's own metrics, or one read of log-end offsets to measure against the last. */
/**
 * Where the list's rates come from: the embedded broker's own counters, or the console's sampler
 * (log-end offsets every 10 s, as the dashboard charts them), undefined until it has two samples.
 */
export type TopicRates = { kind: "metrics"; series: SeriesSampler } | { kind: "sampled"; latest: ReadonlyMap<string, number> | undefined };

/**
 * Every topic with its partition count, record count (end − start over partitions), size,
 * retention and current rate (from the embedded broker's metrics, or the console's sampler for
 * any other cluster): one
 * Metadata, two ListOffsets per leader, one DescribeConfigs and one DescribeLogDirs per broker,
 * whatever the number of topics.
 */
export async function listTopics(client: KafkaClient, rates: TopicRates): Promise<TopicRow[]> {
  const topics = (await client.admin.metadata()).topics;
  if (topics.length === 0) return [];
  const positions = topics.flatMap((t) => t.partitions.filter(Boolean).map((p) => ({ topic: t.name, partition: p.partition })));
  const [starts, ends, configs, sizes] = await Promise.all([
    offsetsAt(client, positions, ListOffsetsTimestamp.EARLIEST),
    offsetsAt(client, positions, ListOffsetsTimestamp.LATEST),
    client.admin.describeConfigs(topics.map((t) => ({ type: ConfigResourceType.TOPIC, name: t.name, keys: ["retention.ms", "cleanup.policy"] }))),
    replicaSizes(client, null),
  ]);
  const cfg = new Map(configs.map((r) => [r.name, new Map(r.configs.map((e) => [e.name, e.value]))]));
  return topics
    .map((t) => {
      const parts = t.partitions.filter(Boolean);
      const records = parts.reduce((n, p) => n + Math.max(0, (ends.get(partitionKey(t.name, p.partition)) ?? 0) - (starts.get(partitionKey(t.name, p.partition)) ?? 0)), 0);
      const c = cfg.get(t.name);
      const retention = c?.get("retention.ms");
      return {
        name: t.name,
        internal: t.internal || t.name.startsWith("__"),
        partitions: parts.length,
        records,
        sizeBytes: sizes && parts.reduce((n, p) => n + (partitionSize(sizes, t.name, p) ?? 0), 0),
        recordsPerSec: rates.kind === "metrics" ? lastRate(rates.series, "tributary_broker_records_in_total", t.name) : (rates.latest?.get(t.name) ?? null),
        bytesPerSec: rates.kind === "metrics" ? lastRate(rates.series, "tributary_broker_bytes_in_total", t.name) : null,
        rateFrom: rates.kind,
        retentionMs: retention == null ? null : Number(retention),
        cleanupPolicy: c?.get("cleanup.policy") ?? null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Disk used per topic: every replica on every broker, largest first. */
export async function diskPerTopic(client: KafkaClient): Promise<{ topic: string; partitions: number; bytes: number }[] | null> {
  const sizes = await replicaSizes(client, null);
  if (!sizes) return null;
  const rows = [...sizes].map(([topic, byPartition]) => {
    let bytes = 0;
    for (const byNode of byPartition.values()) for (const b of byNode.values()) bytes += b;
    return { topic, partitions: byPartition.size, bytes };
  });
  return rows.sort((a, b) => b.bytes - a.bytes);
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

export async function topicConfigs(client: KafkaClient, topic: string): Promise<ConfigRow[]> {
  const [r] = await client.admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: topic }]);
  return (r?.configs ?? [])
    .map((e) => ({
      name: e.name,
      value: e.sensitive ? null : e.value,
      // A broker that does not say where a value comes from (DescribeConfigs v0) marks defaults only.
      override: e.source === ConfigSource.TOPIC_CONFIG || (e.source === ConfigSource.UNKNOWN && !e.isDefault),
      readOnly: e.readOnly,
      sensitive: e.sensitive,
      doc: TOPIC_CONFIGS[e.name]?.doc ?? null,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface PartitionRow {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  /** The high watermark: where a read_uncommitted consumer stops. */
  logEndOffset: number;
  /** The last stable offset: where read_committed consumers stop; below the high watermark while a transaction is open. */
  lastStableOffset: number;
  records: number;
  /** The leader replica's bytes; null when not asked for or the cluster does not tell. */
  sizeBytes: number | null;
}

/** A topic's partitions with their offsets, and with sizes when the page shows them (one DescribeLogDirs per broker). */
export async function topicPartitions(client: KafkaClient, topic: string, o: { sizes?: boolean } = {}): Promise<PartitionRow[]> {
  const parts = await partitionsOf(client, topic);
  const positions = parts.map((p) => ({ topic, partition: p.partition }));
  const [starts, ends, stable, sizes] = await Promise.all([
    offsetsAt(client, positions, ListOffsetsTimestamp.EARLIEST),
    offsetsAt(client, positions, ListOffsetsTimestamp.LATEST, IsolationLevel.READ_UNCOMMITTED),
    offsetsAt(client, positions, ListOffsetsTimestamp.LATEST, IsolationLevel.READ_COMMITTED),
    o.sizes ? replicaSizes(client, [{ topic, partitions: parts.map((p) => p.partition) }]) : null,
  ]);
  return parts.map((p) => {
    const start = starts.get(partitionKey(topic, p.partition)) ?? 0;
    const end = ends.get(partitionKey(topic, p.partition)) ?? 0;
    const lso = stable.get(partitionKey(topic, p.partition)) ?? end;
    return { partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, logStartOffset: start, logEndOffset: end, lastStableOffset: lso, records: Math.max(0, end - start), sizeBytes: partitionSize(sizes, topic, p) };
  });
}

/** Creates a topic and waits briefly for its leaders, so the page it opens next finds it whole. */
export async function createTopic(client: KafkaClient, topic: Required<NewTopic>, validateOnly: boolean): Promise<void> {
  await client.admin.createTopics([topic], { validateOnly });
  if (validateOnly) return;
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const t = (await client.admin.metadata([topic.name])).topics[0];
    if (t && t.partitions.length === topic.numPartitions && t.partitions.every((p) => p.leader >= 0)) return;
    await sleep(100);
  }
  // The topic exists; a cluster slow to elect leaders shows them on the topic page once it has.
}

export interface GroupReading {
  groupId: string;
  state: string;
  members: number;
  lag: number;
  /** Every partition of the topic; committed is null where the group never committed. */
  partitions: { partition: number; committed: number | null; lag: number }[];
}

/** The largest number of groups whose offsets the topic page asks for; more are listed as a note. */
export const MAX_GROUPS_SCANNED = 200;

/**
 * Groups with committed offsets on the topic and their lag, clamped at the log start so records
 * removed by retention never show as lag.
 */
export async function groupsReading(client: KafkaClient, topic: string, partitions: PartitionRow[]): Promise<{ groups: GroupReading[]; truncated: boolean }> {
  const listed = await client.admin.listGroups();
  const ids = listed.map((g) => g.groupId).slice(0, MAX_GROUPS_SCANNED);
  const byPartition = new Map(partitions.map((p) => [p.partition, p]));
  const asked = [{ topic, partitions: partitions.map((p) => p.partition) }];
  const offsets = await Promise.all(ids.map(async (groupId) => ({ groupId, committed: await client.admin.fetchOffsets(groupId, asked) })));
  const reading = offsets.filter((o) => o.committed.length > 0);
  const described = reading.length ? await client.admin.describeGroups(reading.map((r) => r.groupId)) : [];
  const info = new Map(described.map((g) => [g.groupId, g]));
  return {
    truncated: listed.length > ids.length,
    groups: reading.map((r) => {
      // Every partition: one the group never committed on lags by all its records, as on the group's page.
      const committed = new Map(r.committed.map((c) => [c.partition, c.offset]));
      const ps = [...byPartition.values()].map((part) => {
        const c = committed.get(part.partition) ?? null;
        return { partition: part.partition, committed: c, lag: Math.max(0, part.logEndOffset - Math.max(c ?? part.logStartOffset, part.logStartOffset)) };
      });
      const g = info.get(r.groupId);
      return { groupId: r.groupId, state: g?.state ?? "Unknown", members: g?.members.length ?? 0, lag: ps.reduce((n, p) => n + p.lag, 0), partitions: ps };
    }),
  };
}

/** Current topic-level overrides: what a config edit starts from and what the audit's "before" shows. */
export function overridesOf(rows: ConfigRow[]): Record<string, string> {
  return Object.fromEntries(rows.filter((r) => r.override && r.value !== null).map((r) => [r.name, r.value as string]));
}
