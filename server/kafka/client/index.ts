import { Admin } from "./admin";
import { Cluster } from "./cluster";
import { Consumer, type ConsumerOptions } from "./consumer";
import { fetchRecords, type FetchOptions, type FetchPosition, type FetchedPartition } from "./fetcher";
import { clientOptionsSchema, type ClientOptions } from "./options";
import { Producer, type ProducerOptions } from "./producer";

export type { ClientOptions } from "./options";
export type { ProducerOptions, ProducerRecord, RecordMetadata } from "./producer";
export type { ConsumerOptions, ConsumedBatch, TopicPartition } from "./consumer";
export type { FetchOptions, FetchPosition, FetchedPartition } from "./fetcher";
export type { BrokerInfo, MetadataSnapshot, PartitionInfo, TopicInfo } from "./cluster";
export type { CommittedOffset, ConfigEntry, ElectionResult, GroupDescription, GroupListing, GroupMemberDescription, ListedOffset, LogDirDescription, NewTopic, PartitionReassignment, TopicPartitionOffset } from "./admin";
export type { Assignment, Subscription, TopicPartitions } from "./group-protocol";
export type { TlsOptions } from "./connection";
export type { SaslMechanism, SaslOptions } from "./sasl";
export { decodeAssignment, decodeSubscription } from "./group-protocol";
export { murmur2, partitionForKey } from "./partitioner";
export { groupIntoRequests, maxRecordSize, recordSize, splitIntoBatches } from "./batching";
export { KafkaClientError, isRetriableError } from "./errors";
export { Admin } from "./admin";
export { KafkaProduceError, Producer } from "./producer";
export { Consumer } from "./consumer";

/**
 * The one Kafka client: a connection to a cluster (any Kafka-protocol one) shared by its
 * producers, consumers and admin. Close it to close every connection.
 */
export class KafkaClient {
  readonly cluster: Cluster;
  readonly admin: Admin;

  constructor(options: ClientOptions) {
    this.cluster = new Cluster(clientOptionsSchema.parse(options));
    this.admin = new Admin(this.cluster);
  }

  producer(options: ProducerOptions = {}): Producer {
    return new Producer(this.cluster, options);
  }

  consumer(options: ConsumerOptions): Consumer {
    return new Consumer(this.cluster, options);
  }

  /** Reads from any offsets without a group (the console's browser, tails). */
  fetch(positions: FetchPosition[], options: FetchOptions = {}): Promise<FetchedPartition[]> {
    return fetchRecords(this.cluster, positions, options);
  }

  close(): Promise<void> {
    return this.cluster.close();
  }
}
