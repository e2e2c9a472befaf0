import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AclOperation as Op, AclPermissionType, AclResourceType as Type, ConfigResourceType, CoordinatorType, PatternType } from "../../kafka/constants";
import { ErrorCode, errorName } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import { encodeRecordBatch } from "../../kafka/records/batch";
import type { RequestInputOf, ResponseOf } from "../../kafka/protocol";
import { startTestBroker } from "../compat/harness";
import { operationName, resourceTypeName } from "./acl";
import { AUTHORIZATION } from "./authorization";
import { call, grant, revokeAll, userConnection, type UserConnection } from "./testing";

/**
 * For every API the broker serves that Kafka authorizes: a user without the needed ACL is refused
 * with Kafka's error code, and served once it has it. Real broker, real SASL/SCRAM logins, raw
 * protocol requests.
 */

const T = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const G = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const C = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const X = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

/** The transaction "tx" the admin opened in beforeAll; the transaction cases run in the order a producer sends them. */
const producer = { producerId: -1, producerEpoch: -1 };
const tx = () => ({ transactionalId: "tx", ...producer });

interface Case<N extends ApiName> {
  api: N;
  version: number;
  body: () => RequestInputOf<N>;
  /** The code the refusal (and the served answer) is read from. */
  code: (res: ResponseOf<N>) => number;
  refused: number;
  /** ACLs (operation on a resource) that make it served. */
  needs: [number, number, string][];
  /** What the served answer's code must be (default: anything but the refusal). */
  served?: number[];
}

const records = () => encodeRecordBatch([{ key: null, value: Buffer.from("v") }]);
const topicCode = <R extends { errorCode: number }>(list: { partitions: readonly R[] }[]) => list[0].partitions[0].errorCode;

const CASES: { [N in ApiName]?: Case<N> } = {
  Produce: { api: "Produce", version: 7, body: () => ({ transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "t", partitionData: [{ index: 0, records: records() }] }] }), code: (r) => r.responses[0].partitionResponses[0].errorCode, refused: T, needs: [[Op.WRITE, Type.TOPIC, "t"]], served: [0] },
  Fetch: { api: "Fetch", version: 11, body: () => ({ maxWaitMs: 0, minBytes: 0, isolationLevel: 0, topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] }] }), code: (r) => topicCode(r.responses), refused: T, needs: [[Op.READ, Type.TOPIC, "t"]], served: [0] },
  ListOffsets: { api: "ListOffsets", version: 5, body: () => ({ replicaId: -1, topics: [{ name: "t", partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }), code: (r) => topicCode(r.topics), refused: T, needs: [[Op.DESCRIBE, Type.TOPIC, "t"]], served: [0] },
  Metadata: { api: "Metadata", version: 9, body: () => ({ topics: [{ name: "t" }], allowAutoTopicCreation: false }), code: (r) => r.topics[0].errorCode, refused: T, needs: [[Op.DESCRIBE, Type.TOPIC, "t"]], served: [0] },
  OffsetForLeaderEpoch: { api: "OffsetForLeaderEpoch", version: 3, body: () => ({ replicaId: -1, topics: [{ topic: "t", partitions: [{ partition: 0, leaderEpoch: 0 }] }] }), code: (r) => topicCode(r.topics), refused: T, needs: [[Op.DESCRIBE, Type.TOPIC, "t"]], served: [0] },
  CreateTopics: { api: "CreateTopics", version: 4, body: () => ({ topics: [{ name: "made", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }), code: (r) => r.topics[0].errorCode, refused: T, needs: [[Op.CREATE, Type.TOPIC, "made"]], served: [0] },
  DeleteTopics: { api: "DeleteTopics", version: 4, body: () => ({ topicNames: ["victim"], timeoutMs: 5000 }), code: (r) => r.responses[0].errorCode, refused: T, needs: [[Op.DELETE, Type.TOPIC, "victim"]], served: [0] },
  DeleteRecords: { api: "DeleteRecords", version: 1, body: () => ({ topics: [{ name: "t", partitions: [{ partitionIndex: 0, offset: 0 }] }], timeoutMs: 5000 }), code: (r) => topicCode(r.topics), refused: T, needs: [[Op.DELETE, Type.TOPIC, "t"]], served: [0] },
  CreatePartitions: { api: "CreatePartitions", version: 1, body: () => ({ topics: [{ name: "grow", count: 2, assignments: null }], timeoutMs: 5000, validateOnly: true }), code: (r) => r.results[0].errorCode, refused: T, needs: [[Op.ALTER, Type.TOPIC, "grow"]], served: [0] },
  DescribeConfigs: { api: "DescribeConfigs", version: 2, body: () => ({ resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: "t", configurationKeys: null }] }), code: (r) => r.results[0].errorCode, refused: T, needs: [[Op.DESCRIBE_CONFIGS, Type.TOPIC, "t"]], served: [0] },
  AlterConfigs: { api: "AlterConfigs", version: 1, body: () => ({ resources: [{ resourceType: ConfigResourceType.BROKER, resourceName: "0", configs: [] }], validateOnly: true }), code: (r) => r.responses[0].errorCode, refused: C, needs: [[Op.ALTER_CONFIGS, Type.CLUSTER, "kafka-cluster"]] },
  IncrementalAlterConfigs: { api: "IncrementalAlterConfigs", version: 0, body: () => ({ resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: "t", configs: [{ name: "retention.ms", configOperation: 0, value: "60000" }] }], validateOnly: true }), code: (r) => r.responses[0].errorCode, refused: T, needs: [[Op.ALTER_CONFIGS, Type.TOPIC, "t"]], served: [0] },
  InitProducerId: { api: "InitProducerId", version: 1, body: () => ({ transactionalId: null, transactionTimeoutMs: 60000 }), code: (r) => r.errorCode, refused: C, needs: [[Op.IDEMPOTENT_WRITE, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  FindCoordinator: { api: "FindCoordinator", version: 2, body: () => ({ key: "g", keyType: 0 }), code: (r) => r.errorCode, refused: G, needs: [[Op.DESCRIBE, Type.GROUP, "g"]], served: [0] },
  JoinGroup: { api: "JoinGroup", version: 5, body: () => ({ groupId: "g", sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: "", protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.alloc(0) }] }), code: (r) => r.errorCode, refused: G, needs: [[Op.READ, Type.GROUP, "g"]], served: [ErrorCode.MEMBER_ID_REQUIRED] },
  SyncGroup: { api: "SyncGroup", version: 3, body: () => ({ groupId: "g", generationId: 1, memberId: "nobody", assignments: [] }), code: (r) => r.errorCode, refused: G, needs: [[Op.READ, Type.GROUP, "g"]], served: [ErrorCode.UNKNOWN_MEMBER_ID] },
  Heartbeat: { api: "Heartbeat", version: 3, body: () => ({ groupId: "g", generationId: 1, memberId: "nobody" }), code: (r) => r.errorCode, refused: G, needs: [[Op.READ, Type.GROUP, "g"]], served: [ErrorCode.UNKNOWN_MEMBER_ID] },
  LeaveGroup: { api: "LeaveGroup", version: 3, body: () => ({ groupId: "g", members: [{ memberId: "nobody" }] }), code: (r) => r.errorCode, refused: G, needs: [[Op.READ, Type.GROUP, "g"]] },
  OffsetCommit: { api: "OffsetCommit", version: 7, body: () => ({ groupId: "g", generationIdOrMemberEpoch: -1, memberId: "", topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] }] }), code: (r) => topicCode(r.topics), refused: G, needs: [[Op.READ, Type.GROUP, "g"], [Op.READ, Type.TOPIC, "t"]], served: [0] },
  OffsetFetch: { api: "OffsetFetch", version: 7, body: () => ({ groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }] }), code: (r) => r.errorCode || topicCode(r.topics), refused: G, needs: [[Op.DESCRIBE, Type.GROUP, "g"], [Op.DESCRIBE, Type.TOPIC, "t"]], served: [0] },
  DescribeGroups: { api: "DescribeGroups", version: 3, body: () => ({ groups: ["g"], includeAuthorizedOperations: true }), code: (r) => r.groups[0].errorCode, refused: G, needs: [[Op.DESCRIBE, Type.GROUP, "g"]], served: [0] },
  DeleteGroups: { api: "DeleteGroups", version: 1, body: () => ({ groupsNames: ["gone"] }), code: (r) => r.results[0].errorCode, refused: G, needs: [[Op.DELETE, Type.GROUP, "gone"]] },
  OffsetDelete: { api: "OffsetDelete", version: 0, body: () => ({ groupId: "g", topics: [{ name: "t", partitions: [{ partitionIndex: 0 }] }] }), code: (r) => r.errorCode || topicCode(r.topics), refused: G, needs: [[Op.DELETE, Type.GROUP, "g"], [Op.READ, Type.TOPIC, "t"]] },
  ElectLeaders: { api: "ElectLeaders", version: 2, body: () => ({ electionType: 0, topicPartitions: [{ topic: "t", partitions: [0] }], timeoutMs: 5000 }), code: (r) => r.replicaElectionResults[0].partitionResult[0].errorCode, refused: C, needs: [[Op.ALTER, Type.CLUSTER, "kafka-cluster"]], served: [ErrorCode.ELECTION_NOT_NEEDED] },
  AlterPartitionReassignments: { api: "AlterPartitionReassignments", version: 0, body: () => ({ topics: [{ name: "t", partitions: [{ partitionIndex: 0, replicas: null }] }] }), code: (r) => r.errorCode || r.responses[0].partitions[0].errorCode, refused: C, needs: [[Op.ALTER, Type.CLUSTER, "kafka-cluster"]], served: [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS] },
  ListPartitionReassignments: { api: "ListPartitionReassignments", version: 0, body: () => ({ topics: null }), code: (r) => r.errorCode, refused: C, needs: [[Op.DESCRIBE, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  DescribeLogDirs: { api: "DescribeLogDirs", version: 3, body: () => ({ topics: null }), code: (r) => r.errorCode, refused: C, needs: [[Op.DESCRIBE, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  DescribeAcls: { api: "DescribeAcls", version: 1, body: () => ({ resourceTypeFilter: Type.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: AclPermissionType.ANY }), code: (r) => r.errorCode, refused: C, needs: [[Op.DESCRIBE, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  CreateAcls: { api: "CreateAcls", version: 1, body: () => ({ creations: [{ resourceType: Type.TOPIC, resourceName: "x", resourcePatternType: PatternType.LITERAL, principal: "User:nobody", host: "*", operation: Op.READ, permissionType: AclPermissionType.ALLOW }] }), code: (r) => r.results[0].errorCode, refused: C, needs: [[Op.ALTER, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  DeleteAcls: { api: "DeleteAcls", version: 1, body: () => ({ filters: [{ resourceTypeFilter: Type.TOPIC, resourceNameFilter: "x", patternTypeFilter: PatternType.LITERAL, principalFilter: "User:nobody", hostFilter: null, operation: Op.ANY, permissionType: AclPermissionType.ANY }] }), code: (r) => r.filterResults[0].errorCode, refused: C, needs: [[Op.ALTER, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  DescribeUserScramCredentials: { api: "DescribeUserScramCredentials", version: 0, body: () => ({ users: null }), code: (r) => r.errorCode, refused: C, needs: [[Op.DESCRIBE, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  AlterUserScramCredentials: { api: "AlterUserScramCredentials", version: 0, body: () => ({ deletions: [{ name: "nobody", mechanism: 1 }], upsertions: [] }), code: (r) => r.results[0].errorCode, refused: C, needs: [[Op.ALTER, Type.CLUSTER, "kafka-cluster"]], served: [ErrorCode.RESOURCE_NOT_FOUND] },
  DescribeClientQuotas: { api: "DescribeClientQuotas", version: 0, body: () => ({ components: [], strict: false }), code: (r) => r.errorCode, refused: C, needs: [[Op.DESCRIBE_CONFIGS, Type.CLUSTER, "kafka-cluster"]], served: [0] },
  AddPartitionsToTxn: { api: "AddPartitionsToTxn", version: 3, body: () => ({ ...tx(), topics: [{ name: "t", partitions: [0] }] }), code: (r) => r.resultsByTopic[0].resultsByPartition[0].partitionErrorCode, refused: X, needs: [[Op.WRITE, Type.TRANSACTIONAL_ID, "tx"], [Op.WRITE, Type.TOPIC, "t"]], served: [0] },
  AddOffsetsToTxn: { api: "AddOffsetsToTxn", version: 3, body: () => ({ ...tx(), groupId: "g" }), code: (r) => r.errorCode, refused: X, needs: [[Op.WRITE, Type.TRANSACTIONAL_ID, "tx"], [Op.READ, Type.GROUP, "g"]], served: [0] },
  TxnOffsetCommit: { api: "TxnOffsetCommit", version: 3, body: () => ({ ...tx(), groupId: "g", topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 0 }] }] }), code: (r) => topicCode(r.topics), refused: X, needs: [[Op.WRITE, Type.TRANSACTIONAL_ID, "tx"], [Op.READ, Type.GROUP, "g"], [Op.READ, Type.TOPIC, "t"]], served: [0] },
  EndTxn: { api: "EndTxn", version: 3, body: () => ({ ...tx(), committed: true }), code: (r) => r.errorCode, refused: X, needs: [[Op.WRITE, Type.TRANSACTIONAL_ID, "tx"]], served: [0] },
  WriteTxnMarkers: { api: "WriteTxnMarkers", version: 1, body: () => ({ markers: [{ ...producer, transactionResult: false, topics: [{ name: "t", partitionIndexes: [0] }], coordinatorEpoch: 0 }] }), code: (r) => topicCode(r.markers[0].topics), refused: C, needs: [[Op.CLUSTER_ACTION, Type.CLUSTER, "kafka-cluster"]] },
  DescribeTransactions: { api: "DescribeTransactions", version: 0, body: () => ({ transactionalIds: ["tx"] }), code: (r) => r.transactionStates[0].errorCode, refused: X, needs: [[Op.DESCRIBE, Type.TRANSACTIONAL_ID, "tx"]], served: [0] },
  AlterClientQuotas: { api: "AlterClientQuotas", version: 0, body: () => ({ entries: [{ entity: [{ entityType: "user", entityName: "nobody" }], ops: [{ key: "producer_byte_rate", value: 1024, remove: false }] }], validateOnly: true }), code: (r) => r.entries[0].errorCode, refused: C, needs: [[Op.ALTER_CONFIGS, Type.CLUSTER, "kafka-cluster"]], served: [0] },
};

/** APIs whose rule only hides or annotates (no refusal code of their own): tested below on what they show. */
const FILTER_ONLY: ApiName[] = ["ListGroups", "DescribeCluster", "ListTransactions"];

describe("authorization of every API (raw protocol, SASL/SCRAM users)", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  let admin: UserConnection;
  let alice: UserConnection;

  beforeAll(async () => {
    t = await startTestBroker({ sasl: { mechanisms: ["SCRAM-SHA-256", "PLAIN"], users: { admin: "admin-secret", alice: "alice-secret" } }, security: { authorizer: "acl", superUsers: ["User:admin"] } });
    admin = await userConnection(t.bootstrap, "admin", "admin-secret");
    alice = await userConnection(t.bootstrap, "alice", "alice-secret");
    const made = await call(admin, Apis.CreateTopics, 4, { topics: ["t", "victim", "grow"].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000 });
    expect(made.topics.map((x) => x.errorCode)).toEqual([0, 0, 0]);
    const committed = await call(admin, Apis.OffsetCommit, 7, { groupId: "g", generationIdOrMemberEpoch: -1, memberId: "", topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] }] });
    expect(topicCode(committed.topics)).toBe(0);
    const init = await call(admin, Apis.InitProducerId, 3, { transactionalId: "tx", transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    Object.assign(producer, { producerId: init.producerId, producerEpoch: init.producerEpoch });
  });
  afterAll(async () => {
    admin?.close();
    alice?.close();
    await t?.stop();
  });

  it("has a case for every API in the authorization table", () => {
    const covered = [...Object.keys(CASES), ...FILTER_ONLY].sort();
    expect(covered).toEqual(Object.keys(AUTHORIZATION).sort());
  });

  for (const c of Object.values(CASES)) {
    it(`${c.api}: refused with ${errorName(c.refused)} without ACLs, served with ${c.needs.map(([op, type, name]) => `${operationName(op)} on ${resourceTypeName(type)} ${name}`).join(" + ")}`, async () => {
      const send = (conn: UserConnection) => call(conn, Apis[c.api], c.version, c.body() as never) as Promise<never>;
      await revokeAll(admin);
      expect(c.code(await send(alice))).toBe(c.refused);
      await grant(admin, "User:alice", c.needs);
      const served = c.code(await send(alice));
      if (c.served) expect(c.served).toContain(served);
      else expect(served).not.toBe(c.refused);
      await revokeAll(admin);
    });
  }

  it("Produce to a missing topic needs CREATE as well as WRITE, since the broker would create it", async () => {
    await revokeAll(admin);
    await grant(admin, "User:alice", [[Op.WRITE, Type.TOPIC, "fresh"]]);
    const produce = () => call(alice, Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "fresh", partitionData: [{ index: 0, records: records() }] }] });
    expect((await produce()).responses[0].partitionResponses[0].errorCode).toBe(T);
    await grant(admin, "User:alice", [[Op.CREATE, Type.TOPIC, "fresh"]]);
    expect((await produce()).responses[0].partitionResponses[0].errorCode).toBe(0);
    await revokeAll(admin);
  });

  it("Metadata hides topics without DESCRIBE and says TOPIC_AUTHORIZATION_FAILED for unknown ones alike", async () => {
    await revokeAll(admin);
    await grant(admin, "User:alice", [[Op.READ, Type.TOPIC, "t"]]);
    const all = await call(alice, Apis.Metadata, 9, { topics: null, includeTopicAuthorizedOperations: true });
    expect(all.topics.map((x) => x.name)).toEqual(["t"]);
    expect(all.topics[0].topicAuthorizedOperations).toBe((1 << Op.READ) | (1 << Op.DESCRIBE));
    const named = await call(alice, Apis.Metadata, 9, { topics: [{ name: "victim" }, { name: "no-such-topic" }], allowAutoTopicCreation: false });
    expect(named.topics.map((x) => x.errorCode)).toEqual([T, T]);
    await revokeAll(admin);
  });

  it("ListGroups lists only groups the principal may DESCRIBE; DescribeCluster reports its cluster operations", async () => {
    await revokeAll(admin);
    expect((await call(alice, Apis.ListGroups, 3, {})).groups.map((g) => g.groupId)).toEqual([]);
    const none = await call(alice, Apis.DescribeCluster, 0, { includeClusterAuthorizedOperations: true });
    expect(none.clusterAuthorizedOperations).toBe(0);
    await grant(admin, "User:alice", [[Op.DESCRIBE, Type.GROUP, "g"], [Op.CREATE, Type.CLUSTER, "kafka-cluster"]]);
    expect((await call(alice, Apis.ListGroups, 3, {})).groups.map((g) => g.groupId)).toEqual(["g"]);
    const some = await call(alice, Apis.DescribeCluster, 0, { includeClusterAuthorizedOperations: true });
    expect(some.clusterAuthorizedOperations).toBe(1 << Op.CREATE);
    await revokeAll(admin);
  });

  it("InitProducerId and FindCoordinator for a transactional id need WRITE and DESCRIBE on it", async () => {
    await revokeAll(admin);
    const init = () => call(alice, Apis.InitProducerId, 3, { transactionalId: "alice-tx", transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    const find = () => call(alice, Apis.FindCoordinator, 3, { key: "alice-tx", keyType: CoordinatorType.TRANSACTION });
    expect((await init()).errorCode).toBe(X);
    expect((await find()).errorCode).toBe(X);
    await grant(admin, "User:alice", [[Op.DESCRIBE, Type.TRANSACTIONAL_ID, "alice-tx"]]);
    expect((await find()).errorCode).toBe(0);
    expect((await init()).errorCode).toBe(X);
    await grant(admin, "User:alice", [[Op.WRITE, Type.TRANSACTIONAL_ID, "alice-tx"]]);
    expect((await init()).errorCode).toBe(0);
    await revokeAll(admin);
  });

  it("AddPartitionsToTxn adds nothing unless every topic is writable; TxnOffsetCommit refuses unreadable topics alone", async () => {
    await revokeAll(admin);
    await grant(admin, "User:alice", [[Op.WRITE, Type.TRANSACTIONAL_ID, "tx"], [Op.READ, Type.GROUP, "g"], [Op.WRITE, Type.TOPIC, "t"], [Op.READ, Type.TOPIC, "t"], [Op.WRITE, Type.TOPIC, "missing"]]);
    const add = await call(alice, Apis.AddPartitionsToTxn, 3, { ...tx(), topics: [{ name: "t", partitions: [0] }, { name: "victim", partitions: [0] }, { name: "missing", partitions: [0] }] });
    expect(add.resultsByTopic.map((r) => [r.name, r.resultsByPartition[0].partitionErrorCode])).toEqual([["t", ErrorCode.OPERATION_NOT_ATTEMPTED], ["victim", T], ["missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    const described = await call(admin, Apis.DescribeTransactions, 0, { transactionalIds: ["tx"] });
    expect(described.transactionStates[0].topics).toEqual([]);

    expect((await call(alice, Apis.AddOffsetsToTxn, 3, { ...tx(), groupId: "g" })).errorCode).toBe(0);
    const commit = await call(alice, Apis.TxnOffsetCommit, 3, { ...tx(), groupId: "g", topics: ["t", "victim"].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1 }] })) });
    expect(commit.topics.map((r) => [r.name, r.partitions[0].errorCode])).toEqual([["t", 0], ["victim", T]]);
    expect((await call(alice, Apis.EndTxn, 3, { ...tx(), committed: false })).errorCode).toBe(0);
    await revokeAll(admin);
  });

  it("ListTransactions lists only the transactional ids the principal may DESCRIBE", async () => {
    await revokeAll(admin);
    const listed = async () => (await call(alice, Apis.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 })).transactionStates.map((s) => s.transactionalId);
    expect(await listed()).toEqual([]);
    await grant(admin, "User:alice", [[Op.DESCRIBE, Type.TRANSACTIONAL_ID, "tx"]]);
    expect(await listed()).toEqual(["tx"]);
    await revokeAll(admin);
  });
});
