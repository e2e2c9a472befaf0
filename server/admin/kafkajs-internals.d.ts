/**
 * kafkajs ships no types for its Cluster and Broker classes nor its protocol encoder. We use them
 * (server/control/kafka-requests.ts) for the few requests its public Admin/Consumer API does not
 * offer: Fetch from a chosen offset without a group, ListOffsets for many topics in one request,
 * and the group offset requests OffsetFetch (all topics), OffsetCommit outside a generation and
 * OffsetDelete. Only what we call is declared.
 */
declare module "kafkajs/src/cluster/index.js" {
  export interface WireRecord {
    offset: string;
    timestamp: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, Buffer | Buffer[] | null>;
    isControlRecord?: boolean;
  }
  /** A request kafkajs's broker has no method for, encoded and decoded by the caller. */
  export interface ProtocolRequest<T> {
    request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<Encoder> };
    response: { decode(raw: Buffer): Promise<T>; parse(data: T): Promise<T> };
  }
  export interface WireBroker {
    connectionPool: { send<T>(r: ProtocolRequest<T>): Promise<T> };
    fetch(req: {
      replicaId?: number;
      isolationLevel?: number;
      maxWaitTime?: number;
      minBytes?: number;
      maxBytes?: number;
      topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
    }): Promise<{
      responses: {
        topicName: string;
        partitions: { partition: number; errorCode: number; highWatermark: string; messages: WireRecord[] }[];
      }[];
    }>;
    listOffsets(req: {
      replicaId?: number;
      isolationLevel?: number;
      topics: { topic: string; partitions: { partition: number; timestamp: string | number }[] }[];
    }): Promise<{ responses: { topic: string; partitions: { partition: number; errorCode: number; offset: string; timestamp?: string }[] }[] }>;
    offsetCommit(req: {
      groupId: string;
      groupGenerationId: number;
      memberId: string;
      retentionTime?: number;
      topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
    }): Promise<unknown>;
  }
  export interface WireMetadata {
    brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
    controllerId?: number;
    clusterId?: string;
    topicMetadata: {
      topicErrorCode: number;
      topic: string;
      isInternal?: boolean;
      partitionMetadata: { partitionErrorCode: number; partitionId: number; leader: number; replicas: number[]; isr: number[] }[];
    }[];
  }
  export interface Encoder {
    writeString(s: string): Encoder;
    writeInt16(n: number): Encoder;
    writeInt32(n: number): Encoder;
    writeInt64(n: number | string): Encoder;
    writeArray(items: Encoder[]): Encoder;
    /** An empty list is written as null. */
    writeNullableArray(items: Encoder[]): Encoder;
  }
  export default class Cluster {
    constructor(opts: Record<string, unknown>);
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    metadata(opts?: { topics?: string[] }): Promise<WireMetadata>;
    findBroker(opts: { nodeId: number | string }): Promise<WireBroker>;
    findGroupCoordinator(opts: { groupId: string }): Promise<WireBroker>;
  }
}

declare module "kafkajs/src/protocol/encoder.js" {
  import type { Encoder as EncoderShape } from "kafkajs/src/cluster/index.js";
  const Encoder: new () => EncoderShape;
  export default Encoder;
}

declare module "kafkajs/src/protocol/decoder.js" {
  interface DecoderShape {
    readInt16(): number;
    readInt32(): number;
    readInt64(): { toString(): string };
    readString(): string | null;
    readArray<T>(fn: (d: DecoderShape) => T): T[];
  }
  const Decoder: new (raw: Buffer) => DecoderShape;
  export default Decoder;
}

declare module "kafkajs/src/protocol/error.js" {
  const errors: { createErrorFromCode(code: number): Error };
  export default errors;
}

declare module "kafkajs/src/loggers/index.js" {
  const loggers: { createLogger(opts: { level: number; logCreator: unknown }): unknown };
  export default loggers;
}

declare module "kafkajs/src/network/socketFactory.js" {
  const socketFactory: () => unknown;
  export default socketFactory;
}
