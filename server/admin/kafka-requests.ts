import type { KafkaConfig } from "kafkajs";
import Cluster, { type WireMetadata, type WireRecord } from "kafkajs/src/cluster/index.js";
import loggers from "kafkajs/src/loggers/index.js";
import socketFactory from "kafkajs/src/network/socketFactory.js";
import Decoder from "kafkajs/src/protocol/decoder.js";
import Encoder from "kafkajs/src/protocol/encoder.js";
import kafkaErrors from "kafkajs/src/protocol/error.js";

/** ListOffsets' special timestamps. */
export const EARLIEST = -2;
export const LATEST = -1;

export interface PartitionMeta {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface FetchedPartition {
  partition: number;
  highWatermark: number;
  records: WireRecord[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** A topic or partition the cluster does not have, or one without a leader. */
export class KafkaRequestError extends Error {}

const OFFSET_FETCH = 9;
const OFFSET_DELETE = 47;

function throwIf(code: number, what: string): void {
  if (code !== 0) {
    const err = kafkaErrors.createErrorFromCode(code);
    err.message = `${what}: ${err.message}`;
    throw err;
  }
}

/**
 * The Kafka requests the console needs beyond kafkajs's Admin, over one kafkajs Cluster per
 * cluster (kept by ClusterConnections):
 * - Fetch from any offset without joining a consumer group, ListOffsets and Metadata for many
 *   partitions in one request per leader (topic sizes, the message browser);
 * - OffsetFetch for every topic of a group (the admin asks only for topics it is told about);
 * - OffsetCommit outside any generation, as Kafka's AdminClient alterConsumerGroupOffsets sends it
 *   (the admin's setOffsets joins the group with a throwaway consumer instead);
 * - OffsetDelete (kafka-consumer-groups --delete-offsets).
 * Built on kafkajs's own Cluster, Broker and protocol encoder, so connections, SASL, TLS and error
 * types behave exactly as for the admin client.
 */
export class KafkaRequests {
  private readonly cluster: Cluster;
  private connecting: Promise<void> | undefined;

  constructor(config: KafkaConfig) {
    this.cluster = new Cluster({
      logger: loggers.createLogger({ level: config.logLevel ?? 1, logCreator: config.logCreator }),
      socketFactory: socketFactory(),
      brokers: config.brokers,
      ssl: config.ssl,
      sasl: config.sasl,
      clientId: config.clientId,
      connectionTimeout: config.connectionTimeout,
      requestTimeout: config.requestTimeout,
      enforceRequestTimeout: true,
      retry: config.retry,
      // Reading metadata or a group's offsets must never create a topic.
      allowAutoTopicCreation: false,
      isolationLevel: 1,
    });
  }

  /** Connects on first use; a failed connect is forgotten, so the next request tries again. */
  private connected(): Promise<void> {
    this.connecting ??= this.cluster.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  /** Metadata of the given topics, or of all topics when none are named. */
  async metadata(topics: string[] = []): Promise<WireMetadata> {
    await this.connected();
    return this.cluster.metadata({ topics });
  }

  async partitions(topic: string): Promise<PartitionMeta[]> {
    const md = await this.metadata([topic]);
    const t = md.topicMetadata.find((x) => x.topic === topic);
    if (!t || t.topicErrorCode !== 0) throw new KafkaRequestError(`topic ${topic} does not exist on this cluster; pick one from the Topics page`);
    return t.partitionMetadata
      .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
      .sort((a, b) => a.partition - b.partition);
  }

  /**
   * Offsets for a timestamp (or EARLIEST/LATEST) of every listed partition: one ListOffsets per
   * leader. A timestamp past the last record gives -1, as in Kafka; callers map that to the end.
   */
  async listOffsets(
    query: { topic: string; partitions: number[] }[],
    timestamp: number,
    leaders?: Map<string, number>,
  ): Promise<Map<string, number>> {
    await this.connected();
    const byLeader = leaders ?? (await this.leaders(query.map((q) => q.topic)));
    const perNode = new Map<number, Map<string, number[]>>();
    for (const q of query) {
      for (const p of q.partitions) {
        const node = byLeader.get(`${q.topic}:${p}`);
        if (node === undefined) throw new KafkaRequestError(`partition ${p} of ${q.topic} has no leader; check the cluster's health`);
        let topics = perNode.get(node);
        if (!topics) perNode.set(node, (topics = new Map()));
        topics.set(q.topic, [...(topics.get(q.topic) ?? []), p]);
      }
    }
    const out = new Map<string, number>();
    await Promise.all(
      [...perNode].map(async ([node, topics]) => {
        const broker = await this.cluster.findBroker({ nodeId: node });
        const res = await broker.listOffsets({
          isolationLevel: 1,
          topics: [...topics].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp: String(timestamp) })) })),
        });
        for (const t of res.responses) for (const p of t.partitions) out.set(`${t.topic}:${p.partition}`, Number(p.offset));
      }),
    );
    return out;
  }

  /** topic:partition → leader node id, for the named topics. */
  async leaders(topics: string[]): Promise<Map<string, number>> {
    const md = await this.metadata(topics);
    const out = new Map<string, number>();
    for (const t of md.topicMetadata) for (const p of t.partitionMetadata) out.set(`${t.topic}:${p.partitionId}`, p.leader);
    return out;
  }

  /**
   * One Fetch round over the given partitions of a topic, without waiting for new data unless
   * `maxWaitMs` says so. Records before a partition's requested offset (the start of a batch) and
   * control records are dropped here.
   */
  async fetch(
    topic: string,
    positions: Map<number, number>,
    opts: { maxBytesPerPartition: number; maxWaitMs?: number; leaders: Map<string, number> },
  ): Promise<FetchedPartition[]> {
    await this.connected();
    const perNode = new Map<number, number[]>();
    for (const p of positions.keys()) {
      const node = opts.leaders.get(`${topic}:${p}`);
      if (node === undefined) throw new KafkaRequestError(`partition ${p} of ${topic} has no leader; check the cluster's health`);
      perNode.set(node, [...(perNode.get(node) ?? []), p]);
    }
    const results = await Promise.all(
      [...perNode].map(async ([node, parts]) => {
        const broker = await this.cluster.findBroker({ nodeId: node });
        const res = await broker.fetch({
          replicaId: -1,
          isolationLevel: 1,
          maxWaitTime: opts.maxWaitMs ?? 0,
          minBytes: 1,
          maxBytes: opts.maxBytesPerPartition * parts.length,
          topics: [{ topic, partitions: parts.map((partition) => ({ partition, fetchOffset: String(positions.get(partition)), maxBytes: opts.maxBytesPerPartition })) }],
        });
        return res.responses.flatMap((t) =>
          t.partitions.map((p) => {
            const from = positions.get(p.partition) ?? 0;
            return {
              partition: p.partition,
              highWatermark: Number(p.highWatermark),
              records: p.messages.filter((m) => !m.isControlRecord && Number(m.offset) >= from),
            };
          }),
        );
      }),
    );
    return results.flat();
  }

  /** Every committed offset of a group, all topics (OffsetFetch v3 with a null topic list). */
  async committed(groupId: string): Promise<CommittedOffset[]> {
    await this.connected();
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    const decoded = await coordinator.connectionPool.send({
      request: {
        apiKey: OFFSET_FETCH,
        apiVersion: 3,
        apiName: "OffsetFetch",
        encode: async () => new Encoder().writeString(groupId).writeNullableArray([]), // kafkajs writes an empty list as null: all topics
      },
      response: {
        decode: async (raw) => {
          const d = new Decoder(raw);
          d.readInt32(); // throttle
          const topics = d.readArray((t) => ({
            topic: t.readString() ?? "",
            partitions: t.readArray((p) => ({ partition: p.readInt32(), offset: Number(p.readInt64().toString()), metadata: p.readString(), errorCode: p.readInt16() })),
          }));
          return { topics, errorCode: d.readInt16() };
        },
        parse: async (data) => data,
      },
    });
    throwIf(decoded.errorCode, `fetching the offsets of group ${groupId}`);
    return decoded.topics.flatMap((t) =>
      t.partitions.filter((p) => p.offset >= 0 && p.errorCode === 0).map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
    );
  }

  /** Commits offsets for a group without joining it; the coordinator refuses while members are connected. */
  async commit(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    await this.connected();
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, (list = []));
      list.push({ partition: o.partition, offset: String(o.offset) });
    }
    await coordinator.offsetCommit({
      groupId,
      groupGenerationId: -1,
      memberId: "",
      retentionTime: -1,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }

  /** Deletes a group's committed offsets for partitions of one topic (OffsetDelete v0). */
  async deleteOffsets(groupId: string, topic: string, partitions: number[]): Promise<void> {
    await this.connected();
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    const decoded = await coordinator.connectionPool.send({
      request: {
        apiKey: OFFSET_DELETE,
        apiVersion: 0,
        apiName: "OffsetDelete",
        encode: async () =>
          new Encoder().writeString(groupId).writeArray([new Encoder().writeString(topic).writeArray(partitions.map((p) => new Encoder().writeInt32(p)))]),
      },
      response: {
        decode: async (raw) => {
          const d = new Decoder(raw);
          const errorCode = d.readInt16();
          d.readInt32(); // throttle
          const topics = d.readArray((t) => ({ name: t.readString(), partitions: t.readArray((p) => ({ partition: p.readInt32(), errorCode: p.readInt16() })) }));
          return { errorCode, topics };
        },
        parse: async (data) => data,
      },
    });
    throwIf(decoded.errorCode, `deleting offsets of group ${groupId}`);
    for (const t of decoded.topics) for (const p of t.partitions) throwIf(p.errorCode, `deleting ${t.name}-${p.partition} offsets of group ${groupId}`);
  }

  async close(): Promise<void> {
    // A connect still in flight settles first; its failure already went to the request that caused it.
    await this.connecting?.catch(() => undefined);
    await this.cluster.disconnect();
  }
}
