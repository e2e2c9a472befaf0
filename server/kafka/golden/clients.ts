import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { CompressionTypes, Kafka, logLevel, type SASLOptions } from "kafkajs";

/** What a scenario needs to know about the run it is part of. */
export interface RunContext {
  bootstrap: string;
  /** A prefix unique to this run, so topics and groups start empty and stay small. */
  prefix: string;
  sasl?: { mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512"; username: string; password: string };
}

export interface Scenario {
  name: string;
  /** Runs against the broker started with SASL users instead of the plain one. */
  sasl?: RunContext["sasl"];
  run(ctx: RunContext): Promise<void>;
}

export interface Client {
  /** The client library and version, as the coverage table names it. */
  name: string;
  scenarios: Scenario[];
}

const SASL_USER = { username: "golden", password: "golden-secret" };
const MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export const SASL_USERS = { [SASL_USER.username]: SASL_USER.password };

// ---- kcat (librdkafka) ----

function librdkafkaVersion(): string {
  const out = execFileSync("kcat", ["-V"], { encoding: "utf8" });
  const m = /librdkafka ([\d.]+)/.exec(out);
  if (!m) throw new Error(`cannot read the librdkafka version from "kcat -V": ${out}`);
  return m[1];
}

function kcat(ctx: RunContext, args: string[], input?: string): Promise<string> {
  const security = ctx.sasl
    ? ["-X", "security.protocol=SASL_PLAINTEXT", "-X", `sasl.mechanisms=${ctx.sasl.mechanism}`, "-X", `sasl.username=${ctx.sasl.username}`, "-X", `sasl.password=${ctx.sasl.password}`]
    : [];
  const all = ["-b", ctx.bootstrap, "-m", "10", ...security, ...args];
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", all, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${all.join(" ")}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin!.end(input ?? "");
  });
}

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
const KEYED_LINES = "k1:golden-1\nk2:golden-2\n";

function kcatScenarios(): Scenario[] {
  const topic = (ctx: RunContext) => `${ctx.prefix}-kcat`;
  return [
    { name: "metadata (-L)", run: async (ctx) => void (await kcat(ctx, ["-L", "-J"])) },
    ...CODECS.map((codec) => ({
      name: `produce ${codec}`,
      run: async (ctx: RunContext) => void (await kcat(ctx, ["-P", "-t", codec === "none" ? topic(ctx) : `${topic(ctx)}-${codec}`, "-p", "0", "-z", codec, "-K", ":", "-H", "h=1"], KEYED_LINES)),
    })),
    { name: "produce acks=0", run: async (ctx) => void (await kcat(ctx, ["-P", "-t", `${topic(ctx)}-acks0`, "-X", "acks=0"], "fire\n")) },
    { name: "idempotent produce", run: async (ctx) => void (await kcat(ctx, ["-P", "-t", `${topic(ctx)}-idem`, "-X", "enable.idempotence=true"], "once\n")) },
    { name: "consume from the beginning", run: async (ctx) => void (await kcat(ctx, ["-C", "-t", topic(ctx), "-p", "0", "-o", "beginning", "-e"])) },
    { name: "consume in a group (-G)", run: async (ctx) => void (await kcat(ctx, ["-G", `${ctx.prefix}-kcat-group`, "-X", "auto.offset.reset=earliest", "-e", topic(ctx)])) },
    { name: "offsets by time (-Q)", run: async (ctx) => void (await kcat(ctx, ["-Q", "-t", `${topic(ctx)}:0:${Date.now() - 60_000}`])) },
    ...MECHANISMS.map((mechanism) => ({
      name: `SASL ${mechanism}`,
      sasl: { mechanism, ...SASL_USER },
      run: async (ctx: RunContext) => void (await kcat(ctx, ["-L", "-J"])),
    })),
  ];
}

export function kcatClient(): Client {
  return { name: `librdkafka ${librdkafkaVersion()}`, scenarios: kcatScenarios() };
}

// ---- kafkajs ----

function kafkajsVersion(): string {
  const pkg = createRequire(import.meta.url).resolve("kafkajs/package.json");
  return String(JSON.parse(readFileSync(pkg, "utf8")).version);
}

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
    await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: true });
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

async function producerScenario(ctx: RunContext): Promise<void> {
  const producer = kafkajs(ctx).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic: `${ctx.prefix}-js`, messages: [{ key: "k", value: "golden", headers: { h: "1" } }] });
    await producer.send({ topic: `${ctx.prefix}-js`, compression: CompressionTypes.GZIP, messages: [{ value: "gzipped" }] });
  } finally {
    await producer.disconnect();
  }
}

/** A group consumer reads what the producer scenario wrote, then the admin client inspects, resets and deletes the group. */
async function groupScenario(ctx: RunContext): Promise<void> {
  const kafka = kafkajs(ctx);
  const topic = `${ctx.prefix}-js`;
  const groupId = `${ctx.prefix}-js-group`;
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 500 });
  await consumer.connect();
  let seen = 0;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: async () => void (++seen >= 2 && resolve()) });
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
    name: `kafkajs ${kafkajsVersion()}`,
    scenarios: [
      { name: "admin", run: adminScenario },
      { name: "idempotent producer", run: producerScenario },
      { name: "group consumer and group admin", run: groupScenario },
      ...MECHANISMS.map((mechanism) => ({
        name: `SASL ${mechanism}`,
        sasl: { mechanism, ...SASL_USER },
        run: async (ctx: RunContext) => {
          const admin = kafkajs(ctx).admin();
          await admin.connect();
          await admin.listTopics();
          await admin.disconnect();
        },
      })),
    ],
  };
}

// ---- kafka-python ----

const PYTHON = "/usr/bin/python3";
const KAFKA_PYTHON_SCRIPT = join(import.meta.dirname, "kafka_python_client.py");

function kafkaPythonVersion(): string {
  try {
    return execFileSync(PYTHON, ["-c", "import kafka; print(kafka.__version__)"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("kafka-python is missing: install it with apt-get install python3-kafka (the capture runs it as a third client)");
  }
}

function kafkaPython(scenario: string, ctx: RunContext): Promise<void> {
  const sasl = ctx.sasl ? [ctx.sasl.mechanism, ctx.sasl.username, ctx.sasl.password] : [];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [KAFKA_PYTHON_SCRIPT, scenario, ctx.bootstrap, ctx.prefix, ...sasl], { timeout: 40_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`kafka-python ${scenario}: ${stderr.trim().split("\n").pop() ?? err.message}`));
      else resolve();
    });
  });
}

export function kafkaPythonClient(): Client {
  return {
    name: `kafka-python ${kafkaPythonVersion()}`,
    scenarios: [
      ...["admin", "produce and consume in a group"].map((name) => ({ name, run: (ctx: RunContext) => kafkaPython(name, ctx) })),
      ...MECHANISMS.map((mechanism) => ({ name: `SASL ${mechanism}`, sasl: { mechanism, ...SASL_USER }, run: (ctx: RunContext) => kafkaPython("metadata", ctx) })),
    ],
  };
}
