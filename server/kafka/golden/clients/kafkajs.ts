import { CompressionTypes, Kafka, logLevel, type SASLOptions } from "kafkajs";
import { packageVersion, SASL_USER, saslScenarios, type Client, type RunContext } from "./scenario";

function kafkajs(ctx: RunContext): Kafka {
  const sasl: SASLOptions | undefined = ctx.sasl && (ctx.sasl.mechanism === "PLAIN" ? { mechanism: "plain", ...SASL_USER } : { mechanism: ctx.sasl.mechanism === "SCRAM-SHA-256" ? "scram-sha-256" : "scram-sha-512", ...SASL_USER });
  return new Kafka({ brokers: [ctx.bootstrap], clientId: "golden", logLevel: logLevel.NOTHING, sasl, retry: { retries: 2, initialRetryTime: 100 }, connectionTimeout: 5_000, requestTimeout: 10_000 });
}

async function adminScenario(ctx: RunContext): Promise<void> {
  const admin = kafkajs(ctx).admin();
  await admin.connect();
  try {
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
  } finally {
    await admin.disconnect();
  }
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
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.listGroups();
    await admin.describeGroups([groupId]);
    await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.resetOffsets({ groupId, topic, earliest: true });
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "1" }] });
    await admin.deleteGroups([groupId]);
  } finally {
    await admin.disconnect();
  }
}

export function kafkajsClient(): Client {
  return {
    name: `kafkajs ${packageVersion("kafkajs")}`,
    scenarios: [
      { name: "admin", run: adminScenario },
      { name: "idempotent producer", run: (ctx) => produceTwo(ctx, `${ctx.prefix}-js`) },
      { name: "group consumer and group admin", run: groupScenario },
      ...saslScenarios(async (ctx) => {
        const admin = kafkajs(ctx).admin();
        await admin.connect();
        await admin.listTopics();
        await admin.disconnect();
      }),
    ],
  };
}

