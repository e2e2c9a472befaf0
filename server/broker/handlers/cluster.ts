import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { OFFSETS_TOPIC } from "../groups/offsets-store";
import { mapInSlices } from "../protocol/slices";
import { ensureTopics, LEADER_EPOCH, note, self, type BrokerContext } from "./context";
import type { HandlerRegistry, RequestInfo } from "./registry";

type TopicMetadata = ResponseInputOf<"Metadata">["topics"][number];

/** ApiVersions, Metadata and DescribeCluster: what the cluster is and what it speaks. */
export function registerClusterHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  registry.register(Apis.ApiVersions, () => ({ errorCode: ErrorCode.NONE, apiKeys: registry.apiVersions() }));
  registry.register(Apis.Metadata, (req, info) => metadata(b, req, info));
  registry.register(Apis.DescribeCluster, () => ({
    errorCode: ErrorCode.NONE,
    clusterId: b.logs.clusterId,
    controllerId: b.nodeId,
    brokers: [{ ...self(b), brokerId: b.nodeId, rack: null }],
  }));
}

async function metadata(b: BrokerContext, req: RequestOf<"Metadata">, info: RequestInfo): Promise<ResponseInputOf<"Metadata">> {
  const v = info.apiVersion;
  const wanted = req.topics;
  const all = wanted === null || (v === 0 && wanted.length === 0);
  const allowCreate = v < 4 || req.allowAutoTopicCreation;
  const names = all ? [] : wanted.map((w) => w.name || (b.logs.topicById(w.topicId)?.name ?? null));
  const missing = await ensureTopics(b, names.filter((n): n is string => n !== null), allowCreate);
  const describe = (name: string): TopicMetadata => {
    const t = b.logs.topic(name)!;
    return {
      errorCode: ErrorCode.NONE,
      name,
      topicId: t.topicId,
      isInternal: name === OFFSETS_TOPIC,
      partitions: Array.from({ length: t.partitions }, (_, p) => ({ errorCode: ErrorCode.NONE, partitionIndex: p, leaderId: b.nodeId, leaderEpoch: LEADER_EPOCH, replicaNodes: [b.nodeId], isrNodes: [b.nodeId], offlineReplicas: [] })),
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
  return {
    brokers: [{ ...self(b), rack: null }],
    clusterId: b.logs.clusterId,
    controllerId: b.nodeId,
    topics,
  };
}
