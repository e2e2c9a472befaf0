import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Apis } from "../../kafka/messages";
import { encodeRecordBatch, MAX_TIMESTAMP, rewriteCrc } from "../../kafka/records/batch";
import { captureLogs, kcat, startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";

/** Defects that real clients (librdkafka, Go and Java clients, monitoring tools) ran into. */
describe("protocol correctness found by real clients", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  let c: TestConnection;
  beforeAll(async () => {
    t = await startTestBroker();
    c = await TestConnection.open(t.bootstrap);
  });
  afterAll(async () => {
    c.close();
    await t.stop();
  });

  const produce = (topic: string, records: Buffer, version = 9) =>
    c.request(Apis.Produce, version, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0].partitionResponses[0]);
  const createTopic = (name: string, configs: Record<string, string>) =>
    c.request(Apis.CreateTopics, 5, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }], timeoutMs: 5000, validateOnly: false }).then((r) => r.topics[0]);

  it("answers a fetch out of range with empty records, so librdkafka sees OFFSET_OUT_OF_RANGE, resets and reads", async () => {
    await kcat(["-b", t.bootstrap, "-P", "-t", "ten", "-p", "0"], Array.from({ length: 10 }, (_, i) => `r${i}`).join("\n") + "\n");
    const out = await kcat(["-b", t.bootstrap, "-C", "-t", "ten", "-p", "0", "-o", "1000000", "-X", "auto.offset.reset=earliest", "-e", "-f", "%o %s\\n"], undefined, 20_000);
    expect(out.trim().split("\n")).toEqual(Array.from({ length: 10 }, (_, i) => `${i} r${i}`));
    const fetched = await c.request(Apis.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "ten", partitions: [{ partition: 0, fetchOffset: 1_000_000, partitionMaxBytes: 1 << 20 }, { partition: 7, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
    const [outOfRange, unknown] = fetched.responses[0].partitions;
    expect(outOfRange).toMatchObject({ errorCode: 1, highWatermark: 10, logStartOffset: 0 });
    expect(outOfRange.records).toEqual(Buffer.alloc(0));
    expect(unknown).toMatchObject({ errorCode: 3 });
    expect(unknown.records).toEqual(Buffer.alloc(0));
  });

  it("computes a batch's max timestamp when the producer left it at -1 or below the first timestamp", async () => {
    const hourAgo = Date.now() - 3_600_000;
    const batch = (base: number, claimed: number) => {
      const b = encodeRecordBatch([0, 1, 2].map((i) => ({ value: Buffer.from(`at ${base + i * 1000}`), timestamp: base + i * 1000 })));
      b.writeBigInt64BE(BigInt(claimed), MAX_TIMESTAMP);
      rewriteCrc(b, 0, b.length);
      return b;
    };
    expect((await createTopic("untimed", { "segment.bytes": "100", "retention.ms": "1800000" })).errorCode).toBe(0);
    expect((await produce("untimed", batch(hourAgo, -1))).errorCode).toBe(0);
    expect((await produce("untimed", batch(hourAgo + 10_000, 0))).errorCode).toBe(0);
    const now = Date.now();
    expect((await produce("untimed", batch(now, -1))).errorCode).toBe(0);
    const list = (timestamp: number) => c.request(Apis.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: "untimed", partitions: [{ partitionIndex: 0, timestamp }] }] }).then((r) => r.topics[0].partitions[0]);
    expect(await list(hourAgo + 1500)).toMatchObject({ errorCode: 0, offset: 2, timestamp: hourAgo + 2000 });
    expect(await list(hourAgo + 11_000)).toMatchObject({ errorCode: 0, offset: 4, timestamp: hourAgo + 11_000 });
    expect(await list(-3)).toMatchObject({ errorCode: 0, offset: 8, timestamp: now + 2000 });
    // Time-based retention sees the old segments' real age and deletes them.
    const log = t.broker.logs.partition("untimed", 0);
    expect(log.segmentCount).toBe(3);
    t.broker.logs.runBackground();
    expect(log.logStartOffset).toBe(6);
  });

  it("refuses keyless records on a compacted topic with INVALID_RECORD and one record error each", async () => {
    expect((await createTopic("compacted", { "cleanup.policy": "compact" })).errorCode).toBe(0);
    const mixed = encodeRecordBatch([{ key: Buffer.from("a"), value: Buffer.from("1") }, { value: Buffer.from("no key") }, { key: Buffer.from("b"), value: Buffer.from("2") }, { key: null, value: Buffer.from("none") }]);
    const refused = await produce("compacted", mixed);
    expect(refused).toMatchObject({ errorCode: 87, baseOffset: -1 });
    expect(refused.recordErrors.map((e: { batchIndex: number }) => e.batchIndex)).toEqual([1, 3]);
    expect(refused.recordErrors[0].batchIndexErrorMessage).toMatch(/compacted topic .*key/i);
    expect(refused.errorMessage).toMatch(/key/);
    expect(t.broker.logs.partition("compacted", 0).logEndOffset).toBe(0);
    expect((await produce("compacted", encodeRecordBatch([{ key: Buffer.from("a"), value: Buffer.from("1") }]))).errorCode).toBe(0);
    // Produce v7 has no recordErrors; the batch is refused all the same.
    expect((await produce("compacted", encodeRecordBatch([{ value: Buffer.from("x") }]), 7)).errorCode).toBe(87);
    // A topic that is not compacted takes keyless records.
    expect((await produce("ten", encodeRecordBatch([{ value: Buffer.from("keyless") }]))).errorCode).toBe(0);
  });

  it("accepts every topic config Kafka 3.x accepts, ignoring the obsolete ones and saying so", async () => {
    const kafka = new Kafka({ brokers: [t.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const obsolete = { "message.format.version": "2.8-IV1", "message.downconversion.enable": "true", "remote.storage.enable": "false", "local.retention.ms": "-2", "leader.replication.throttled.replicas": "", "message.timestamp.after.max.ms": "3600000", "compression.zstd.level": "3" };
      await admin.createTopics({ topics: [{ topic: "legacy", configEntries: Object.entries(obsolete).map(([name, value]) => ({ name, value })) }] });
      await admin.alterConfigs({ resources: [{ type: 2, name: "legacy", configEntries: [{ name: "message.format.version", value: "3.0-IV1" }] }], validateOnly: false });
      const described = await c.request(Apis.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: "legacy", configurationKeys: ["message.format.version"] }], includeSynonyms: false, includeDocumentation: true });
      expect(described.results[0].configs[0]).toMatchObject({ name: "message.format.version", value: "3.0-IV1", isDefault: false });
      expect(described.results[0].configs[0].documentation).toMatch(/ignored/i);
      const bad = await createTopic("bad-format", { "message.format.version": "not-a-version" });
      expect(bad.errorCode).toBe(40); // INVALID_CONFIG: the value is still checked
    } finally {
      await admin.disconnect();
    }
  });

  it("serves ListOffsets v0 (maxNumOffsets, the old offsets array)", async () => {
    const old = await TestConnection.open(t.bootstrap);
    const v0 = (timestamp: number, maxNumOffsets: number) =>
      old.request(Apis.ListOffsets, 0, { replicaId: -1, topics: [{ name: "ten", partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] }).then((r) => r.topics[0].partitions[0]);
    const end = t.broker.logs.partition("ten", 0).highWatermark;
    expect(await v0(-1, 1)).toMatchObject({ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [end] });
    expect(await v0(-2, 1)).toMatchObject({ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [0] });
    // Latest with room for more: the log end, then segment starts, newest first (one segment here).
    expect(await v0(-1, 10)).toMatchObject({ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [end, 0] });
    expect(await v0(Date.now() - 3_600_000, 10)).toMatchObject({ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [] });
    const unknown = await old.request(Apis.ListOffsets, 0, { replicaId: -1, topics: [{ name: "nope", partitions: [{ partitionIndex: 0, timestamp: -1, maxNumOffsets: 1 }] }] });
    expect(unknown.topics[0].partitions[0]).toMatchObject({ errorCode: 3, oldStyleOffsets: [] });
    old.close();
  });

  it("logs a request version outside the served range at warn with the client id", async () => {
    const logs = captureLogs();
    try {
      const old = await TestConnection.open(t.bootstrap);
      // Produce v2 (advertised, not served): api 0, v2, correlation 1, client id "raw-client".
      await expect(old.sendRaw(Buffer.concat([Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 0, 10]), Buffer.from("raw-client"), Buffer.from([0, 1, 0, 0, 0x13, 0x88, 0, 0, 0, 0])]))).rejects.toThrow(/connection closed/);
      const line = logs.lines.find((l) => l.msg.includes("not supported"));
      expect(line).toMatchObject({ level: 40, clientId: "raw-client", api: "Produce", apiVersion: 2 });
    } finally {
      logs.stop();
    }
  });
});

describe("SASL PLAIN authorization id", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    t = await startTestBroker({ sasl: { mechanisms: ["PLAIN"], users: { alice: "alice-pw", bob: "bob-pw" } } });
  });
  afterAll(() => t.stop());

  const plain = async (token: string) => {
    const c = await TestConnection.open(t.bootstrap);
    try {
      expect((await c.request(Apis.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode).toBe(0);
      const res = await c.request(Apis.SaslAuthenticate, 2, { authBytes: Buffer.from(token) });
      return res.errorCode;
    } finally {
      c.close();
    }
  };

  it("refuses an authzid other than the user, and accepts none or the user's own", async () => {
    expect(await plain("bob\u0000alice\u0000alice-pw")).toBe(58); // SASL_AUTHENTICATION_FAILED
    expect(await plain("alice\u0000alice\u0000alice-pw")).toBe(0);
    expect(await plain("\u0000alice\u0000alice-pw")).toBe(0);
  });

  it("still lets kcat and kafkajs log in with PLAIN", async () => {
    await kcat(["-b", t.bootstrap, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice", "-X", "sasl.password=alice-pw", "-P", "-t", "plain", "-p", "0"], "hello\n");
    const admin = new Kafka({ brokers: [t.bootstrap], logLevel: logLevel.NOTHING, sasl: { mechanism: "plain", username: "bob", password: "bob-pw" } }).admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain("plain");
    await admin.disconnect();
  });
});
