import { type Admin, CompressionTypes, Kafka, logLevel, type SASLOptions } from "kafkajs";
import { packageVersion, SASL_USER, saslScenarios, type Client, type RunContext } from "./scenario";

function kafkajs(ctx: RunContext): Kafka {
  const sasl: SASLOptions | undefined = ctx.sasl && (ctx.sasl.mechanism === "PLAIN" ? { mechanism: "plain", ...SASL_USER } : { mechanism: ctx.sasl.mechanism === "SCRAM-SHA-256" ? "scram-sha-256" : "scram-sha-512", ...SASL_USER });
  return new Kafka({ brokers: [ctx.bootstrap], clientId: "golden", logLevel: logLevel.NOTHING, sasl, retry: { retries: 2, initialRetryTime: 100 }, connectionTimeout: 5_000, requestTimeout: 10_000 });
}

/** A connected admin client for a scenario, disconnected however the scenario ends. */
async function withAdmin(ctx: RunContext, use: (admin: Admin) => Promise<void>): Promise<void> {
  const admin = kafkajs(ctx).admin();
  await admin.connect();
  try {
    await use(admin);
  } finally {
    await admin.disconnect();
  }
}

async function adminScenario(ctx: RunContext): Promise<void> {
  await withAdmin(ctx, async (admin) => {
    const topic = `${ctx.prefix}-js-admin`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: "retention.ms", value: "3600000" }] }], waitForLeaders: true });
    await admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] });
    await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ["retention.ms", "cleanup.policy"] }], includeSynonyms: true });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: "retention.ms", value: "7200000" }] }] });
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.fetchTopicOffsets(topic);
    await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 60_000);
    await admin.describeCluster();
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "-1" }] });
    await admin.deleteTopics({ topics: [topic] });
  });
}

/** Two records, one of them gzipped, through an idempotent producer. */
async function produceTwo(ctx: RunContext, topic: string): Promise<void> {
  const producer = kafkajs(ctx).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ key: "k", value: "golden", headers: { h: "1" } }] });
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ value: "gzipped" }] });
  } finally {
    await producer.disconnect();
  }
}

/** A group consumer reads two records of its own, then the admin client inspects, resets and deletes the group. */
async function groupScenario(ctx: RunContext): Promise<void> {
  const kafka = kafkajs(ctx);
  const topic = `${ctx.prefix}-js-group`;
  const groupId = `${ctx.prefix}-js-group`;
  await produceTwo(ctx, topic);
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 500 });
  await consumer.connect();
  let seen = 0;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: () => { if (++seen >= 2) resolve(); return Promise.resolve(); } });
    });
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`consumer saw ${seen} of 2 messages in 20 s`)), 20_000))]);
    await consumer.commitOffsets([{ topic, partition: 0, offset: "2" }]);
  } finally {
    await consumer.disconnect();
  }
  await withAdmin(ctx, async (admin) => {
    await admin.listGroups();
    await admin.describeGroups([groupId]);
    await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.resetOffsets({ groupId, topic, earliest: true });
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "1" }] });
    await admin.deleteGroups([groupId]);
  });
}

/** A transactional producer: one transaction with records and group offsets committed, one aborted. */
async function transactionScenario(ctx: RunContext): Promise<void> {
  const topic = `${ctx.prefix}-js-txn`;
  const producer = kafkajs(ctx).producer({ transactionalId: topic, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: "k", value: "in a transaction" }] });
    await committed.sendOffsets({ consumerGroupId: `${topic}-group`, topics: [{ topic, partitions: [{ partition: 0, offset: "1" }] }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: "never read committed" }] });
    await aborted.abort();
  } finally {
    await producer.disconnect();
  }
  // Other scenarios list every group: the ones left behind would swell their captured answers.
  await withAdmin(ctx, (admin) => admin.deleteGroups([`${topic}-group`]).then(() => undefined));
}

// Kafka's ACL enum values: kafkajs declares them as enums, but its CommonJS build does not expose them to an ES import.
const { ANY, TOPIC, LITERAL, READ, ALLOW } = { ANY: 1, TOPIC: 2, LITERAL: 3, READ: 3, ALLOW: 3 };

/** As a super user on the broker with the ACL authorizer: an ACL created, described and deleted. */
async function aclScenario(ctx: RunContext): Promise<void> {
  await withAdmin(ctx, async (admin) => {
    const acl = {
      resourceType: TOPIC,
      resourceName: `${ctx.prefix}-js-acl`,
      resourcePatternType: LITERAL,
      principal: `User:${ctx.prefix}-js`,
      host: "*",
      operation: READ,
      permissionType: ALLOW,
    };
    await admin.createAcls({ acl: [acl] });
    await admin.describeAcls({ resourceType: ANY, resourcePatternType: ANY, operation: ANY, permissionType: ANY });
    await admin.deleteAcls({ filters: [acl] });
  });
}

export function kafkajsClient(): Client {
  return {
    name: `kafkajs ${packageVersion("kafkajs")}`,
    scenarios: [
      { name: "admin", run: adminScenario },
      { name: "idempotent producer", run: (ctx) => produceTwo(ctx, `${ctx.prefix}-js`) },
      { name: "group consumer and group admin", run: groupScenario },
      { name: "transactional producer", run: transactionScenario },
      { name: "ACL admin", sasl: { mechanism: "SCRAM-SHA-256", ...SASL_USER }, run: aclScenario },
      ...saslScenarios((ctx) => withAdmin(ctx, async (admin) => void (await admin.listTopics()))),
    ],
  };
}

