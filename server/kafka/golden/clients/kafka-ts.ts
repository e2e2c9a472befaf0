import { once } from "node:events";
import { API, createKafkaClient, saslPlain, saslScramSha256, saslScramSha512, setLogger, type SASLProvider } from "kafka-ts";
import type { IsolationLevel } from "kafka-ts/dist/api/fetch";
import { packageVersion, SASL_USER, saslScenarios, type Client, type RunContext } from "./scenario";

const quiet = () => undefined;
setLogger({ debug: quiet, info: quiet, warn: quiet, error: quiet });

const READ_UNCOMMITTED = 0 as IsolationLevel;
const TOPIC_RESOURCE = 2;
const SET_CONFIG = 0;

function client(ctx: RunContext) {
  const [host, port] = ctx.bootstrap.split(":");
  const providers: Record<string, (c: typeof SASL_USER) => SASLProvider> = { PLAIN: saslPlain, "SCRAM-SHA-256": saslScramSha256, "SCRAM-SHA-512": saslScramSha512 };
  const sasl = ctx.sasl ? providers[ctx.sasl.mechanism](SASL_USER) : null;
  return createKafkaClient({ clientId: "golden", bootstrapServers: [{ host, port: Number(port) }], sasl, requestTimeout: 10_000 });
}

type Send = ReturnType<ReturnType<typeof client>["createCluster"]>["sendRequest"];

/** A connected cluster for a scenario's low-level requests, disconnected however the scenario ends. */
async function withCluster(ctx: RunContext, use: (send: Send) => Promise<void>): Promise<void> {
  const cluster = client(ctx).createCluster();
  await cluster.connect();
  try {
    await use(cluster.sendRequest);
  } finally {
    await cluster.disconnect();
  }
}

/** Every admin API kafka-ts has a request for, through its low-level API (each at the highest version both sides know). */
async function adminScenario(ctx: RunContext): Promise<void> {
  await withCluster(ctx, async (send) => {
    const name = `${ctx.prefix}-ts-admin`;
    await send(API.CREATE_TOPICS, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: "retention.ms", value: "3600000" }] }], timeoutMs: 10_000, validateOnly: false });
    await send(API.METADATA, { topics: [{ id: null, name }], allowTopicAutoCreation: false, includeTopicAuthorizedOperations: false });
    await send(API.CREATE_PARTITIONS, { topics: [{ name, count: 2, assignments: null }], timeoutMs: 10_000, validateOnly: false });
    const resources = [{ resourceType: TOPIC_RESOURCE, resourceName: name }];
    await send(API.DESCRIBE_CONFIGS, { resources: resources.map((r) => ({ ...r, configurationKeys: ["retention.ms"] })), includeSynonyms: true, includeDocumentation: true });
    await send(API.ALTER_CONFIGS, { resources: resources.map((r) => ({ ...r, configs: [{ name: "retention.ms", value: "7200000" }] })), validateOnly: false });
    await send(API.INCREMENTAL_ALTER_CONFIGS, { resources: resources.map((r) => ({ ...r, configs: [{ name: "retention.ms", configOperation: SET_CONFIG, value: "5400000" }] })), validateOnly: false });
    for (const timestamp of [-1n, -2n, -3n, BigInt(Date.now() - 60_000)]) {
      await send(API.LIST_OFFSETS, { replicaId: -1, isolationLevel: READ_UNCOMMITTED, topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
    }
    await send(API.OFFSET_FOR_LEADER_EPOCH, { topics: [{ topic: name, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
    await send(API.DELETE_RECORDS, { topics: [{ name, partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 10_000 });
    await send(API.DESCRIBE_CLUSTER, { includeClusterAuthorizedOperations: false });
    await send(API.DELETE_TOPICS, { topics: [{ name, topicId: null }], timeoutMs: 10_000 });
  });
}

const ZERO_TOPIC_ID = "00000000-0000-0000-0000-000000000000";

/** The producer and a group consumer, then the group APIs on the group they left behind. */
async function groupScenario(ctx: RunContext): Promise<void> {
  const kafka = client(ctx);
  const topic = `${ctx.prefix}-ts`;
  const groupId = `${ctx.prefix}-ts-group`;
  const producer = kafka.createProducer({ allowTopicAutoCreation: true });
  await producer.send([0, 1].map((i) => ({ topic, partition: 0, key: "k", value: `golden-${i}`, headers: { h: "1" } })));
  await producer.close();
  let seen = 0;
  let done: () => void = () => undefined;
  const received = new Promise<void>((resolve) => (done = resolve));
  // A short session makes it heartbeat (every tenth of the session) before the scenario ends.
  const consumer = await kafka.startConsumer({ groupId, topics: [topic], fromBeginning: true, maxWaitMs: 200, sessionTimeoutMs: 6_000, onBatch: (messages) => void ((seen += messages.length) >= 2 && done()) });
  try {
    const late = (what: string) => new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} in 20 s`)), 20_000));
    await Promise.race([received, late(`consumer saw ${seen} of 2 records`)]);
    await Promise.race([once(consumer, "heartbeat"), late("no heartbeat")]);
  } finally {
    await consumer.close();
  }
  await withCluster(ctx, async (send) => {
    await send(API.FIND_COORDINATOR, { keyType: 0, keys: [groupId] });
    await send(API.LIST_GROUPS, { statesFilter: [], typesFilter: [] });
    await send(API.DESCRIBE_GROUPS, { groups: [groupId], includeAuthorizedOperations: false });
    await send(API.OFFSET_FETCH, { groups: [{ groupId, topics: [{ name: topic, topicId: ZERO_TOPIC_ID, partitionIndexes: [0] }] }], requireStable: false });
    const partitions = [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }];
    await send(API.OFFSET_COMMIT, { groupId, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: topic, topicId: ZERO_TOPIC_ID, partitions }] });
    await send(API.OFFSET_DELETE, { groupId, topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] });
    await send(API.DELETE_GROUPS, { groupsNames: [groupId] });
  });
}

// Kafka's enum values (org.apache.kafka.common.acl and resource): ANY matches every value in a filter.
const { ANY, LITERAL, READ, ALLOW } = { ANY: 1, LITERAL: 3, READ: 3, ALLOW: 3 };
const SCRAM_SHA_256 = 1;
const COORDINATOR_TRANSACTION = 1;

/** A transaction by hand, as a transactional producer runs it: partitions and group offsets added, committed, then described and listed. */
async function transactionScenario(ctx: RunContext): Promise<void> {
  await withCluster(ctx, async (send) => {
    const name = `${ctx.prefix}-ts-txn`;
    const transactionalId = name;
    const groupId = `${name}-group`;
    await send(API.CREATE_TOPICS, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    await send(API.FIND_COORDINATOR, { keyType: COORDINATOR_TRANSACTION, keys: [transactionalId] });
    const { producerId, producerEpoch } = await send(API.INIT_PRODUCER_ID, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const txn = { transactionalId, producerId, producerEpoch };
    const topics = [{ name, partitions: [0] }];
    await send(API.ADD_PARTITIONS_TO_TXN, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics, transactions: [{ ...txn, verifyOnly: false, topics }] });
    await send(API.ADD_OFFSETS_TO_TXN, { ...txn, groupId });
    const partitions = [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }];
    await send(API.TXN_OFFSET_COMMIT, { ...txn, groupId, generationId: -1, memberId: "", groupInstanceId: null, topics: [{ name, partitions }] });
    await send(API.END_TXN, { ...txn, committed: true });
    await send(API.DESCRIBE_TRANSACTIONS, { transactionalIds: [transactionalId] });
    await send(API.LIST_TRANSACTIONS, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: null });
    // What a coordinator sends a partition leader; the broker serves it, so a client speaking it is checked too.
    await send(API.WRITE_TXN_MARKERS, { markers: [{ producerId, producerEpoch, transactionResult: false, topics: [{ name, partitionIndexes: [0] }], coordinatorEpoch: 0 }] });
    await send(API.DESCRIBE_LOG_DIRS, { topics: [{ topic: name, partitions: [0] }] });
    // Other scenarios list every group: the ones left behind would swell their captured answers.
    await send(API.DELETE_GROUPS, { groupsNames: [groupId] });
    await send(API.DELETE_TOPICS, { topics: [{ name, topicId: null }], timeoutMs: 10_000 });
  });
}

/** As a super user on the broker with the ACL authorizer: ACLs, client quotas and SCRAM credentials created, described and removed. */
async function securityScenario(ctx: RunContext): Promise<void> {
  await withCluster(ctx, async (send) => {
    const name = `${ctx.prefix}-ts-acl`;
    const binding = { resourceType: TOPIC_RESOURCE, resourceName: name, resourcePatternType: LITERAL, principal: `User:${name}`, host: "*", operation: READ, permissionType: ALLOW };
    await send(API.CREATE_ACLS, { creations: [binding] });
    await send(API.DESCRIBE_ACLS, { resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY });
    const { resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType } = binding;
    await send(API.DELETE_ACLS, { filters: [{ resourceTypeFilter: resourceType, resourceNameFilter: resourceName, patternTypeFilter: resourcePatternType, principalFilter: principal, hostFilter: host, operation, permissionType }] });
    const entity = [{ entityType: "client-id", entityName: name }];
    await send(API.ALTER_CLIENT_QUOTAS, { entries: [{ entity, ops: [{ key: "producer_byte_rate", value: 1_048_576, remove: false }] }], validateOnly: false });
    await send(API.DESCRIBE_CLIENT_QUOTAS, { components: [{ entityType: "client-id", matchType: 0, match: name }], strict: false });
    await send(API.ALTER_CLIENT_QUOTAS, { entries: [{ entity, ops: [{ key: "producer_byte_rate", value: 0, remove: true }] }], validateOnly: false });
    const salted = { iterations: 4096, salt: Buffer.alloc(16, 7), saltedPassword: Buffer.alloc(32, 9) };
    await send(API.ALTER_USER_SCRAM_CREDENTIALS, { deletions: [], upsertions: [{ name, mechanism: SCRAM_SHA_256, ...salted }] });
    await send(API.DESCRIBE_USER_SCRAM_CREDENTIALS, { users: [{ name }] });
    await send(API.ALTER_USER_SCRAM_CREDENTIALS, { deletions: [{ name, mechanism: SCRAM_SHA_256 }], upsertions: [] });
  });
}

export function kafkaTsClient(): Client {
  return {
    name: `kafka-ts ${packageVersion("kafka-ts")}`,
    scenarios: [
      { name: "admin (low-level API)", run: adminScenario },
      { name: "producer, group consumer and group APIs", run: groupScenario },
      { name: "transactions (low-level API)", run: transactionScenario },
      { name: "ACLs, quotas and SCRAM credentials (low-level API)", sasl: { mechanism: "SCRAM-SHA-256", ...SASL_USER }, run: securityScenario },
      ...saslScenarios((ctx) => withCluster(ctx, async (send) => void (await send(API.METADATA, { topics: null })))),
    ],
  };
}
