import type { ClusterMember } from "../../cluster/member";
import type { TopicState } from "../../cluster/store";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { logger } from "../../log";
import { coordinatorPartition } from "./coordinator-partition";
import { OFFSETS_TOPIC, OFFSETS_TOPIC_CONFIGS } from "./offsets-store";

const log = logger("broker.groups");

/** A coordinator's broker, or why none can be named now (the client retries FindCoordinator). */
export type CoordinatorLocation = { nodeId: number; host: string; port: number } | KafkaError;

/**
 * Where a key's coordinator is: the leader of the partition of `topic` the key hashes to, as Kafka
 * places group and transaction coordinators. COORDINATOR_NOT_AVAILABLE while that partition has
 * no live leader.
 */
export function coordinatorIn(cluster: ClusterMember, topic: TopicState, key: string): CoordinatorLocation {
  const p = topic.partitions[coordinatorPartition(key, topic.partitions.length)];
  const leader = cluster.metadata().brokers.find((x) => x.nodeId === p?.leader);
  if (!p || !leader) return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `partition ${p?.partition ?? 0} of ${topic.name} has no live leader now; retry`);
  return { nodeId: leader.nodeId, host: leader.host, port: leader.port };
}

/** A coordinator topic's partitions and replication factor as it would be created now. */
export type CoordinatorTopicPlacement = { partitions: number; replicationFactor: number };

/**
 * Creates a coordinators' topic (__consumer_offsets, __transaction_state) through the cluster the
 * first time a key's coordinator is asked for, as Kafka does: its replication factor is capped by
 * the brokers live then, so a cluster that starts one broker at a time does not fix it at one
 * replica on the first start. One creation at a time per broker; losing a race to another broker
 * is success.
 */
export class CoordinatorTopicCreator {
  private creating: Promise<void> | undefined;

  constructor(
    private readonly cluster: ClusterMember,
    private readonly topic: string,
    private readonly placement: () => CoordinatorTopicPlacement,
    private readonly configs: (placement: CoordinatorTopicPlacement) => Record<string, string>,
  ) {}

  async ensure(): Promise<TopicState | KafkaError> {
    const known = this.cluster.metadata().topics.get(this.topic);
    if (known) return known;
    this.creating ??= this.create().finally(() => (this.creating = undefined));
    try {
      await this.creating;
    } catch (err) {
      return err instanceof KafkaError ? err : new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `creating ${this.topic} failed: ${(err as Error).message}`);
    }
    return this.cluster.metadata().topics.get(this.topic) ?? new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${this.topic} is being created; retry`);
  }

  private async create(): Promise<void> {
    const placement = this.placement();
    const [result] = await this.cluster.createTopics([{ name: this.topic, partitions: placement.partitions, replicationFactor: placement.replicationFactor, configs: this.configs(placement) }]);
    if (result instanceof KafkaError && result.code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      log.error({ error: result.message }, `cannot create ${this.topic} in the cluster`);
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `cannot create ${this.topic}: ${result.message}`);
    }
    if (!(result instanceof KafkaError)) log.info({ partitions: placement.partitions, replicationFactor: placement.replicationFactor }, `created ${this.topic} in the cluster`);
  }
}

/** __consumer_offsets, created as offsets.topic.* say. */
export function offsetsTopicCreator(cluster: ClusterMember): CoordinatorTopicCreator {
  return new CoordinatorTopicCreator(cluster, OFFSETS_TOPIC, () => cluster.offsetsTopicPlacement(), () => OFFSETS_TOPIC_CONFIGS);
}

/** The partitions of a topic this broker leads in a picture of the cluster. */
export function ledPartitions(topics: ReadonlyMap<string, TopicState>, topic: string, nodeId: number): Set<number> {
  return new Set((topics.get(topic)?.partitions ?? []).filter((p) => p.leader === nodeId).map((p) => p.partition));
}

/** A coordinator that serves the keys of the partitions of its topic this broker leads. */
export interface PartitionedCoordinator {
  coordinate(led: ReadonlySet<number>): Promise<void>;
}

/**
 * Keeps a coordinator on the partitions of its topic (__consumer_offsets for groups,
 * __transaction_state for transactions) this broker leads, from now on and at every metadata
 * change. Returns the unsubscribe.
 */
export function followCoordinatorLeadership(cluster: ClusterMember, topic: string, coordinator: PartitionedCoordinator): () => void {
  const follow = (topics: ReadonlyMap<string, TopicState>) => void coordinator.coordinate(ledPartitions(topics, topic, cluster.nodeId));
  const off = cluster.onMetadata((now, before) => {
    if (now.get(topic) !== before.get(topic)) follow(now);
  });
  follow(cluster.metadata().topics);
  return off;
}
