import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { mapInSlices } from "../protocol/slices";
import { clusterView, ensureTopics, INTERNAL_TOPICS, LEADER_EPOCH, note, type BrokerContext } from "./context";
import type { HandlerRegistry, RequestInfo } from "./registry";

type TopicMetadata = ResponseInputOf<"Metadata">["topics"][number];

/** ApiVersions, Metadata and DescribeCluster: what the cluster is and what it speaks. */
export function registerClusterHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  registry.register(Apis.ApiVersions, () => ({ errorCode: ErrorCode.NONE, apiKeys: registry.apiVersions() }));
  registry.register(Apis.Metadata, (req, info) => metadata(b, req, info));
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
