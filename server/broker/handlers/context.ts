import { codeOf, ErrorCode, errorName, KafkaError } from "../../kafka/errors";
import type { GroupCoordinator } from "../groups/coordinator";
import { OFFSETS_TOPIC } from "../groups/offsets-store";
import { TRANSACTION_STATE_TOPIC, type TransactionCoordinator } from "../transactions/coordinator";
import type { LogManager } from "../log/log-manager";
import { logger } from "../../log";
import type { ClusterMember, ReplicatedTopicRequest } from "../../cluster/member";
import type { BrokerEndpoint, TopicState } from "../../cluster/store";
import type { ReplicaManager } from "../../cluster/replication/manager";

export const log = logger("broker.api");

/** What the handlers share: the broker's logs, groups and transactions, and how it presents itself to clients. */
export interface BrokerContext {
  logs: LogManager;
  groups: GroupCoordinator;
  transactions: TransactionCoordinator;
  nodeId: number;
  advertisedHost: string;
  advertisedPort: () => number;
  autoCreateTopics: boolean;
  numPartitions: number;
  /** Cluster mode: brokers, controller, leaders and topic creation come from the cluster. */
  cluster?: ClusterMember;
  /** Cluster mode: the partitions this broker leads and follows. */
  replication?: ReplicaManager;
}

/** One broker, never a leader change: every partition stays at leader epoch 0. */
export const LEADER_EPOCH = 0;

/**
 * Topics one request may create (CreateTopics, or auto-creation by Metadata and Produce): each
 * request's work stays bounded, and so does the time others wait for the topic metadata write.
 */
export const MAX_TOPICS_CREATED_PER_REQUEST = 1000;

/** Topics only the broker writes: their records are its group and transaction state. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC]);

/** The text for a response's errorMessage: a Kafka error's own, or what failed unexpectedly. */
export function errorMessage(err: unknown): string | null {
  return err instanceof KafkaError ? err.message : err instanceof Error ? `${errorName(ErrorCode.UNKNOWN_SERVER_ERROR)}: ${err.message}` : null;
}

/** The error code for a failure; unexpected ones are logged, Kafka errors are part of normal operation. */
export function note(err: unknown, what: string): number {
  if (!(err instanceof KafkaError)) log.error({ err }, `${what} failed`);
  return codeOf(err);
}

/** The broker itself, as Metadata, FindCoordinator and DescribeCluster name it. */
export function self(b: BrokerContext): { nodeId: number; host: string; port: number } {
  return { nodeId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort() };
}

/**
 * The topics of a request that are not there (after waiting for any being created), each with
 * its error. Unknown ones are auto-created in one batch when allowed (auto.create.topics.enable),
 * at most MAX_TOPICS_CREATED_PER_REQUEST of them; the rest get LEADER_NOT_AVAILABLE, which
 * clients retry, so each retry creates the next batch, as Kafka answers while it creates a topic.
 */
export async function ensureTopics(b: BrokerContext, names: string[], allowCreate: boolean): Promise<Map<string, KafkaError>> {
  // Every produce and fetch asks: the usual answer (all there, none being created) costs one pass.
  if (names.every((n) => b.logs.creation(n) === undefined && b.logs.topic(n) !== undefined)) return new Map();
  // Only when some are being created: without a wait, this request's own creations are under
  // way before the next request on the connection is looked at, so that one waits for them.
  const pending = names.map((n) => b.logs.creation(n)).filter((p) => p !== undefined);
  if (pending.length) await Promise.all(pending);
  const unknown = [...new Set(names.filter((n) => !b.logs.topic(n)))];
  const missing = new Map<string, KafkaError>();
  if (!allowCreate || !b.autoCreateTopics) {
    for (const n of unknown) missing.set(n, new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${n}' does not exist`));
    return missing;
  }
  const now = unknown.slice(0, MAX_TOPICS_CREATED_PER_REQUEST);
  for (const n of unknown.slice(MAX_TOPICS_CREATED_PER_REQUEST)) missing.set(n, new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `at most ${MAX_TOPICS_CREATED_PER_REQUEST} topics are auto-created per request; retry for the rest`));
  const results = await createTopics(b, now.map((name) => ({ name, partitions: b.numPartitions })));
  results.forEach((r, i) => {
    // Another request may have created it meanwhile: then it is there.
    if (r instanceof KafkaError && r.code !== ErrorCode.TOPIC_ALREADY_EXISTS) missing.set(now[i], r);
  });
  return missing;
}

/** Topics are created through the cluster when there is one, so every broker agrees on them. */
export function createTopics(b: BrokerContext, requests: ReplicatedTopicRequest[], opts: { validateOnly?: boolean } = {}) {
  return b.cluster ? b.cluster.createTopics(requests, opts) : b.logs.createTopics(requests, opts);
}

/** The brokers, controller and cluster id clients are told about: the cluster's, or this broker alone. */
export function clusterView(b: BrokerContext): { clusterId: string; controllerId: number; brokers: BrokerEndpoint[]; topics: ReadonlyMap<string, TopicState> | undefined } {
  const m = b.cluster?.metadata();
  return m ?? { clusterId: b.logs.clusterId, controllerId: b.nodeId, brokers: [{ ...self(b), rack: null }], topics: undefined };
}

/** The partition's current leader epoch: the cluster's, or 0 on a single node. */
export function leaderEpoch(b: BrokerContext, topic: string, partition: number): number {
  return b.cluster?.metadata().topics.get(topic)?.partitions[partition]?.leaderEpoch ?? LEADER_EPOCH;
}

/**
 * A leader whose cluster lease lapsed by its own clock (paused, or cut off from the store past the
 * session timeout) may have been replaced without knowing it: it takes no acks=1 write until a
 * renewal and a fresh read of the store confirm its leadership. acks=all writes need no lease:
 * they are answered only once the in-sync followers fetched them, and a replaced leader's
 * followers fetch from the new one, so its high watermark stands still. That keeps acks=all
 * writes flowing through a Postgres outage, when nobody can have been elected.
 */
export function fencedLeader(b: BrokerContext, topic: string, partition: number): KafkaError | undefined {
  if (!b.cluster || b.cluster.leaseCurrent()) return undefined;
  return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker's cluster lease lapsed; it takes writes to ${topic}-${partition} again once it has renewed it and re-read the cluster`);
}

/** In a cluster only the partition's leader takes produce and consumer fetches; clients refresh metadata on this error. */
export function notLeader(b: BrokerContext, topic: string, partition: number): KafkaError | undefined {
  const p = b.cluster?.metadata().topics.get(topic)?.partitions[partition];
  if (!p || p.leader === b.nodeId) return undefined;
  if (p.leader === -1) return new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `no live in-sync replica of ${topic}-${partition} can lead`);
  return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${p.leader} leads ${topic}-${partition}, not this broker`);
}
