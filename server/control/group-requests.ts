import { createRequire } from "node:module";
import type { KafkaConfig } from "kafkajs";

/**
 * The group requests kafkajs's admin does not offer, sent to the group coordinator over the
 * Kafka protocol with kafkajs's own connection, encoder and error types:
 * - OffsetFetch for every topic of a group (the admin asks only for topics it is told about);
 * - OffsetCommit outside any generation, as Kafka's AdminClient alterConsumerGroupOffsets sends it
 *   (the admin's setOffsets joins the group with a throwaway consumer instead);
 * - OffsetDelete (kafka-consumer-groups --delete-offsets).
 * kafkajs keeps these parts under src/ without typings; the few shapes used are declared here.
 */
const require = createRequire(import.meta.url);

interface Encoder {
  writeString(s: string): Encoder;
  writeInt16(n: number): Encoder;
  writeInt32(n: number): Encoder;
  writeInt64(n: number | string): Encoder;
  writeArray(items: Encoder[]): Encoder;
  /** An empty list is written as null. */
  writeNullableArray(items: Encoder[]): Encoder;
}
interface Decoder {
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readString(): string | null;
  readArray<T>(fn: (d: Decoder) => T): T[];
}
interface ProtocolRequest {
  request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<Encoder> };
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}
interface CoordinatorBroker {
  connectionPool: { send(r: ProtocolRequest): Promise<unknown> };
  offsetCommit(args: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    retentionTime?: number;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<CoordinatorBroker>;
}

const EncoderClass: new () => Encoder = require("kafkajs/src/protocol/encoder");
const DecoderClass: new (raw: Buffer) => Decoder = require("kafkajs/src/protocol/decoder");
const ClusterClass: new (opts: Record<string, unknown>) => Cluster = require("kafkajs/src/cluster");
const { createLogger }: { createLogger(o: { level: number; logCreator: unknown }): unknown } = require("kafkajs/src/loggers");
const { createErrorFromCode }: { createErrorFromCode(code: number): Error } = require("kafkajs/src/protocol/error");

const OFFSET_FETCH = 9;
const OFFSET_DELETE = 47;

function throwIf(code: number, what: string): void {
  if (code !== 0) {
    const err = createErrorFromCode(code);
    err.message = `${what}: ${err.message}`;
    throw err;
  }
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** A connection to a cluster's group coordinators for a few group requests, kept per cluster by ClusterConnections. */
export class GroupRequests {
  private constructor(private readonly cluster: Cluster) {}

  static async open(config: KafkaConfig): Promise<GroupRequests> {
    const cluster = new ClusterClass({
      logger: createLogger({ level: config.logLevel ?? 0, logCreator: config.logCreator ?? (() => () => undefined) }),
      // Reading a group's offsets must never create a topic.
      allowAutoTopicCreation: false,
      brokers: config.brokers,
      ssl: config.ssl,
      sasl: config.sasl,
      clientId: config.clientId,
      connectionTimeout: config.connectionTimeout,
      requestTimeout: config.requestTimeout,
      retry: config.retry,
      socketFactory: require("kafkajs/src/network/socketFactory")(),
    });
    await cluster.connect();
    return new GroupRequests(cluster);
  }

  close(): Promise<void> {
    return this.cluster.disconnect();
  }

  /** Every committed offset of a group, all topics (OffsetFetch v3 with a null topic list). */
  async committed(groupId: string): Promise<CommittedOffset[]> {
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    const decoded = (await coordinator.connectionPool.send({
      request: {
        apiKey: OFFSET_FETCH,
        apiVersion: 3,
        apiName: "OffsetFetch",
        encode: async () => new EncoderClass().writeString(groupId).writeNullableArray([]), // kafkajs writes an empty list as null: all topics
      },
      response: {
        decode: async (raw) => {
          const d = new DecoderClass(raw);
          d.readInt32(); // throttle
          const topics = d.readArray((t) => ({
            topic: t.readString() ?? "",
            partitions: t.readArray((p) => ({ partition: p.readInt32(), offset: Number(p.readInt64().toString()), metadata: p.readString(), errorCode: p.readInt16() })),
          }));
          return { topics, errorCode: d.readInt16() };
        },
        parse: async (data) => data,
      },
    })) as { topics: { topic: string; partitions: { partition: number; offset: number; errorCode: number }[] }[]; errorCode: number };
    throwIf(decoded.errorCode, `fetching the offsets of group ${groupId}`);
    return decoded.topics.flatMap((t) =>
      t.partitions.filter((p) => p.offset >= 0 && p.errorCode === 0).map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
    );
  }

  /** Commits offsets for a group without joining it; the coordinator refuses while members are connected. */
  async commit(groupId: string, offsets: CommittedOffset[]): Promise<void> {
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
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    const decoded = (await coordinator.connectionPool.send({
      request: {
        apiKey: OFFSET_DELETE,
        apiVersion: 0,
        apiName: "OffsetDelete",
        encode: async () =>
          new EncoderClass()
            .writeString(groupId)
            .writeArray([new EncoderClass().writeString(topic).writeArray(partitions.map((p) => new EncoderClass().writeInt32(p)))]),
      },
      response: {
        decode: async (raw) => {
          const d = new DecoderClass(raw);
          const errorCode = d.readInt16();
          d.readInt32(); // throttle
          const topics = d.readArray((t) => ({ name: t.readString(), partitions: t.readArray((p) => ({ partition: p.readInt32(), errorCode: p.readInt16() })) }));
          return { errorCode, topics };
        },
        parse: async (data) => data,
      },
    })) as { errorCode: number; topics: { name: string; partitions: { partition: number; errorCode: number }[] }[] };
    throwIf(decoded.errorCode, `deleting offsets of group ${groupId}`);
    for (const t of decoded.topics) for (const p of t.partitions) throwIf(p.errorCode, `deleting ${t.name}-${p.partition} offsets of group ${groupId}`);
  }
}
