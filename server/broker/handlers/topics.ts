import { ConfigSource, NO_NUM_PARTITIONS, NO_REPLICATION_FACTOR, UNKNOWN_OFFSET } from "../../kafka/constants";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { OFFSETS_TOPIC } from "../groups/offsets-store";
import { TRANSACTION_STATE_TOPIC } from "../transactions/coordinator";
import type { ReplicatedTopicRequest } from "../../cluster/member";
import { forgetTopic } from "../metrics";
import { createTopics as createTopicsHere, errorMessage, MAX_TOPICS_CREATED_PER_REQUEST, note, type BrokerContext } from "./context";
import type { HandlerRegistry, RequestInfo } from "./registry";

type NewTopic = RequestOf<"CreateTopics">["topics"][number];

/** CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords and DescribeLogDirs: topics and their storage. */
export function registerTopicHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  registry.register(Apis.CreateTopics, (req) => createTopics(b, req));
  registry.register(Apis.DeleteTopics, (req, info) => deleteTopics(b, req, info));
  registry.register(Apis.CreatePartitions, async (req) => {
    const results = [];
    for (const t of req.topics) {
      try {
        // Every group's place is its id's hash modulo the partition count: more partitions would lose them.
        if (t.name === OFFSETS_TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, `${OFFSETS_TOPIC} keeps its partition count: each group lives in the partition its id hashes to`);
        if (b.cluster) await b.cluster.createPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds) ?? null, req.validateOnly);
        else await b.logs.createPartitions(t.name, t.count, req.validateOnly);
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        results.push({ name: t.name, errorCode: note(err, "create partitions"), errorMessage: errorMessage(err) });
      }
    }
    return { results };
  });
  registry.register(Apis.DeleteRecords, (req) => ({
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        try {
          const low = b.logs.partition(t.name, p.partitionIndex).deleteRecordsBefore(p.offset);
          return { partitionIndex: p.partitionIndex, lowWatermark: low, errorCode: ErrorCode.NONE };
        } catch (err) {
          return { partitionIndex: p.partitionIndex, lowWatermark: UNKNOWN_OFFSET, errorCode: note(err, "delete records") };
        }
      }),
    })),
  }));
  registry.register(Apis.DescribeLogDirs, (req) => describeLogDirs(b, req));
}

/**
 * Topics past the first MAX_TOPICS_CREATED_PER_REQUEST get THROTTLING_QUOTA_EXCEEDED, as Kafka
 * answers the topics over its controller mutation quota: Java's admin client creates them in
 * a retry by itself; other clients show the message.
 */
async function createTopics(b: BrokerContext, req: RequestOf<"CreateTopics">): Promise<ResponseInputOf<"CreateTopics">> {
  const checked = req.topics.map((t, i) => (i < MAX_TOPICS_CREATED_PER_REQUEST ? topicRequest(b, t) : new KafkaError(ErrorCode.THROTTLING_QUOTA_EXCEEDED, `at most ${MAX_TOPICS_CREATED_PER_REQUEST} topics are created per request; send the rest again`)));
  const valid = checked.filter((c): c is ReplicatedTopicRequest => !(c instanceof KafkaError));
  const created = await createTopicsHere(b, valid, { validateOnly: req.validateOnly });
  let next = 0;
  return {
    topics: req.topics.map((t, i) => {
      const check = checked[i];
      const c = check instanceof KafkaError ? check : created[next++];
      if (c instanceof KafkaError) return { name: t.name, errorCode: note(c, "create topic"), errorMessage: c.message, configs: null };
      return {
        name: t.name,
        topicId: c.topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: c.partitions,
        replicationFactor: b.cluster?.metadata().topics.get(c.name)?.partitions[0]?.replicas.length ?? 1,
        configs: Object.entries(c.configs).map(([name, value]) => ({ name, value, readOnly: false, configSource: ConfigSource.TOPIC_CONFIG, isSensitive: false })),
      };
    }),
  };
}

/** A CreateTopics entry as a topic to create, after the checks only a request can fail (replication, assignments). */
function topicRequest(b: BrokerContext, t: NewTopic): ReplicatedTopicRequest | KafkaError {
  const assignments = t.assignments;
  if (b.cluster) return replicatedTopicRequest(b, t);
  if (t.replicationFactor !== NO_REPLICATION_FACTOR && t.replicationFactor !== 1 && assignments.length === 0) {
    return new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${t.replicationFactor} larger than available brokers: 1.`);
  }
  if (assignments.length > 0 && (t.numPartitions !== NO_NUM_PARTITIONS || t.replicationFactor !== NO_REPLICATION_FACTOR)) {
    return new KafkaError(ErrorCode.INVALID_REQUEST, "give either replica assignments or numPartitions and replicationFactor, not both (set the latter to -1)");
  }
  for (const [i, a] of assignments.entries()) {
    const ids = a.brokerIds;
    if (a.partitionIndex !== i) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments must name partitions 0 to ${assignments.length - 1} in order`);
    if (ids.length !== 1 || ids[0] !== b.nodeId) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${i} is assigned to brokers [${ids.join(", ")}]; this cluster has only broker ${b.nodeId}`);
  }
  const partitions = assignments.length || (t.numPartitions === NO_NUM_PARTITIONS ? b.numPartitions : t.numPartitions);
  return { name: t.name, partitions, configs: Object.fromEntries(t.configs.map((c) => [c.name, c.value])) };
}

/** In a cluster the replicas are the cluster's to check (live brokers); here only the request's shape. */
function replicatedTopicRequest(b: BrokerContext, t: NewTopic): ReplicatedTopicRequest | KafkaError {
  const { assignments } = t;
  if (assignments.length > 0 && (t.numPartitions !== NO_NUM_PARTITIONS || t.replicationFactor !== NO_REPLICATION_FACTOR)) {
    return new KafkaError(ErrorCode.INVALID_REQUEST, "give either replica assignments or numPartitions and replicationFactor, not both (set the latter to -1)");
  }
  if (assignments.some((a, i) => a.partitionIndex !== i)) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments must name partitions 0 to ${assignments.length - 1} in order`);
  if (t.replicationFactor !== NO_REPLICATION_FACTOR && t.replicationFactor < 1) return new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be at least 1, got ${t.replicationFactor}`);
  const configs = Object.fromEntries(t.configs.map((c) => [c.name, c.value]));
  if (assignments.length) return { name: t.name, partitions: assignments.length, configs, assignment: assignments.map((a) => a.brokerIds) };
  return { name: t.name, partitions: t.numPartitions === NO_NUM_PARTITIONS ? b.numPartitions : t.numPartitions, configs, replicationFactor: t.replicationFactor === NO_REPLICATION_FACTOR ? undefined : t.replicationFactor };
}

async function deleteTopics(b: BrokerContext, req: RequestOf<"DeleteTopics">, info: RequestInfo): Promise<ResponseInputOf<"DeleteTopics">> {
  // v6 names topics by name or id; earlier versions by name only.
  const targets: { name: string | null; topicId?: string }[] = info.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name }));
  const responses = [];
  for (const t of targets) {
    const name = t.name ?? (t.topicId ? b.logs.topicById(t.topicId)?.name : undefined) ?? null;
    try {
      if (!name) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, "no topic with this id");
      if (name === OFFSETS_TOPIC) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${OFFSETS_TOPIC} is internal and holds every group's committed offsets; delete groups with DeleteGroups instead`);
      if (name === TRANSACTION_STATE_TOPIC) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${TRANSACTION_STATE_TOPIC} is internal and holds every transaction's state`);
      await (b.cluster ? b.cluster.deleteTopic(name) : b.logs.deleteTopic(name));
      forgetTopic(name);
      responses.push({ name, topicId: t.topicId, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (err) {
      responses.push({ name, topicId: t.topicId, errorCode: note(err, "delete topic"), errorMessage: errorMessage(err) });
    }
  }
  return { responses };
}

/**
 * The one log directory and the bytes of every (asked) partition in it: in a cluster only the
 * partitions this broker holds a replica of. Lag is not known here (offsetLag 0).
 */
function describeLogDirs(b: BrokerContext, req: RequestOf<"DescribeLogDirs">): ResponseInputOf<"DescribeLogDirs"> {
  const logs = b.logs;
  const replicated = b.cluster?.metadata().topics;
  const holds = (topic: string, partition: number) => !replicated?.has(topic) || (replicated.get(topic)!.partitions[partition]?.replicas.includes(b.nodeId) ?? false);
  const wanted = req.topics ?? logs.topics().map((t) => ({ topic: t.name, partitions: logs.partitions(t.name).map((p) => p.partition) }));
  const topics = wanted
    .filter((t) => logs.topic(t.topic))
    .map((t) => ({
      name: t.topic,
      partitions: logs
        .partitions(t.topic)
        .filter((p) => t.partitions.includes(p.partition) && holds(t.topic, p.partition))
        .map((p) => ({ partitionIndex: p.partition, partitionSize: p.sizeBytes, offsetLag: 0, isFutureKey: false })),
    }));
  return { errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: logs.logDir, topics }] };
}
