import { CoordinatorType } from "../../kafka/constants";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { coordinatorIn, offsetsTopicCreator, type CoordinatorLocation, type CoordinatorTopicCreator } from "../groups/cluster-coordinators";
import { transactionStateTopicCreator } from "../transactions/cluster";
import { self, type BrokerContext } from "./context";
import type { HandlerRegistry, RequestInfo } from "./registry";

type Coordinator = NonNullable<ResponseInputOf<"FindCoordinator">["coordinators"]>[number];

/**
 * FindCoordinator and the classic group protocol, which the group coordinator implements. In a
 * cluster each group is served by the leader of its __consumer_offsets partition: a request for
 * a group this broker does not coordinate gets NOT_COORDINATOR (or COORDINATOR_LOAD_IN_PROGRESS
 * while the partition is being loaded), so the client asks FindCoordinator again.
 */
export function registerGroupHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  const g = b.groups;
  const gate = (groupId: string) => g.coordinatorError(groupId);
  const topics = b.cluster && { [CoordinatorType.GROUP]: offsetsTopicCreator(b.cluster), [CoordinatorType.TRANSACTION]: transactionStateTopicCreator(b.cluster) };
  registry.register(Apis.FindCoordinator, async (req, info) => {
    if (info.apiVersion >= 4) return { coordinators: await Promise.all(req.coordinatorKeys.map((key) => findCoordinator(b, topics, key, req.keyType))) };
    const c = await findCoordinator(b, topics, req.key, info.apiVersion >= 1 ? req.keyType : CoordinatorType.GROUP);
    return { errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
  });
  registry.register(Apis.JoinGroup, (req, info) => {
    const code = gate(req.groupId);
    return code ? { errorCode: code, generationId: -1, protocolName: null, leader: "", memberId: req.memberId, members: [] } : g.joinGroup(req, info);
  });
  registry.register(Apis.SyncGroup, (req) => {
    const code = gate(req.groupId);
    return code ? { errorCode: code, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) } : g.syncGroup(req);
  });
  registry.register(Apis.Heartbeat, (req) => {
    const code = gate(req.groupId);
    return code ? { errorCode: code } : g.heartbeat(req);
  });
  registry.register(Apis.LeaveGroup, (req, info) => {
    const code = gate(req.groupId);
    return code ? { errorCode: code, members: [] } : g.leaveGroup(req, info);
  });
  registry.register(Apis.OffsetCommit, (req, info) => {
    const code = gate(req.groupId);
    return code ? { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) } : g.offsetCommit(req, info);
  });
  registry.register(Apis.OffsetFetch, (req, info) => offsetFetch(b, req, info));
  registry.register(Apis.ListGroups, (req) => g.listGroups(req));
  registry.register(Apis.DescribeGroups, (req) => {
    const codes = req.groups.map(gate);
    const served = g.describeGroups({ ...req, groups: req.groups.filter((_, i) => !codes[i]) }).groups;
    let next = 0;
    return { groups: req.groups.map((groupId, i) => (codes[i] ? { errorCode: codes[i], groupId, groupState: "", protocolType: "", protocolData: "", members: [] } : served[next++])) };
  });
  registry.register(Apis.DeleteGroups, async (req) => {
    const codes = req.groupsNames.map(gate);
    const served = (await g.deleteGroups({ groupsNames: req.groupsNames.filter((_, i) => !codes[i]) })).results;
    let next = 0;
    return { results: req.groupsNames.map((groupId, i) => (codes[i] ? { groupId, errorCode: codes[i] } : served[next++])) };
  });
  registry.register(Apis.OffsetDelete, (req) => {
    const code = gate(req.groupId);
    return code ? { errorCode: code, topics: [] } : g.offsetDelete(req);
  });
}

/** v8 asks for several groups at once: each is answered, or refused, on its own. */
function offsetFetch(b: BrokerContext, req: RequestOf<"OffsetFetch">, info: RequestInfo): ResponseInputOf<"OffsetFetch"> {
  const g = b.groups;
  if (info.apiVersion < 8) {
    const code = g.coordinatorError(req.groupId);
    return code ? { topics: [], errorCode: code } : g.offsetFetch(req, info);
  }
  const codes = req.groups.map((x) => g.coordinatorError(x.groupId));
  const served = g.offsetFetch({ ...req, groups: req.groups.filter((_, i) => !codes[i]) }, info).groups ?? [];
  let next = 0;
  return { groups: req.groups.map((x, i) => (codes[i] ? { groupId: x.groupId, topics: [], errorCode: codes[i] } : served[next++])) };
}

/**
 * A key's coordinator. A single broker coordinates everything; in a cluster a group's is the
 * leader of its __consumer_offsets partition, a transactional id's the leader of its
 * __transaction_state partition (each topic is created on the first ask).
 */
async function findCoordinator(b: BrokerContext, topics: Record<number, CoordinatorTopicCreator> | undefined, key: string, keyType: number): Promise<Coordinator> {
  const answer = (c: CoordinatorLocation): Coordinator =>
    c instanceof KafkaError ? { key, nodeId: -1, host: "", port: -1, errorCode: c.code, errorMessage: c.message } : { key, ...c, errorCode: ErrorCode.NONE, errorMessage: null };
  if (keyType !== CoordinatorType.GROUP && keyType !== CoordinatorType.TRANSACTION) return answer(new KafkaError(ErrorCode.INVALID_REQUEST, `unknown coordinator key type ${keyType}; 0 is a group, 1 a transaction`));
  if (!key) return answer(new KafkaError(keyType === CoordinatorType.GROUP ? ErrorCode.INVALID_GROUP_ID : ErrorCode.INVALID_REQUEST, "the coordinator key is empty"));
  const cluster = b.cluster;
  if (!cluster || !topics) return answer(self(b));
  const topic = await topics[keyType].ensure();
  return answer(topic instanceof KafkaError ? topic : coordinatorIn(cluster, topic, key));
}
