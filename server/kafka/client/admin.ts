import { setTimeout as sleep } from "node:timers/promises";
import { ZERO_UUID } from "../codec";
import { ConfigOperation, ConfigResourceType, ConfigSource, CONSUMER_REPLICA_ID, CoordinatorType, ElectionType, IsolationLevel, NO_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID } from "../constants";
import { ErrorCode } from "../errors";
import { ApiKey, Apis, type ApiSpec } from "../messages";
import type { ApiName } from "../messages.types";
import type { RequestInputOf, ResponseOf } from "../protocol";
import { DEFAULT_LANE, STALE_LEADER, type Cluster, type MetadataSnapshot } from "./cluster";
import type { BrokerConnection } from "./connection";
import { KafkaClientError, check } from "./errors";
import { decodeAssignment, type TopicPartitions } from "./group-protocol";
import { byTopic, call } from "./protocol";

export interface NewTopic {
  name: string;
  /** -1: the broker's num.partitions. */
  numPartitions?: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  sensitive: boolean;
  isDefault: boolean;
  documentation: string | null;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface ListedOffset extends TopicPartitionOffset {
  /** The record's timestamp for a timestamp query; -1 otherwise. */
  timestamp: number;
  leaderEpoch: number;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The consumer protocol's assignment, decoded when the group is a consumer group. */
  assignment: TopicPartitions[];
  metadata: Buffer;
}

export interface GroupDescription {
  groupId: string;
  errorCode: number;
  state: string;
  protocolType: string;
  /** The assignor the members agreed on (range, cooperative-sticky, …). */
  protocol: string;
  members: GroupMemberDescription[];
}

export interface PartitionReassignment {
  topic: string;
  partition: number;
  /** The current replicas: the target ones, then those still to be removed. */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/** One partition's answer to ElectLeaders: NONE when elected, else Kafka's reason (ELECTION_NOT_NEEDED, …). */
export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface LogDirDescription {
  nodeId: number;
  logDir: string;
  errorCode: number;
  /** -1 when the broker does not say (DescribeLogDirs before v4). */
  totalBytes: number;
  usableBytes: number;
  partitions: { topic: string; partition: number; sizeBytes: number; offsetLag: number; future: boolean }[];
}

export interface TransactionListing {
  transactionalId: string;
  producerId: number;
  /** Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence. */
  state: string;
}

export interface TransactionDescription {
  transactionalId: string;
  errorCode: number;
  state: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  /** When the open transaction began (epoch ms), or -1. */
  startTimeMs: number;
  partitions: TopicPartitions[];
}

export interface CommittedOffset extends TopicPartitionOffset {
  leaderEpoch: number;
  metadata: string | null;
}

function throwFirst(what: string, rows: { name: string | null; errorCode: number; errorMessage: string | null }[]): void {
  for (const r of rows) check(r.errorCode, `${what} ${r.name ?? ""}`.trim(), r.errorMessage);
}

/**
 * Cluster administration over the protocol: topics, partitions, configs, records, offsets and
 * groups, routed to the controller, the partition leaders or the group coordinator as Kafka's
 * AdminClient does, so it works the same on a Tributary, Apache Kafka or Redpanda cluster.
 */
export class Admin {
  constructor(private readonly cluster: Cluster) {}

  /** Metadata of the named topics, or of every topic when none are named. */
  metadata(topics: string[] | null = null): Promise<MetadataSnapshot> {
    return this.cluster.refreshMetadata(topics);
  }

  /** The cluster id, controller and brokers (DescribeCluster where the broker has it, else Metadata). */
  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: { nodeId: number; host: string; port: number; rack: string | null }[] }> {
    const conn = await this.cluster.any();
    if (!conn.supports(ApiKey.DescribeCluster)) {
      const md = await this.metadata([]);
      return { clusterId: md.clusterId, controllerId: md.controllerId, brokers: md.brokers };
    }
    const res = await call(conn, Apis.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    check(res.errorCode, "DescribeCluster", res.errorMessage);
    return { clusterId: res.clusterId, controllerId: res.controllerId, brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })) };
  }

  /**
   * Each broker's log directories with the bytes of every partition replica in them (of the named
   * topics, or all): what a topic takes on disk across the cluster.
   */
  async describeLogDirs(topics: { topic: string; partitions: number[] }[] | null = null): Promise<LogDirDescription[]> {
    const md = await this.metadata([]);
    const perBroker = await Promise.all(
      md.brokers.map(async (b) => {
        const res = await call(await this.cluster.broker(b.nodeId), Apis.DescribeLogDirs, { topics });
        check(res.errorCode, `DescribeLogDirs on broker ${b.nodeId}`);
        return res.results.map((d) => ({
          nodeId: b.nodeId,
          logDir: d.logDir,
          errorCode: d.errorCode,
          totalBytes: d.totalBytes,
          usableBytes: d.usableBytes,
          partitions: d.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, sizeBytes: p.partitionSize, offsetLag: p.offsetLag, future: p.isFutureKey }))),
        }));
      }),
    );
    return perBroker.flat();
  }

  async createTopics(topics: NewTopic[], o: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const res = await this.onController("CreateTopics", Apis.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: o.timeoutMs ?? 30_000,
      validateOnly: o.validateOnly ?? false,
    });
    throwFirst("creating topic", res.topics);
    if (!o.validateOnly) for (const t of topics) this.cluster.invalidate(t.name);
  }

  async deleteTopics(names: string[], timeoutMs = 30_000): Promise<void> {
    const res = await this.onController("DeleteTopics", Apis.DeleteTopics, { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), topicNames: names, timeoutMs });
    throwFirst("deleting topic", res.responses);
    for (const n of names) this.cluster.invalidate(n);
  }

  /** Raises topics' partition counts to `count`. */
  async createPartitions(topics: { topic: string; count: number }[], o: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const res = await this.onController("CreatePartitions", Apis.CreatePartitions, {
      topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: null })),
      timeoutMs: o.timeoutMs ?? 30_000,
      validateOnly: o.validateOnly ?? false,
    });
    throwFirst("adding partitions to", res.results);
    for (const t of topics) this.cluster.invalidate(t.topic);
  }

  /**
   * Moves partitions to target replicas (the preferred leader first); null replicas cancel the
   * reassignment in progress. Returns once the reassignments started: the controller completes
   * each when its target replicas are in sync (listPartitionReassignments shows the ones left).
   */
  async alterPartitionReassignments(reassignments: { topic: string; partition: number; replicas: number[] | null }[], timeoutMs = 30_000): Promise<void> {
    const res = await this.onController("AlterPartitionReassignments", Apis.AlterPartitionReassignments, {
      timeoutMs,
      topics: [...byTopic(reassignments)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas })) })),
    });
    check(res.errorCode, "AlterPartitionReassignments", res.errorMessage);
    for (const t of res.responses) throwFirst(`reassigning ${t.name}`, t.partitions.map((p) => ({ name: `partition ${p.partitionIndex}`, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  }

  /** The reassignments in progress (of the named partitions, or all): current replicas and those being added and removed. */
  async listPartitionReassignments(topics: { topic: string; partitions: number[] }[] | null = null, timeoutMs = 30_000): Promise<PartitionReassignment[]> {
    const res = await this.onController("ListPartitionReassignments", Apis.ListPartitionReassignments, { timeoutMs, topics: topics?.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) ?? null });
    check(res.errorCode, "ListPartitionReassignments", res.errorMessage);
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })));
  }

  /**
   * ElectLeaders (preferred: the first replica leads again; unclean: a live replica out of the ISR
   * may lead). Per-partition results, not thrown: ELECTION_NOT_NEEDED and the like are answers the
   * caller shows. Only an error of the whole request throws.
   */
  async electLeaders(type: "preferred" | "unclean", partitions: { topic: string; partition: number }[] | null, timeoutMs = 30_000): Promise<ElectionResult[]> {
    const res = await this.onController("ElectLeaders", Apis.ElectLeaders, {
      electionType: type === "preferred" ? ElectionType.PREFERRED : ElectionType.UNCLEAN,
      topicPartitions: partitions && [...byTopic(partitions)].map(([topic, ps]) => ({ topic, partitions: ps.map((p) => p.partition) })),
      timeoutMs,
    });
    check(res.errorCode, "ElectLeaders");
    for (const t of res.replicaElectionResults) this.cluster.invalidate(t.topic);
    return res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  }

  /** Configs of topics or brokers (a broker resource's name is its node id); keys null means all. */
  async describeConfigs(resources: { type: number; name: string; keys?: string[] | null }[], o: { synonyms?: boolean; documentation?: boolean } = {}): Promise<{ type: number; name: string; configs: ConfigEntry[] }[]> {
    const out: { type: number; name: string; configs: ConfigEntry[] }[] = [];
    for (const [conn, group] of this.byResourceBroker(resources)) {
      const res = await this.cluster.withRetry("DescribeConfigs", async () =>
        call(await conn(), Apis.DescribeConfigs, {
          resources: group.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.keys ?? null })),
          includeSynonyms: o.synonyms ?? false,
          includeDocumentation: o.documentation ?? false,
        }),
      );
      for (const r of res.results) {
        check(r.errorCode, `describing configs of ${r.resourceName}`, r.errorMessage);
        out.push({
          type: r.resourceType,
          name: r.resourceName,
          configs: r.configs.map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            // v0 has isDefault only; later versions say where the value comes from.
            source: c.configSource >= 0 ? c.configSource : c.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.UNKNOWN,
            sensitive: c.isSensitive,
            isDefault: c.configSource >= 0 ? c.configSource === ConfigSource.DEFAULT_CONFIG : c.isDefault,
            documentation: c.documentation,
          })),
        });
      }
    }
    return out;
  }

  /** Replaces a resource's whole config set (AlterConfigs): configs not named return to their defaults. */
  async alterConfigs(resources: { type: number; name: string; configs: Record<string, string> }[], validateOnly = false): Promise<void> {
    for (const [conn, group] of this.byResourceBroker(resources)) {
      const res = await call(await conn(), Apis.AlterConfigs, {
        resources: group.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })) })),
        validateOnly,
      });
      for (const r of res.responses) check(r.errorCode, `altering configs of ${r.resourceName}`, r.errorMessage);
    }
  }

  /** Changes named configs only (IncrementalAlterConfigs, KIP-339). */
  async incrementalAlterConfigs(resources: { type: number; name: string; ops: { name: string; op: keyof typeof ConfigOperation; value?: string | null }[] }[], validateOnly = false): Promise<void> {
    for (const [conn, group] of this.byResourceBroker(resources)) {
      const res = await call(await conn(), Apis.IncrementalAlterConfigs, {
        resources: group.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: r.ops.map((c) => ({ name: c.name, configOperation: ConfigOperation[c.op], value: c.value ?? null })) })),
        validateOnly,
      });
      for (const r of res.responses) check(r.errorCode, `altering configs of ${r.resourceName}`, r.errorMessage);
    }
  }

  /** Deletes records before each offset (-1: the high watermark); returns the new log start offsets. */
  async deleteRecords(offsets: TopicPartitionOffset[], timeoutMs = 30_000): Promise<TopicPartitionOffset[]> {
    const out: TopicPartitionOffset[] = [];
    await this.cluster.onLeaders("DeleteRecords", offsets, async (conn, list) => {
      const res = await call(conn, Apis.DeleteRecords, {
        topics: [...byTopic(list)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, offset: p.offset })) })),
        timeoutMs,
      });
      return this.collect(res.topics, list, (t, p) => out.push({ topic: t, partition: p.partitionIndex, offset: p.lowWatermark }), "deleting records of");
    });
    return out;
  }

  /**
   * Offsets for a timestamp, or ListOffsetsTimestamp.EARLIEST / LATEST, of many partitions: one request per
   * leader. A timestamp after the last record gives offset -1, as Kafka answers.
   */
  async listOffsets(query: { topic: string; partition: number; timestamp: number }[], isolationLevel: number = IsolationLevel.READ_COMMITTED): Promise<ListedOffset[]> {
    const out: ListedOffset[] = [];
    await this.cluster.onLeaders("ListOffsets", query, async (conn, list) => {
      const topics = await Promise.all(
        [...byTopic(list)].map(async ([name, ps]) => {
          const info = await this.cluster.requireTopic(name);
          return { name, partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: info.partitions[p.partition]?.leaderEpoch ?? NO_LEADER_EPOCH, timestamp: p.timestamp })) };
        }),
      );
      const res = await call(conn, Apis.ListOffsets, { replicaId: CONSUMER_REPLICA_ID, isolationLevel, topics });
      return this.collect(res.topics, list, (t, p) => out.push({ topic: t, partition: p.partitionIndex, offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch }), "listing offsets of");
    });
    return out;
  }

  /** Splits per-partition answers into results and the partitions to retry (their leader moved). */
  private collect<P extends { partitionIndex: number; errorCode: number }, A extends { topic: string; partition: number }>(
    topics: { name: string; partitions: P[] }[],
    asked: A[],
    ok: (topic: string, p: P) => void,
    what: string,
  ): { failed: A[]; error?: KafkaClientError } {
    const failed: A[] = [];
    let error: KafkaClientError | undefined;
    for (const t of topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.NONE) {
          ok(t.name, p);
          continue;
        }
        if (STALE_LEADER.has(p.errorCode)) this.cluster.invalidate(t.name);
        const e = new KafkaClientError(p.errorCode, `${what} ${t.name}-${p.partitionIndex}`);
        if (!e.retriable) throw e;
        error = e;
        const a = asked.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
        if (a) failed.push(a);
      }
    }
    return { failed, error };
  }

  /** Every group of the cluster: groups live on their coordinators, so every broker is asked. */
  async listGroups(): Promise<GroupListing[]> {
    return this.listOnEveryBroker(
      async (conn, nodeId) => {
        const res = await call(conn, Apis.ListGroups, { statesFilter: [] });
        check(res.errorCode, `ListGroups on broker ${nodeId}`);
        return res.groups.map((g): GroupListing => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState }));
      },
      (g) => g.groupId,
    );
  }

  /** Groups' state, assignor and members (assignments decoded for consumer groups); an unknown group has state Dead. */
  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return Promise.all(
      groupIds.map((groupId) =>
        this.cluster.onCoordinator(groupId, `DescribeGroups ${groupId}`, async (conn) => {
          const res = await call(conn, Apis.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
          const g = res.groups[0];
          if (!g) throw new KafkaClientError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `DescribeGroups ${groupId}`, { detail: "empty answer" });
          if (g.errorCode !== ErrorCode.NONE && g.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) check(g.errorCode, `describing group ${groupId}`);
          const consumer = g.protocolType === "consumer";
          return {
            groupId: g.groupId,
            errorCode: g.errorCode,
            state: g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? "Dead" : g.groupState,
            protocolType: g.protocolType,
            protocol: g.protocolData,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              metadata: m.memberMetadata,
              assignment: consumer && m.memberAssignment.length > 0 ? decodeAssignment(m.memberAssignment).partitions : [],
            })),
          };
        }),
      ),
    );
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    for (const groupId of groupIds) {
      await this.cluster.onCoordinator(groupId, `DeleteGroups ${groupId}`, async (conn) => {
        const res = await call(conn, Apis.DeleteGroups, { groupsNames: [groupId] });
        for (const r of res.results) check(r.errorCode, `deleting group ${r.groupId}`);
      });
    }
  }

  /** A group's committed offsets: of the named topics, or of every topic (null). */
  async fetchOffsets(groupId: string, topics: { topic: string; partitions: number[] }[] | null = null): Promise<CommittedOffset[]> {
    return this.cluster.onCoordinator(groupId, `OffsetFetch ${groupId}`, async (conn) => {
      const named = topics && topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions }));
      const res = await call(conn, Apis.OffsetFetch, { groupId, topics: named, groups: [{ groupId, topics: named }], requireStable: true });
      const batched = conn.version(ApiKey.OffsetFetch) >= 8;
      const g = batched ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
      if (!g) throw new KafkaClientError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `OffsetFetch ${groupId}`, { detail: "empty answer" });
      check(g.errorCode, `fetching the offsets of group ${groupId}`);
      const out: CommittedOffset[] = [];
      for (const t of g.topics) {
        for (const p of t.partitions) {
          check(p.errorCode, `fetching the offset of group ${groupId} for ${t.name}-${p.partitionIndex}`);
          if (p.committedOffset >= 0) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
        }
      }
      return out;
    });
  }

  /**
   * Commits offsets for a group without joining it (generation -1), as Kafka's AdminClient
   * alterConsumerGroupOffsets does; the coordinator refuses while the group has members.
   */
  async commitOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void> {
    await commitOffsets(this.cluster, { groupId, generationId: -1, memberId: "", groupInstanceId: null }, offsets);
  }

  /** Deletes a group's committed offsets of partitions of one topic (kafka-consumer-groups --delete-offsets). */
  async deleteOffsets(groupId: string, topic: string, partitions: number[]): Promise<void> {
    await this.cluster.onCoordinator(groupId, `OffsetDelete ${groupId}`, async (conn) => {
      const res = await call(conn, Apis.OffsetDelete, { groupId, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }] });
      check(res.errorCode, `deleting offsets of group ${groupId}`);
      for (const t of res.topics) for (const p of t.partitions) check(p.errorCode, `deleting the offset of group ${groupId} for ${t.name}-${p.partitionIndex}`);
    });
  }

  /** Whether the cluster answers ListTransactions and DescribeTransactions (Kafka 3.0+, KIP-664). */
  async servesTransactionApis(): Promise<boolean> {
    const conn = await this.cluster.any();
    return conn.supports(ApiKey.ListTransactions) && conn.supports(ApiKey.DescribeTransactions);
  }

  /**
   * Every transactional id of the cluster (ListTransactions, KIP-664): ids live on their
   * coordinators, so every broker is asked. `states` empty means all states.
   */
  async listTransactions(states: string[] = []): Promise<TransactionListing[]> {
    return this.listOnEveryBroker(
      async (conn, nodeId) => {
        const res = await call(conn, Apis.ListTransactions, { stateFilters: states, producerIdFilters: [], durationFilter: -1 });
        check(res.errorCode, `ListTransactions on broker ${nodeId}`);
        return res.transactionStates.map((t): TransactionListing => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState }));
      },
      (t) => t.transactionalId,
    );
  }

  /** Transactions' producer, state, start and partitions (DescribeTransactions on each id's transaction coordinator). */
  async describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]> {
    return Promise.all(
      transactionalIds.map((id) =>
        this.cluster.onCoordinator(
          id,
          `DescribeTransactions ${id}`,
          async (conn) => {
            const res = await call(conn, Apis.DescribeTransactions, { transactionalIds: [id] });
            const t = res.transactionStates[0];
            if (!t) throw new KafkaClientError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `DescribeTransactions ${id}`, { detail: "empty answer" });
            // Not found: the id expired between the listing and this call; the caller drops it.
            if (t.errorCode !== ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) check(t.errorCode, `describing transaction ${id}`);
            return {
              transactionalId: t.transactionalId,
              errorCode: t.errorCode,
              state: t.transactionState,
              producerId: t.producerId,
              producerEpoch: t.producerEpoch,
              timeoutMs: t.transactionTimeoutMs,
              startTimeMs: t.transactionStartTimeMs,
              partitions: t.topics.map((p) => ({ topic: p.topic, partitions: [...p.partitions].sort((a, b) => a - b) })),
            };
          },
          DEFAULT_LANE,
          CoordinatorType.TRANSACTION,
        ),
      ),
    );
  }

  /**
   * Fences a transactional id's producer, as Kafka's AdminClient fenceProducers (KIP-618) does:
   * InitProducerId as a new incarnation of the id, so its coordinator aborts the open transaction
   * and bumps the epoch, and the old producer's next request is refused. Kafka answers
   * CONCURRENT_TRANSACTIONS until the abort's markers are written, so that answer is retried with
   * back-off for up to `waitMs`. Returns the id's new producer id and epoch.
   */
  async fenceProducer(transactionalId: string, transactionTimeoutMs: number, waitMs = 15_000): Promise<{ producerId: number; producerEpoch: number }> {
    const until = Date.now() + waitMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.cluster.onCoordinator(
          transactionalId,
          `InitProducerId ${transactionalId}`,
          async (conn) => {
            const res = await call(conn, Apis.InitProducerId, { transactionalId, transactionTimeoutMs, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
            check(res.errorCode, `fencing the producer of transactional id ${transactionalId}`);
            return { producerId: res.producerId, producerEpoch: res.producerEpoch };
          },
          DEFAULT_LANE,
          CoordinatorType.TRANSACTION,
        );
      } catch (err) {
        const wait = this.cluster.backoff(attempt);
        if (!(err instanceof KafkaClientError) || err.code !== ErrorCode.CONCURRENT_TRANSACTIONS || Date.now() + wait > until) throw err;
        await sleep(wait);
      }
    }
  }

  /**
   * What lives on every broker (groups, transactions), asked of each broker at once: one entry per
   * id (the last broker's, should two list it), sorted by id.
   */
  private async listOnEveryBroker<T>(ask: (conn: BrokerConnection, nodeId: number) => Promise<T[]>, id: (item: T) => string): Promise<T[]> {
    const md = await this.metadata([]);
    const listed = (await Promise.all(md.brokers.map(async (b) => ask(await this.cluster.broker(b.nodeId), b.nodeId)))).flat();
    return [...new Map(listed.map((x) => [id(x), x])).values()].sort((a, b) => (id(a) < id(b) ? -1 : 1));
  }

  private onController<N extends ApiName>(what: string, api: ApiSpec<N>, body: NoInfer<RequestInputOf<N>>): Promise<ResponseOf<N>> {
    return this.cluster.withRetry(what, async (attempt) => call(await this.cluster.controller(attempt), api, body));
  }

  /** Broker resources go to that broker, topic resources to any broker. */
  private byResourceBroker<T extends { type: number; name: string }>(resources: T[]): [() => Promise<BrokerConnection>, T[]][] {
    const out = new Map<string, [() => Promise<BrokerConnection>, T[]]>();
    for (const r of resources) {
      const key = r.type === ConfigResourceType.BROKER ? `broker:${r.name}` : "any";
      const entry = out.get(key) ?? [r.type === ConfigResourceType.BROKER ? () => this.cluster.broker(Number(r.name)) : () => this.cluster.any(), []];
      entry[1].push(r);
      out.set(key, entry);
    }
    return [...out.values()];
  }
}

/** OffsetCommit for a member of a generation, or outside any (generation -1, empty member id). */
export async function commitOffsets(cluster: Cluster, member: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }, offsets: (TopicPartitionOffset & { leaderEpoch?: number; metadata?: string | null })[]): Promise<void> {
  if (offsets.length === 0) return;
  await cluster.onCoordinator(member.groupId, `OffsetCommit ${member.groupId}`, async (conn) => {
    const res = await call(conn, Apis.OffsetCommit, {
      groupId: member.groupId,
      generationIdOrMemberEpoch: member.generationId,
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      retentionTimeMs: -1,
      topics: [...byTopic(offsets)].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch ?? NO_LEADER_EPOCH, commitTimestamp: -1, committedMetadata: p.metadata ?? null })),
      })),
    });
    for (const t of res.topics) for (const p of t.partitions) check(p.errorCode, `committing the offset of group ${member.groupId} for ${t.name}-${p.partitionIndex}`);
  });
}
