import type { EachMessagePayload, SASLOptions } from "kafkajs";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, groupConsumerAfter, startTestBroker } from "./harness";

const brokers: Awaited<ReturnType<typeof startTestBroker>>[] = [];
async function broker(opts: Parameters<typeof startTestBroker>[0] = {}) {
  const b = await startTestBroker(opts);
  brokers.push(b);
  return b;
}
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.stop().catch(() => undefined);
});

describe("kafkajs against the broker", () => {
  it("an idempotent producer's records arrive once, in order, with headers", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: "idem", messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${j % 5}`, value: `${i * 50 + j}`, headers: { seq: String(i * 50 + j) }, partition: 0 })) });
    }
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: "idem-reader", maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: "idem", fromBeginning: true });
    const seen: number[] = [];
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.push(Number(message.value!.toString()));
        expect(message.headers!.seq!.toString()).toBe(message.value!.toString());
        return Promise.resolve();
      },
    });
    await eventually(() => seen.length >= 1000, 20_000, "1000 records");
    await consumer.disconnect();
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("three members share a topic's partitions and rebalance when one leaves; committed offsets survive a restart", async () => {
    const t = await broker({ numPartitions: 6 });
    const kafka = t.kafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "shared", numPartitions: 6 }] });
    const producer = kafka.producer();
    await producer.connect();
    const send = (from: number, n: number) => producer.send({ topic: "shared", messages: Array.from({ length: n }, (_, i) => ({ key: `key-${from + i}`, value: String(from + i) })) });
    await send(0, 600);

    const seen = new Map<number, string>();
    const members = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const c = kafka.consumer({ groupId: "trio", sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
        await c.connect();
        await c.subscribe({ topic: "shared", fromBeginning: true });
        await c.run({ eachMessage: ({ message }: EachMessagePayload) => { seen.set(Number(message.value!.toString()), `member${n}`); return Promise.resolve(); } });
        return c;
      }),
    );
    await eventually(() => seen.size >= 600, 30_000, "600 records by three members");
    await eventually(async () => {
      const d = (await admin.describeGroups(["trio"])).groups[0];
      return d.state === "Stable" && d.members.length === 3 ? d : undefined;
    });
    const owners = new Set(seen.values());
    expect(owners.size).toBeGreaterThan(1);

    await members[2].disconnect();
    await send(600, 300);
    await eventually(() => seen.size >= 900, 30_000, "records after a member left");
    const d = (await admin.describeGroups(["trio"])).groups[0];
    expect(d.members).toHaveLength(2);
    await Promise.all(members.slice(0, 2).map((c) => c.disconnect()));
    await producer.disconnect();
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 900 }, (_, i) => i));

    const before = await admin.fetchOffsets({ groupId: "trio", topics: ["shared"] });
    const total = (o: typeof before) => o[0].partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(total(before)).toBe(900);
    await admin.disconnect();

    // Same data dir, new broker: the group's offsets come back from __consumer_offsets.
    await t.stop(true);
    brokers.splice(brokers.indexOf(t), 1);
    const again = await broker({ dataDir: t.dataDir });
    const admin2 = again.kafka().admin();
    await admin2.connect();
    expect(total(await admin2.fetchOffsets({ groupId: "trio", topics: ["shared"] }))).toBe(900);
    const offsets = await admin2.fetchTopicOffsets("shared");
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(900);
    await admin2.disconnect();
  });

  it("administers topics, configs, partitions, records and groups", async () => {
    const t = await broker({ autoCreateTopics: false });
    const kafka = t.kafka();
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: "admin-t", numPartitions: 2, configEntries: [{ name: "retention.ms", value: "3600000" }] }] })).toBe(true);
    const creationError = (p: Promise<unknown>) => p.then(() => "created", (e: { errors?: { type: string }[] }) => e.errors?.[0]?.type);
    expect(await creationError(admin.createTopics({ topics: [{ topic: "bad name!", numPartitions: 1 }] }))).toBe("INVALID_TOPIC_EXCEPTION");
    expect(await creationError(admin.createTopics({ topics: [{ topic: "cfg-bad", configEntries: [{ name: "retention.ms", value: "soon" }] }] }))).toBe("INVALID_CONFIG");
    await expect(admin.createTopics({ topics: [{ topic: "admin-t" }] })).resolves.toBe(false); // already exists

    const described = await admin.describeConfigs({ resources: [{ type: 2, name: "admin-t", configNames: ["retention.ms", "cleanup.policy"] }], includeSynonyms: false });
    const entries = Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e]));
    expect(entries["retention.ms"].configValue).toBe("3600000");
    expect(entries["retention.ms"].isDefault).toBe(false);
    expect(entries["cleanup.policy"].configValue).toBe("delete");

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "admin-t", configEntries: [{ name: "cleanup.policy", value: "compact" }] }] });
    const after = await admin.describeConfigs({ resources: [{ type: 2, name: "admin-t", configNames: ["cleanup.policy", "retention.ms"] }], includeSynonyms: false });
    const afterEntries = Object.fromEntries(after.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    expect(afterEntries).toEqual({ "cleanup.policy": "compact", "retention.ms": "604800000" }); // AlterConfigs replaces the set

    await admin.createPartitions({ topicPartitions: [{ topic: "admin-t", count: 4 }] });
    expect((await admin.fetchTopicMetadata({ topics: ["admin-t"] })).topics[0].partitions).toHaveLength(4);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: "admin-t", count: 2 }] })).rejects.toThrow();

    const producer = kafka.producer();
    await producer.connect();
    // admin-t is compacted now, so every record needs a key.
    await producer.send({ topic: "admin-t", messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: String(i), partition: 0 })) });
    await producer.disconnect();
    await admin.deleteTopicRecords({ topic: "admin-t", partitions: [{ partition: 0, offset: "4" }] });
    const offsets = await admin.fetchTopicOffsets("admin-t");
    expect(offsets.find((p) => p.partition === 0)).toMatchObject({ low: "4", high: "10" });

    // The 6 records after the deleted ones.
    const consumer = await groupConsumerAfter(kafka, "admin-g", "admin-t", 6, 200);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain("admin-g");
    const deleteError = await admin.deleteGroups(["admin-g"]).then(() => "deleted", (e: { groups?: { error?: { type: string } }[] }) => e.groups?.[0]?.error?.type);
    expect(deleteError).toBe("NON_EMPTY_GROUP");
    await consumer.disconnect();

    await admin.setOffsets({ groupId: "admin-g", topic: "admin-t", partitions: [{ partition: 0, offset: "5" }] });
    const fetched = await admin.fetchOffsets({ groupId: "admin-g", topics: ["admin-t"] });
    expect(fetched[0].partitions.find((p) => p.partition === 0)!.offset).toBe("5");
    // kafkajs records "earliest" as the sentinel -2 and resolves it when a consumer starts.
    await admin.resetOffsets({ groupId: "admin-g", topic: "admin-t", earliest: true });
    expect((await admin.fetchOffsets({ groupId: "admin-g", topics: ["admin-t"] }))[0].partitions.find((p) => p.partition === 0)!.offset).toBe("-2");

    await admin.deleteGroups(["admin-g"]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain("admin-g");
    await admin.deleteTopics({ topics: ["admin-t"] });
    expect(await admin.listTopics()).not.toContain("admin-t");
    await admin.disconnect();
  });

  it("authenticates with SASL PLAIN and SCRAM, and refuses everything else before authentication", async () => {
    const t = await broker({ sasl: { mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], users: { alice: "alice-secret" } } });
    const { Kafka, logLevel } = await import("kafkajs");
    for (const mechanism of ["plain", "scram-sha-256", "scram-sha-512"] as const) {
      const kafka = new Kafka({ brokers: [t.bootstrap], logLevel: logLevel.NOTHING, sasl: { mechanism, username: "alice", password: "alice-secret" } as SASLOptions });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: `sasl-${mechanism}` }] });
      expect(await admin.listTopics()).toContain(`sasl-${mechanism}`);
      await admin.disconnect();
    }
    const wrong = new Kafka({ brokers: [t.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: "scram-sha-256", username: "alice", password: "nope" } });
    await expect(wrong.admin().connect()).rejects.toThrow(/SASL|auth/i);
    const anonymous = new Kafka({ brokers: [t.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 });
    await expect(anonymous.admin().connect().then(() => anonymous.admin().listTopics())).rejects.toThrow();
  });
});
