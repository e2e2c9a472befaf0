/**
 * kafkajs ships no types for its Cluster and Broker classes. The console uses them for the few
 * requests the public Admin/Consumer API does not offer without joining a group: Fetch from a
 * chosen offset and ListOffsets for many topics in one request. Only what we call is declared.
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
  export interface WireBroker {
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
  export default class Cluster {
    constructor(opts: Record<string, unknown>);
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    metadata(opts?: { topics?: string[] }): Promise<WireMetadata>;
    findBroker(opts: { nodeId: number | string }): Promise<WireBroker>;
  }
}

declare module "kafkajs/src/loggers/index.js" {
  const loggers: { createLogger(opts: { level: number; logCreator: unknown }): unknown };
  export default loggers;
}

declare module "kafkajs/src/network/socketFactory.js" {
  const socketFactory: () => unknown;
  export default socketFactory;
}
