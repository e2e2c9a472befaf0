import { AclOperation as Op, AclResourceType as Type, AUTHORIZED_OPERATIONS_OMITTED, ConfigResourceType, CONSUMER_REPLICA_ID, CoordinatorType } from "../../kafka/constants";
import { ErrorCode } from "../../kafka/errors";
import type { ApiName } from "../../kafka/messages.types";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { CLUSTER, type Resource } from "./acl";

/**
 * What Kafka checks for each request, as a table (Kafka's KafkaApis and its authorization docs):
 * `require` lists whole-request checks, each passing when any of its grants holds, and the first
 * that fails answers the request with `refuse`; `split` takes the resources the principal may not
 * touch out of the request, the handler serves the rest, and `finish` puts the refused ones back
 * with their error and hides or annotates what the principal may not see, or answers the request
 * itself when Kafka serves none of it unless all may be (AddPartitionsToTxn). An API missing here
 * needs no authorization (ApiVersions, SASL).
 */

/** What the table may ask about the principal of a request and the broker's topics. */
export interface Access {
  may(operation: number, resource: Resource): boolean;
  /** On some resource of the type (InitProducerId's idempotent producers: WRITE on any topic). */
  mayAny(operation: number, type: number): boolean;
  /** KIP-430's bit set. */
  operations(resource: Resource): number;
  topicExists(name: string): boolean;
  topicName(id: string): string | undefined;
}

type Grant = { operation: number; resource: Resource } | { operation: number; anyOf: number };
interface Requirement {
  grants: Grant[];
  code: number;
}

export type Split<N extends ApiName> = { request: RequestOf<N>; finish(response: ResponseInputOf<N>): ResponseInputOf<N> } | { answer: ResponseInputOf<N> };

export interface Rule<N extends ApiName> {
  require?(req: RequestOf<N>, version: number): Requirement[];
  refuse?(req: RequestOf<N>, code: number, version: number): ResponseInputOf<N>;
  split?(req: RequestOf<N>, access: Access, version: number): Split<N>;
}

export type AuthorizationTable = { [N in ApiName]?: Rule<N> };

const topic = (name: string): Resource => ({ type: Type.TOPIC, name });
const group = (name: string): Resource => ({ type: Type.GROUP, name });
const txn = (name: string): Resource => ({ type: Type.TRANSACTIONAL_ID, name });
const cluster = (operation: number): Requirement => ({ grants: [{ operation, resource: CLUSTER }], code: ErrorCode.CLUSTER_AUTHORIZATION_FAILED });
const onGroup = (operation: number, name: string): Requirement => ({ grants: [{ operation, resource: group(name) }], code: ErrorCode.GROUP_AUTHORIZATION_FAILED });
const onTxn = (operation: number, name: string): Requirement => ({ grants: [{ operation, resource: txn(name) }], code: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
const T_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const G_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const C_DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;

export function granted(access: Access, r: Requirement): boolean {
  return r.grants.some((g) => ("resource" in g ? access.may(g.operation, g.resource) : access.mayAny(g.operation, g.anyOf)));
}

/** Splits a list into what the principal may touch and what it may not, keeping both in order. */
function partition<T>(items: readonly T[], allowed: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (allowed(item) ? yes : no).push(item);
  return [yes, no];
}

/** A split of one of a request's lists (topics, groups, resources): the refused ones are answered after the served ones, as Kafka orders them. */
function splitList<N extends ApiName, T, R>(req: RequestOf<N>, list: readonly T[], allowed: (t: T) => boolean, keep: (kept: T[]) => RequestOf<N>, answer: (t: T) => R, add: (res: ResponseInputOf<N>, refused: R[]) => ResponseInputOf<N>): Split<N> {
  // The common case, everything allowed, costs one pass and nothing else.
  if (list.every(allowed)) return { request: req, finish: unchanged };
  const [kept, refused] = partition(list, allowed);
  return { request: keep(kept), finish: (res) => add(res, refused.map(answer)) };
}

const unchanged = <T>(res: T): T => res;

/** A follower's request needs CLUSTER_ACTION on the cluster; a consumer's is checked per topic. */
const replicaCheck = (replicaId: number): Requirement[] => (replicaId === CONSUMER_REPLICA_ID || replicaId < 0 ? [] : [cluster(Op.CLUSTER_ACTION)]);

/** AlterConfigs and IncrementalAlterConfigs check the same: `operation` on each resource, the refused ones answered after the served. */
function configRule<N extends "AlterConfigs" | "IncrementalAlterConfigs">(operation: number): Rule<N> {
  return {
    split: (req, access) =>
      splitList(
        req,
        req.resources,
        (r) => configAllowed(access, operation, r),
        (resources) => ({ ...req, resources }),
        (r) => ({ errorCode: configDenied(r), errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName }),
        (res, refused) => ({ ...res, responses: [...res.responses, ...refused] }),
      ),
  };
}

/** OffsetCommit and TxnOffsetCommit: the group (and transactional id) as a whole, then READ on each topic, the refused ones answered after the served. */
function offsetCommitRule<N extends "OffsetCommit" | "TxnOffsetCommit">(require: (req: RequestOf<N>) => Requirement[]): Rule<N> {
  const answer = (t: { name: string; partitions: { partitionIndex: number }[] }, errorCode: number) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) });
  return {
    require,
    refuse: (req, code) => ({ topics: req.topics.map((t) => answer(t, code)) }),
    split: (req, access) =>
      splitList(
        req,
        req.topics,
        (t) => access.may(Op.READ, topic(t.name)),
        (topics) => ({ ...req, topics }),
        (t) => answer(t, T_DENIED),
        (res, refused) => ({ ...res, topics: [...res.topics, ...refused] }),
      ),
  };
}

export const AUTHORIZATION: AuthorizationTable = {
  // This broker auto-creates a topic produced to (auto.create.topics.enable), so a missing topic
  // also needs what creating it takes.
  Produce: {
    require: (req) => (req.transactionalId === null ? [] : [onTxn(Op.WRITE, req.transactionalId)]),
    refuse: (req, code) => ({ responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: code, baseOffset: -1 })) })) }),
    split: (req, access) =>
      splitList(
        req,
        req.topicData,
        (t) => access.may(Op.WRITE, topic(t.name)) && (access.topicExists(t.name) || access.may(Op.CREATE, CLUSTER) || access.may(Op.CREATE, topic(t.name))),
        (topicData) => ({ ...req, topicData }),
        (t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: T_DENIED, baseOffset: -1 })) }),
        (res, refused) => ({ ...res, responses: [...res.responses, ...refused] }),
      ),
  },
  Fetch: {
    require: (req) => replicaCheck(req.replicaId),
    refuse: (_req, code) => ({ errorCode: code, sessionId: 0, responses: [] }),
    split: (req, access) =>
      splitList(
        req,
        req.topics,
        (t) => access.may(Op.READ, topic(t.topic)),
        (topics) => ({ ...req, topics }),
        (t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: T_DENIED, highWatermark: -1, records: Buffer.alloc(0) })) }),
        (res, refused) => ({ ...res, responses: [...res.responses, ...refused] }),
      ),
  },
  ListOffsets: {
    require: (req) => replicaCheck(req.replicaId),
    refuse: (req, code) => ({ topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code, oldStyleOffsets: [] })) })) }),
    split: (req, access) =>
      splitList(
        req,
        req.topics,
        (t) => access.may(Op.DESCRIBE, topic(t.name)),
        (topics) => ({ ...req, topics }),
        (t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: T_DENIED, oldStyleOffsets: [] })) }),
        (res, refused) => ({ ...res, topics: [...res.topics, ...refused] }),
      ),
  },
  OffsetForLeaderEpoch: {
    require: (req) => replicaCheck(req.replicaId),
    refuse: (req, code) => ({ topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: code, endOffset: -1 })) })) }),
    split: (req, access) =>
      splitList(
        req,
        req.topics,
        (t) => access.may(Op.DESCRIBE, topic(t.topic)),
        (topics) => ({ ...req, topics }),
        (t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: T_DENIED, endOffset: -1 })) }),
        (res, refused) => ({ ...res, topics: [...res.topics, ...refused] }),
      ),
  },
  Metadata: {
    // Topics the principal may not DESCRIBE are not listed (all topics) or answered with
    // TOPIC_AUTHORIZATION_FAILED whether they exist or not (named ones), so their existence is
    // not told; a missing topic that would be auto-created needs CREATE on the cluster or topic.
    split: (req, access, v) => {
      const wanted = req.topics;
      const named = (t: { name: string | null; topicId: string }) => t.name ?? access.topicName(t.topicId) ?? null;
      const autoCreate = v < 4 || req.allowAutoTopicCreation;
      const mayCreate = access.may(Op.CREATE, CLUSTER);
      const refusedOf = (t: { name: string | null; topicId: string }) => {
        const name = named(t);
        if (name === null) return false;
        if (!access.may(Op.DESCRIBE, topic(name))) return true;
        return autoCreate && !mayCreate && !access.topicExists(name) && !access.may(Op.CREATE, topic(name));
      };
      const [kept, refused] = wanted ? partition(wanted, (t) => !refusedOf(t)) : [null, []];
      const asked = v >= 10 ? req.includeTopicAuthorizedOperations : v >= 8 && req.includeTopicAuthorizedOperations;
      return {
        request: refused.length ? { ...req, topics: kept } : req,
        finish: (res) => {
          const shown = wanted ? res.topics : res.topics.filter((t) => t.name && access.may(Op.DESCRIBE, topic(t.name)));
          const topics = [...shown, ...refused.map((t) => ({ errorCode: T_DENIED, name: t.name, topicId: t.topicId, partitions: [] }))].map((t) => (asked && t.errorCode === ErrorCode.NONE && t.name ? { ...t, topicAuthorizedOperations: access.operations(topic(t.name)) } : t));
          return { ...res, topics, ...(v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? { clusterAuthorizedOperations: access.operations(CLUSTER) } : {}) };
        },
      };
    },
  },
  CreateTopics: {
    split: (req, access) => {
      const mayCreate = access.may(Op.CREATE, CLUSTER);
      const [kept, refused] = partition(req.topics, (t) => mayCreate || access.may(Op.CREATE, topic(t.name)));
      return {
        request: refused.length ? { ...req, topics: kept } : req,
        // The configs a topic was created with are shown only to who may DESCRIBE_CONFIGS it.
        finish: (res) => ({
          ...res,
          topics: [
            ...res.topics.map((t) => (t.errorCode === ErrorCode.NONE && !access.may(Op.DESCRIBE_CONFIGS, topic(t.name)) ? { ...t, topicConfigErrorCode: T_DENIED, configs: null } : t)),
            ...refused.map((t) => ({ name: t.name, errorCode: T_DENIED, errorMessage: `not authorized to create topic '${t.name}'`, configs: null })),
          ],
        }),
      };
    },
  },
  DeleteTopics: {
    split: (req, access, v) => {
      const allowed = (name: string | null) => name === null || access.may(Op.DELETE, topic(name));
      if (v >= 6) {
        const [kept, refused] = partition(req.topics, (t) => allowed(t.name ?? access.topicName(t.topicId) ?? null));
        return { request: refused.length ? { ...req, topics: kept } : req, finish: (res) => ({ ...res, responses: [...res.responses, ...refused.map((t) => ({ name: t.name, topicId: t.topicId, errorCode: T_DENIED, errorMessage: "not authorized to delete this topic" }))] }) };
      }
      const [kept, refused] = partition(req.topicNames, allowed);
      return { request: refused.length ? { ...req, topicNames: kept } : req, finish: (res) => ({ ...res, responses: [...res.responses, ...refused.map((name) => ({ name, errorCode: T_DENIED, errorMessage: `not authorized to delete topic '${name}'` }))] }) };
    },
  },
  DeleteRecords: {
    split: (req, access) =>
      splitList(
        req,
        req.topics,
        (t) => access.may(Op.DELETE, topic(t.name)),
        (topics) => ({ ...req, topics }),
        (t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: T_DENIED })) }),
        (res, refused) => ({ ...res, topics: [...res.topics, ...refused] }),
      ),
  },
  CreatePartitions: {
    split: (req, access) =>
      splitList(
        req,
        req.topics,
        (t) => access.may(Op.ALTER, topic(t.name)),
        (topics) => ({ ...req, topics }),
        (t) => ({ name: t.name, errorCode: T_DENIED, errorMessage: `not authorized to alter topic '${t.name}'` }),
        (res, refused) => ({ ...res, results: [...res.results, ...refused] }),
      ),
  },
  DescribeConfigs: {
    split: (req, access) =>
      splitList(
        req,
        req.resources,
        (r) => configAllowed(access, Op.DESCRIBE_CONFIGS, r),
        (resources) => ({ ...req, resources }),
        (r) => ({ errorCode: configDenied(r), errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }),
        (res, refused) => ({ ...res, results: [...res.results, ...refused] }),
      ),
  },
  AlterConfigs: configRule(Op.ALTER_CONFIGS),
  IncrementalAlterConfigs: configRule(Op.ALTER_CONFIGS),
  // An idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679).
  InitProducerId: {
    require: (req) => [req.transactionalId === null ? { grants: [{ operation: Op.IDEMPOTENT_WRITE, resource: CLUSTER }, { operation: Op.WRITE, anyOf: Type.TOPIC }], code: C_DENIED } : onTxn(Op.WRITE, req.transactionalId)],
    refuse: (_req, code) => ({ errorCode: code, producerId: -1, producerEpoch: -1 }),
  },
  FindCoordinator: {
    require: (req, v) => (v >= 4 ? [] : [coordinatorCheck(req.keyType, req.key)]),
    refuse: (_req, code) => ({ errorCode: code, errorMessage: null, nodeId: -1, host: "", port: -1 }),
    split: (req, access, v) => {
      if (v < 4) return { request: req, finish: (res) => res };
      const [kept, refused] = partition(req.coordinatorKeys, (key) => granted(access, coordinatorCheck(req.keyType, key)));
      return { request: refused.length ? { ...req, coordinatorKeys: kept } : req, finish: (res) => ({ ...res, coordinators: [...(res.coordinators ?? []), ...refused.map((key) => ({ key, nodeId: -1, host: "", port: -1, errorCode: coordinatorCheck(req.keyType, key).code }))] }) };
    },
  },
  JoinGroup: {
    require: (req) => [onGroup(Op.READ, req.groupId)],
    refuse: (req, code, v) => ({ errorCode: code, generationId: -1, protocolName: v >= 7 ? null : "", leader: "", memberId: req.memberId, members: [] }),
  },
  SyncGroup: { require: (req) => [onGroup(Op.READ, req.groupId)], refuse: (_req, code) => ({ errorCode: code, assignment: Buffer.alloc(0) }) },
  Heartbeat: { require: (req) => [onGroup(Op.READ, req.groupId)], refuse: (_req, code) => ({ errorCode: code }) },
  LeaveGroup: { require: (req) => [onGroup(Op.READ, req.groupId)], refuse: (_req, code) => ({ errorCode: code, members: [] }) },
  OffsetCommit: offsetCommitRule((req) => [onGroup(Op.READ, req.groupId)]),
  OffsetFetch: {
    require: (req, v) => (v >= 8 ? [] : [onGroup(Op.DESCRIBE, req.groupId)]),
    refuse: (req, code, v) => (v >= 2 ? { errorCode: code, topics: [] } : { topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, metadata: null, errorCode: code })) })) }),
    // Topics the principal may not DESCRIBE: TOPIC_AUTHORIZATION_FAILED when named, left out when all are asked for.
    split: (req, access, v) => {
      const describable = (name: string) => access.may(Op.DESCRIBE, topic(name));
      const refusedTopic = (t: { name: string; partitionIndexes: number[] }) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, metadata: null, errorCode: T_DENIED })) });
      if (v < 8) {
        const [kept, refused] = req.topics ? partition(req.topics, (t) => describable(t.name)) : [null, []];
        return { request: refused.length ? { ...req, topics: kept } : req, finish: (res) => ({ ...res, topics: [...(res.topics ?? []).filter((t) => describable(t.name)), ...refused.map(refusedTopic)] }) };
      }
      const [groups, refusedGroups] = partition(req.groups, (g) => access.may(Op.DESCRIBE, group(g.groupId)));
      const refusedTopics = new Map(groups.map((g) => [g.groupId, (g.topics ?? []).filter((t) => !describable(t.name))]));
      return {
        request: { ...req, groups: groups.map((g) => ({ ...g, topics: g.topics && g.topics.filter((t) => describable(t.name)) })) },
        finish: (res) => ({
          ...res,
          groups: [
            ...(res.groups ?? []).map((g) => ({ ...g, topics: [...g.topics.filter((t) => describable(t.name)), ...(refusedTopics.get(g.groupId) ?? []).map(refusedTopic)] })),
            ...refusedGroups.map((g) => ({ groupId: g.groupId, topics: [], errorCode: G_DENIED })),
          ],
        }),
      };
    },
  },
  DescribeGroups: {
    split: (req, access) => {
      const [kept, refused] = partition(req.groups, (g) => access.may(Op.DESCRIBE, group(g)));
      return {
        request: refused.length ? { ...req, groups: kept } : req,
        finish: (res) => ({
          ...res,
          groups: [
            ...res.groups.map((g) => (req.includeAuthorizedOperations ? { ...g, authorizedOperations: access.operations(group(g.groupId)) } : g)),
            ...refused.map((groupId) => ({ errorCode: G_DENIED, groupId, groupState: "", protocolType: "", protocolData: "", members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED })),
          ],
        }),
      };
    },
  },
  // DESCRIBE on the cluster lists every group; otherwise only the groups the principal may DESCRIBE.
  ListGroups: {
    split: (req, access) => ({ request: req, finish: (res) => (access.may(Op.DESCRIBE, CLUSTER) ? res : { ...res, groups: res.groups.filter((g) => access.may(Op.DESCRIBE, group(g.groupId))) }) }),
  },
  DeleteGroups: {
    split: (req, access) =>
      splitList(
        req,
        req.groupsNames,
        (g) => access.may(Op.DELETE, group(g)),
        (groupsNames) => ({ ...req, groupsNames }),
        (groupId) => ({ groupId, errorCode: G_DENIED }),
        (res, refused) => ({ ...res, results: [...res.results, ...refused] }),
      ),
  },
  OffsetDelete: {
    require: (req) => [onGroup(Op.DELETE, req.groupId)],
    refuse: (_req, code) => ({ errorCode: code, topics: [] }),
    split: (req, access) =>
      splitList(
        req,
        req.topics,
        (t) => access.may(Op.READ, topic(t.name)),
        (topics) => ({ ...req, topics }),
        (t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: T_DENIED })) }),
        (res, refused) => ({ ...res, topics: [...res.topics, ...refused] }),
      ),
  },
  // A transaction is only touched by who may WRITE its transactional id.
  AddPartitionsToTxn: {
    require: (req) => [onTxn(Op.WRITE, req.transactionalId)],
    refuse: (req, code) => ({ resultsByTopic: req.topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code })) })) }),
    // No partition is added unless the principal may WRITE every topic: the refused ones say why
    // and, as in Kafka, an authorized missing topic says it is missing and the rest were not attempted.
    split: (req, access) => {
      const writable = (name: string) => access.may(Op.WRITE, topic(name));
      if (req.topics.every((t) => writable(t.name))) return { request: req, finish: unchanged };
      const code = (name: string) => (!writable(name) ? T_DENIED : access.topicExists(name) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      return { answer: { resultsByTopic: req.topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code(t.name) })) })) } };
    },
  },
  AddOffsetsToTxn: { require: (req) => [onTxn(Op.WRITE, req.transactionalId), onGroup(Op.READ, req.groupId)], refuse: (_req, code) => ({ errorCode: code }) },
  EndTxn: { require: (req) => [onTxn(Op.WRITE, req.transactionalId)], refuse: (_req, code) => ({ errorCode: code }) },
  TxnOffsetCommit: offsetCommitRule((req) => [onTxn(Op.WRITE, req.transactionalId), onGroup(Op.READ, req.groupId)]),
  // Between brokers in Kafka, so only for principals trusted with the cluster's own actions.
  WriteTxnMarkers: {
    require: () => [cluster(Op.CLUSTER_ACTION)],
    refuse: (req, code) => ({ markers: req.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: code })) })) })) }),
  },
  DescribeTransactions: {
    split: (req, access) =>
      splitList(
        req,
        req.transactionalIds,
        (id) => access.may(Op.DESCRIBE, txn(id)),
        (transactionalIds) => ({ ...req, transactionalIds }),
        (transactionalId) => ({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] }),
        (res, refused) => ({ ...res, transactionStates: [...res.transactionStates, ...refused] }),
      ),
  },
  ListTransactions: {
    split: (req, access) => ({ request: req, finish: (res) => ({ ...res, transactionStates: res.transactionStates.filter((s) => access.may(Op.DESCRIBE, txn(s.transactionalId))) }) }),
  },
  DescribeCluster: {
    split: (req, access) => ({ request: req, finish: (res) => (req.includeClusterAuthorizedOperations ? { ...res, clusterAuthorizedOperations: access.operations(CLUSTER) } : res) }),
  },
  ElectLeaders: {
    require: () => [cluster(Op.ALTER)],
    refuse: (req, code) => ({ errorCode: code, replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: code, errorMessage: "not authorized to elect leaders (needs ALTER on the cluster)" })) })) }),
  },
  AlterPartitionReassignments: {
    require: () => [cluster(Op.ALTER)],
    refuse: (_req, code) => ({ errorCode: code, errorMessage: "not authorized to reassign partitions (needs ALTER on the cluster)", responses: [] }),
  },
  ListPartitionReassignments: {
    require: () => [cluster(Op.DESCRIBE)],
    refuse: (_req, code) => ({ errorCode: code, errorMessage: "not authorized to list partition reassignments (needs DESCRIBE on the cluster)", topics: [] }),
  },
  DescribeLogDirs: {
    require: () => [cluster(Op.DESCRIBE)],
    refuse: (_req, code, v) => (v >= 3 ? { throttleTimeMs: 0, errorCode: code, results: [] } : { throttleTimeMs: 0, results: [] }),
  },
  DescribeAcls: { require: () => [cluster(Op.DESCRIBE)], refuse: (_req, code) => ({ errorCode: code, errorMessage: "not authorized to describe ACLs (needs DESCRIBE on the cluster)", resources: [] }) },
  CreateAcls: { require: () => [cluster(Op.ALTER)], refuse: (req, code) => ({ results: req.creations.map(() => ({ errorCode: code, errorMessage: "not authorized to create ACLs (needs ALTER on the cluster)" })) }) },
  DeleteAcls: { require: () => [cluster(Op.ALTER)], refuse: (req, code) => ({ filterResults: req.filters.map(() => ({ errorCode: code, errorMessage: "not authorized to delete ACLs (needs ALTER on the cluster)", matchingAcls: [] })) }) },
  DescribeUserScramCredentials: { require: () => [cluster(Op.DESCRIBE)], refuse: (_req, code) => ({ errorCode: code, errorMessage: "not authorized to describe SCRAM credentials (needs DESCRIBE on the cluster)", results: [] }) },
  AlterUserScramCredentials: {
    require: () => [cluster(Op.ALTER)],
    refuse: (req, code) => ({ results: [...new Set([...req.deletions, ...req.upsertions].map((c) => c.name))].map((user) => ({ user, errorCode: code, errorMessage: "not authorized to alter SCRAM credentials (needs ALTER on the cluster)" })) }),
  },
  DescribeClientQuotas: { require: () => [cluster(Op.DESCRIBE_CONFIGS)], refuse: (_req, code) => ({ errorCode: code, errorMessage: "not authorized to describe client quotas (needs DESCRIBE_CONFIGS on the cluster)", entries: null }) },
  AlterClientQuotas: { require: () => [cluster(Op.ALTER_CONFIGS)], refuse: (req, code) => ({ entries: req.entries.map((e) => ({ errorCode: code, errorMessage: "not authorized to alter client quotas (needs ALTER_CONFIGS on the cluster)", entity: e.entity })) }) },
};

function coordinatorCheck(keyType: number, key: string): Requirement {
  return keyType === CoordinatorType.TRANSACTION ? onTxn(Op.DESCRIBE, key) : onGroup(Op.DESCRIBE, key);
}

/** Topic configs need the operation on the topic; broker configs on the cluster. */
function configAllowed(access: Access, operation: number, r: { resourceType: number; resourceName: string }): boolean {
  return access.may(operation, r.resourceType === ConfigResourceType.TOPIC ? topic(r.resourceName) : CLUSTER);
}

const configDenied = (r: { resourceType: number }) => (r.resourceType === ConfigResourceType.TOPIC ? T_DENIED : C_DENIED);

/**
 * Serves a request under its rule: refused whole when a requirement fails, else the handler sees
 * only what the principal may touch and the response gets the refused entries back.
 */
export function authorizeRequest<N extends ApiName>(name: N, req: RequestOf<N>, version: number, access: Access, handle: (req: RequestOf<N>) => Promise<ResponseInputOf<N> | null> | ResponseInputOf<N> | null): Promise<ResponseInputOf<N> | null> | ResponseInputOf<N> | null {
  const rule: Rule<N> | undefined = AUTHORIZATION[name];
  if (!rule) return handle(req);
  for (const r of rule.require?.(req, version) ?? []) {
    if (!granted(access, r)) return rule.refuse!(req, r.code, version);
  }
  if (!rule.split) return handle(req);
  const split = rule.split(req, access, version);
  if ("answer" in split) return split.answer;
  const res = handle(split.request);
  const finish = (r: ResponseInputOf<N> | null) => r && split.finish(r);
  return res instanceof Promise ? res.then(finish) : finish(res);
}
