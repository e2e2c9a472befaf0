import type { PartitionState } from "../../cluster/store";
import { ElectionType } from "../../kafka/constants";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { mapInSlices } from "../protocol/slices";
import { clusterView, ensureTopics, errorMessage, INTERNAL_TOPICS, LEADER_EPOCH, note, type BrokerContext } from "./context";
import type { HandlerRegistry, RequestInfo } from "./registry";

type TopicMetadata = ResponseInputOf<"Metadata">["topics"][number];

/** ApiVersions, Metadata, DescribeCluster, ElectLeaders and the partition reassignments: what the cluster is, what it speaks, who leads. */
export function registerClusterHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  registry.register(Apis.ApiVersions, () => ({ errorCode: ErrorCode.NONE, apiKeys: registry.apiVersions() }));
  registry.register(Apis.Metadata, (req, info) => metadata(b, req, info));
  registry.register(Apis.ElectLeaders, (req, info) => electLeaders(b, req, info));
  registry.register(Apis.AlterPartitionReassignments, (req) => alterReassignments(b, req));
  registry.register(Apis.ListPartitionReassignments, (req) => listReassignments(b, req));
  registry.register(Apis.DescribeCluster, () => {
    const view = clusterView(b);
    return { errorCode: ErrorCode.NONE, clusterId: view.clusterId, controllerId: view.controllerId, brokers: view.brokers.map((x) => ({ brokerId: x.nodeId, host: x.host, port: x.port, rack: x.rack })) };
  });
}

async function metadata(b: BrokerContext, req: RequestOf<"Metadata">, info: RequestInfo): Promise<ResponseInputOf<"Metadata">> {
  const v = info.apiVersion;
  const wanted = req.topics;
  const all = wanted === null || (v === 0 && wanted.length === 0);
  const allowCreate = v < 4 || req.allowAutoTopicCreation;
  const names = all ? [] : wanted.map((w) => w.name || (b.logs.topicById(w.topicId)?.name ?? null));
  const missing = await ensureTopics(b, names.filter((n): n is string => n !== null), allowCreate);
  const view = clusterView(b);
  const live = new Set(view.brokers.map((x) => x.nodeId));
  const describe = (name: string): TopicMetadata => {
    const t = b.logs.topic(name)!;
    const replicated = view.topics?.get(name)?.partitions;
    return {
      errorCode: ErrorCode.NONE,
      name,
      topicId: t.topicId,
      isInternal: INTERNAL_TOPICS.has(name),
      partitions: replicated
        ? replicated.map((p) => ({ errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE, partitionIndex: p.partition, leaderId: p.leader, leaderEpoch: p.leaderEpoch, replicaNodes: p.replicas, isrNodes: p.isr, offlineReplicas: p.replicas.filter((id) => !live.has(id)) }))
        : Array.from({ length: t.partitions }, (_, p) => ({ errorCode: ErrorCode.NONE, partitionIndex: p, leaderId: b.nodeId, leaderEpoch: LEADER_EPOCH, replicaNodes: [b.nodeId], isrNodes: [b.nodeId], offlineReplicas: [] })),
    };
  };
  const topics = all
    ? await mapInSlices(b.logs.topics(), (t) => describe(t.name))
    : await mapInSlices(wanted, (w, i): TopicMetadata => {
        const name = names[i];
        if (!name) return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: w.topicId, partitions: [] };
        const err = missing.get(name);
        return err ? { errorCode: note(err, "auto-create"), name, partitions: [] } : describe(name);
      });
  return { brokers: view.brokers.map((x) => ({ nodeId: x.nodeId, host: x.host, port: x.port, rack: x.rack })), clusterId: view.clusterId, controllerId: view.controllerId, topics };
}

/**
 * ElectLeaders, answered by any broker (Kafka sends it to the controller; here every broker
 * decides on the store and applies by compare-and-set). A single broker leads every partition
 * already: ELECTION_NOT_NEEDED.
 */
async function electLeaders(b: BrokerContext, req: RequestOf<"ElectLeaders">, info: RequestInfo): Promise<ResponseInputOf<"ElectLeaders">> {
  const type = info.apiVersion >= 1 ? req.electionType : ElectionType.PREFERRED;
  const wanted = req.topicPartitions?.map((t) => ({ topic: t.topic, partitions: t.partitions })) ?? null;
  const group = (results: { topic: string; partition: number; error: KafkaError | null }[]): ResponseInputOf<"ElectLeaders"> => {
    const byTopic = new Map<string, { partitionId: number; errorCode: number; errorMessage: string | null }[]>();
    for (const r of results) {
      if (!byTopic.has(r.topic)) byTopic.set(r.topic, []);
      byTopic.get(r.topic)!.push({ partitionId: r.partition, errorCode: r.error ? note(r.error, "elect leaders") : ErrorCode.NONE, errorMessage: r.error?.message ?? null });
    }
    return { errorCode: ErrorCode.NONE, replicaElectionResults: [...byTopic].map(([topic, partitionResult]) => ({ topic, partitionResult })) };
  };
  if (type !== ElectionType.PREFERRED && type !== ElectionType.UNCLEAN) return { errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
  if (!b.cluster) {
    const all = wanted ?? b.logs.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) }));
    return group(all.flatMap((t) => t.partitions.map((partition) => {
      const exists = partition >= 0 && partition < (b.logs.topic(t.topic)?.partitions ?? 0);
      return { topic: t.topic, partition, error: exists ? new KafkaError(ErrorCode.ELECTION_NOT_NEEDED, `broker ${b.nodeId} is the only replica and leads ${t.topic}-${partition}`) : new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${t.topic}-${partition} does not exist`) };
    })));
  }
  try {
    return group(await b.cluster.electLeaders(type === ElectionType.PREFERRED ? "preferred" : "unclean", wanted));
  } catch (err) {
    const code = note(err, "elect leaders");
    return { errorCode: code, replicaElectionResults: (wanted ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: code, errorMessage: errorMessage(err) })) })) };
  }
}

/**
 * AlterPartitionReassignments, answered by any broker (decided on the store, applied by
 * compare-and-set; the controller completes each). A single broker has no other broker to move a
 * replica to: its own id as the target changes nothing, any other is INVALID_REPLICA_ASSIGNMENT.
 */
async function alterReassignments(b: BrokerContext, req: RequestOf<"AlterPartitionReassignments">): Promise<ResponseInputOf<"AlterPartitionReassignments">> {
  const wanted = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
  let results: (KafkaError | null)[];
  if (b.cluster) {
    try {
      results = await b.cluster.reassign(wanted);
    } catch (err) {
      const code = note(err, "alter partition reassignments");
      return { errorCode: code, errorMessage: errorMessage(err), responses: [] };
    }
  } else {
    results = wanted.map((w) => {
      if (w.partition < 0 || w.partition >= (b.logs.topic(w.topic)?.partitions ?? 0)) return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${w.topic}-${w.partition} does not exist`);
      if (w.replicas === null) return new KafkaError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "no reassignment of this partition is in progress");
      if (w.replicas.length === 1 && w.replicas[0] === b.nodeId) return null;
      return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `broker ${b.nodeId} runs alone (no cluster configured): its partitions cannot move to [${w.replicas.join(", ")}]`);
    });
  }
  const byTopic = new Map<string, { partitionIndex: number; errorCode: number; errorMessage: string | null }[]>();
  wanted.forEach((w, i) => {
    const e = results[i];
    if (!byTopic.has(w.topic)) byTopic.set(w.topic, []);
    byTopic.get(w.topic)!.push({ partitionIndex: w.partition, errorCode: e ? note(e, "alter partition reassignments") : ErrorCode.NONE, errorMessage: e?.message ?? null });
  });
  return { errorCode: ErrorCode.NONE, errorMessage: null, responses: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
}

/** ListPartitionReassignments: the reassignments in progress (a single broker never has one). */
async function listReassignments(b: BrokerContext, req: RequestOf<"ListPartitionReassignments">): Promise<ResponseInputOf<"ListPartitionReassignments">> {
  if (!b.cluster) return { errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  let found: { topic: string; partition: PartitionState }[];
  try {
    found = await b.cluster.listReassignments(req.topics?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) ?? null);
  } catch (err) {
    return { errorCode: note(err, "list partition reassignments"), errorMessage: errorMessage(err), topics: [] };
  }
  const byTopic = new Map<string, { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[]>();
  for (const { topic, partition: p } of found) {
    if (!byTopic.has(topic)) byTopic.set(topic, []);
    byTopic.get(topic)!.push({ partitionIndex: p.partition, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas });
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
}
