import type { ClusterMember } from "../../cluster/member";
import type { TopicState } from "../../cluster/store";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import type { Logger } from "pino";
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

/** How a coordinator reads a partition of its topic into memory and drops it again. */
export interface PartitionState {
  /**
   * Reads a gained partition to its log end into memory: how many keys it holds, and what to do
   * once it is served (it may have been lost again while read, and is then unloaded instead).
   */
  load(partition: number): Promise<{ loaded: number; serve?: () => void }>;
  /** Drops a partition's keys from memory: lost, or lost again while it was read. */
  unload(partition: number): void;
}

/**
 * The partitions a coordinator serves in a cluster, following this broker's leadership of its
 * topic: a partition lost stops being served at once (its keys answer NOT_COORDINATOR, the client
 * finds the new coordinator), one gained answers COORDINATOR_LOAD_IN_PROGRESS until read.
 * Partitions are loaded one after another.
 */
export class CoordinatorPartitions implements PartitionedCoordinator {
  private readonly served = new Set<number>();
  private readonly loading = new Set<number>();
  /** The partitions this broker leads, as last told. */
  private led = new Set<number>();
  private transitions: Promise<void> = Promise.resolve();

  /** `holds` names the keys for logs: the "groups" of __consumer_offsets. */
  constructor(
    private readonly topic: string,
    private readonly holds: string,
    private readonly log: Logger,
    private readonly state: PartitionState,
  ) {}

  /** NONE, NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for a key of `partition`. */
  errorFor(partition: number): number {
    if (this.loading.has(partition)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return this.served.has(partition) ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
  }

  /** Applies a new set of led partitions; resolves once every gained one is loaded. */
  coordinate(led: ReadonlySet<number>): Promise<void> {
    const { holds, topic, log } = this;
    this.led = new Set(led);
    for (const p of [...this.served]) {
      if (led.has(p)) continue;
      this.served.delete(p);
      this.state.unload(p);
      log.info({ partition: p }, `stopped coordinating the ${holds} of a ${topic} partition another broker leads now`);
    }
    const gained = [...led].filter((p) => !this.served.has(p) && !this.loading.has(p));
    for (const p of gained) this.loading.add(p);
    const next = this.transitions.then(async () => {
      for (const p of gained) {
        try {
          const { loaded, serve } = await this.state.load(p);
          if (!this.led.has(p)) {
            this.state.unload(p);
            continue;
          }
          this.served.add(p);
          log.info({ partition: p, [holds]: loaded }, `coordinating the ${holds} of a ${topic} partition this broker now leads`);
          serve?.();
        } catch (err) {
          log.error({ err, partition: p }, `cannot load a ${topic} partition this broker leads; its ${holds} get NOT_COORDINATOR`);
        } finally {
          this.loading.delete(p);
        }
      }
    });
    this.transitions = next.catch(() => {});
    return next;
  }
}
