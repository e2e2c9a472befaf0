import type { ClusterMember } from "../../cluster/member";
import type { TopicState } from "../../cluster/store";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { logger } from "../../log";
import { coordinatorPartition } from "./coordinator-partition";
import type { GroupCoordinator } from "./coordinator";
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

/**
 * Creates __consumer_offsets through the cluster the first time a group's coordinator is asked
 * for, as Kafka does: its replication factor is capped by the brokers live then, so a cluster
 * that starts one broker at a time does not fix it at one replica on the first start. One
 * creation at a time per broker; losing a race to another broker is success.
 */
export class OffsetsTopicCreator {
  private creating: Promise<void> | undefined;

  constructor(private readonly cluster: ClusterMember) {}

  async ensure(): Promise<TopicState | KafkaError> {
    const known = this.cluster.metadata().topics.get(OFFSETS_TOPIC);
    if (known) return known;
    this.creating ??= this.create().finally(() => (this.creating = undefined));
    try {
      await this.creating;
    } catch (err) {
      return err instanceof KafkaError ? err : new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `creating ${OFFSETS_TOPIC} failed: ${(err as Error).message}`);
    }
    return this.cluster.metadata().topics.get(OFFSETS_TOPIC) ?? new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC} is being created; retry`);
  }

  private async create(): Promise<void> {
    const placement = this.cluster.offsetsTopicPlacement();
    const [result] = await this.cluster.createTopics([{ name: OFFSETS_TOPIC, partitions: placement.partitions, replicationFactor: placement.replicationFactor, configs: OFFSETS_TOPIC_CONFIGS }]);
    if (result instanceof KafkaError && result.code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      log.error({ error: result.message }, `cannot create ${OFFSETS_TOPIC} in the cluster`);
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `cannot create ${OFFSETS_TOPIC}: ${result.message}`);
    }
    if (!(result instanceof KafkaError)) log.info({ partitions: placement.partitions, replicationFactor: placement.replicationFactor }, `created ${OFFSETS_TOPIC} in the cluster`);
  }
}

/** The __consumer_offsets partitions this broker leads in a picture of the cluster. */
export function ledOffsetsPartitions(topics: ReadonlyMap<string, TopicState>, nodeId: number): Set<number> {
  return new Set((topics.get(OFFSETS_TOPIC)?.partitions ?? []).filter((p) => p.leader === nodeId).map((p) => p.partition));
}

/**
 * Keeps the group coordinator on the partitions of __consumer_offsets this broker leads, from now
 * on and at every metadata change. Returns the unsubscribe.
 */
export function followOffsetsLeadership(cluster: ClusterMember, groups: GroupCoordinator): () => void {
  const follow = (topics: ReadonlyMap<string, TopicState>) => void groups.coordinate(ledOffsetsPartitions(topics, cluster.nodeId));
  const off = cluster.onMetadata((now, before) => {
    if (now.get(OFFSETS_TOPIC) !== before.get(OFFSETS_TOPIC)) follow(now);
  });
  follow(cluster.metadata().topics);
  return off;
}
