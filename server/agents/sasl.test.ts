import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually, startTestBroker } from "../broker/compat/harness";
import { KafkaClient } from "../kafka/client";
import { FlowRuntime } from "./runtime";
import { type TributaryProcess, freePort, runAgent, runTributary } from "@/server/testing/tributary-process";
import { expectDelivered } from "./testing/topics";

/**
 * The topic source and sink against a broker that requires SASL: started as an operator starts
 * it (`tributary broker --sasl-mechanisms SCRAM-SHA-256`), configured with Kafka's property names
 * in a Flume file, everything over real sockets.
 */

const JAAS = (password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="agent" password="${password}";`;
const scram = { mechanism: "SCRAM-SHA-256" as const, username: "agent", password: "s3cret" };

let dir: string;
let broker: TributaryProcess;
let bootstrap: string;
let client: KafkaClient;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-agent-sasl-"));
  const port = await freePort();
  broker = runTributary(["broker", "--sasl-mechanisms", "SCRAM-SHA-256", "--sasl-users", "agent:s3cret", "--kafka-port", String(port), "--bind", "127.0.0.1", "--data-dir", join(dir, "broker")]);
  bootstrap = `127.0.0.1:${port}`;
  await eventually(() => broker.stdout().includes("broker is running") || undefined, 60_000, "the broker to start");
  client = new KafkaClient({ bootstrap: [bootstrap], sasl: scram });
  await client.admin.createTopics([{ name: "in", numPartitions: 2 }, { name: "out", numPartitions: 1 }]);
  await client.producer().send(Array.from({ length: 100 }, (_, i) => ({ topic: "in", key: Buffer.from(`k${i % 5}`), value: Buffer.from(`v${i}`) })));
}, 90_000);
afterAll(async () => {
  await client.close();
  broker.child.kill("SIGTERM");
  await broker.exit;
  await rm(dir, { recursive: true, force: true });
});

it("a Flume file's SCRAM-SHA-256 topic source and topic sink relay every record through a broker that requires SASL", async () => {
  const conf = join(dir, "flume.properties");
  const security = (side: "consumer" | "producer") => [
    `kafka.${side}.security.protocol = SASL_PLAINTEXT`,
    `kafka.${side}.sasl.mechanism = SCRAM-SHA-256`,
    `kafka.${side}.sasl.jaas.config = ${JAAS("s3cret")}`,
  ];
  await writeFile(conf, [
    "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
    "a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource",
    `a1.sources.r1.kafka.bootstrap.servers = ${bootstrap}`,
    "a1.sources.r1.kafka.topics = in",
    "a1.sources.r1.kafka.consumer.group.id = relay",
    "a1.sources.r1.kafka.consumer.partition.assignment.strategy = org.apache.kafka.clients.consumer.RangeAssignor",
    ...security("consumer").map((l) => `a1.sources.r1.${l}`),
    "a1.sources.r1.channels = c1",
    "a1.channels.c1.type = memory",
    "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink",
    `a1.sinks.k1.kafka.bootstrap.servers = ${bootstrap}`,
    "a1.sinks.k1.kafka.topic = out",
    "a1.sinks.k1.allowTopicOverride = false",
    ...security("producer").map((l) => `a1.sinks.k1.${l}`),
    "a1.sinks.k1.channel = c1",
  ].join("\n"));
  const agent = runAgent(conf, join(dir, "agent"));
  try {
    const got = await eventually(async () => {
      const [f] = await client.fetch([{ topic: "out", partition: 0, offset: 0 }], { maxWaitMs: 200 });
      return f.records.length >= 100 ? f.records : undefined;
    }, 60_000, "100 records in topic out");
    expect(got.map((r) => r.value!.toString()).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`).sort());
    expect(got.every((r) => r.headers.some((h) => h.key === "topic" && h.value?.toString() === "in"))).toBe(true);
    await eventually(async () => {
      const offsets = await client.admin.fetchOffsets("relay");
      return offsets.reduce((n, o) => n + Math.max(0, o.offset), 0) === 100 || undefined;
    }, 30_000, "the group's offsets to reach 100");
  } finally {
    agent.child.kill("SIGTERM");
  }
  expect(await agent.exit).toBe(0);
}, 120_000);

it("a wrong password makes the topic source and sink back off saying what to check, while the flow runs on", async () => {
  const wrong = { securityProtocol: "SASL_PLAINTEXT", saslMechanism: "SCRAM-SHA-256", saslJaasConfig: JAAS("wrong") };
  const rt = new FlowRuntime({
    name: "wrong",
    sources: { r1: { type: "topic", channels: ["c1"], bootstrapServers: bootstrap, topics: ["in"], groupId: "wrong", ...wrong }, r2: { type: "seq", channels: ["c1"], totalEvents: 1 } },
    channels: { c1: { type: "memory" } },
    sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: bootstrap, topic: "out", ...wrong } },
  }, { agent: "a1", dataDir: join(dir, "wrong") });
  await rt.start();
  try {
    const refused = /SASL_AUTHENTICATION_FAILED.*check the SASL username, password and mechanism/;
    await eventually(() => (rt.components().r1.state === "backing_off" && rt.components().k1.state === "backing_off") || undefined, 30_000, "both to back off");
    expect(rt.components().r1.lastError).toMatch(refused);
    expect(rt.components().k1.lastError).toMatch(refused);
  } finally {
    await rt.stop();
  }
}, 60_000);

it("a topic sink without a login of its own signs in to the embedded broker with the broker's internal credential", async () => {
  const embedded = await startTestBroker({ sasl: { mechanisms: ["SCRAM-SHA-256"], users: {} } });
  const credential = embedded.broker.internalCredential!;
  const rt = new FlowRuntime({
    name: "embedded",
    sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 10 } },
    channels: { c1: { type: "memory" } },
    sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: embedded.bootstrap, topic: "local" } },
  }, { agent: "embedded", dataDir: join(dir, "embedded"), localKafka: { bootstrap: embedded.bootstrap, credential } });
  const reader = new KafkaClient({ bootstrap: [embedded.bootstrap], sasl: credential });
  try {
    await expectDelivered(rt, reader, "local", 10);
  } finally {
    await embedded.stop();
  }
}, 60_000);
