import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { Apis } from "../../kafka/messages";
import { eventually, startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";
import { ErrorCode } from "../../kafka/errors";

/** Wire-level behaviour that real clients depend on but never exercise on purpose. */
describe("Kafka protocol edge cases over a raw socket", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    t = await startTestBroker();
    const producer = t.kafka().producer();
    await producer.connect();
    await producer.send({ topic: "edge", messages: [0, 1, 2].map((i) => ({ value: `v${i}`, timestamp: String(1_700_000_000_000 + i * 1000), partition: 0 })) });
    await producer.disconnect();
  });
  afterAll(() => t.stop());

  it("answers an ApiVersions version it does not know with UNSUPPORTED_VERSION and its own range in a v0 body", async () => {
    const c = await TestConnection.open(t.bootstrap);
    // Header v2 as a future client would send it: api 18, version 99, correlation 7, client id, no tags; empty body.
    const req = Buffer.from([0, 18, 0, 99, 0, 0, 0, 7, 0, 1, 0x78, 0, 0]);
    const res = await c.sendRaw(req);
    expect(res.readInt32BE(0)).toBe(7); // response header v0: correlation id only
    expect(res.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const n = res.readInt32BE(6); // v0 body: a classic int32-length array
    const ranges = new Map<number, [number, number]>();
    for (let i = 0; i < n; i++) {
      const at = 10 + i * 6;
      ranges.set(res.readInt16BE(at), [res.readInt16BE(at + 2), res.readInt16BE(at + 4)]);
    }
    expect(res.length).toBe(10 + n * 6);
    expect([...ranges]).toEqual([[18, [0, 4]]]); // only ApiVersions itself, as Kafka answers
    // The connection stays usable: the client retries at the version we named, and gets everything.
    const ok = await c.request(Apis.ApiVersions, 4, { clientSoftwareName: "raw", clientSoftwareVersion: "1" });
    expect(ok.errorCode).toBe(0);
    const all = new Map(ok.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(all.get(0)).toEqual([0, 11]); // Produce advertised from v0 (KAFKA-18659), served from v3
    expect(all.get(1)).toEqual([4, 12]);
    expect(all.get(23)).toEqual([0, 4]);
    c.close();
  });

  it("answers ApiVersions v3 with response header v0 even though the request is flexible", async () => {
    const c = await TestConnection.open(t.bootstrap);
    // api 18 v3, correlation 9, client id "x", header tags 0, compact strings "a" and "1", body tags 0.
    const res = await c.sendRaw(Buffer.from([0, 18, 0, 3, 0, 0, 0, 9, 0, 1, 0x78, 0, 2, 0x61, 2, 0x31, 0]));
    expect(res.readInt32BE(0)).toBe(9);
    expect(res.readInt16BE(4)).toBe(0); // no tagged-field byte between header and error code
    c.close();
  });

  it("advertises Produce v0-2 for old librdkafka but closes a connection that uses them", async () => {
    const c = await TestConnection.open(t.bootstrap);
    const other = await TestConnection.open(t.bootstrap);
    // Produce v2: acks int16, timeout int32, topics array (empty).
    const refused = c.sendRaw(Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0x13, 0x88, 0, 0, 0, 0]));
    await expect(refused).rejects.toThrow(/connection closed/);
    const meta = await other.request(Apis.Metadata, 12, { topics: [{ name: "edge" }], allowAutoTopicCreation: false });
    expect(meta.topics[0].errorCode).toBe(0);
    other.close();
  });

  it("serves every fetch as a full fetch: session id 0, and FETCH_SESSION_ID_NOT_FOUND for an incremental one", async () => {
    const c = await TestConnection.open(t.bootstrap);
    const fetch = (sessionId: number, sessionEpoch: number) =>
      c.request(Apis.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId, sessionEpoch, topics: [{ topic: "edge", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
    const full = await fetch(0, 0);
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBe(0);
    expect(full.responses[0].partitions[0].highWatermark).toBe(3);
    expect((full.responses[0].partitions[0].records as Buffer).length).toBeGreaterThan(0);
    const incremental = await fetch(1234, 1);
    expect(incremental.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(incremental.responses).toEqual([]);
    c.close();
  });

  it("answers OffsetForLeaderEpoch: epoch 0 ends at the log end, a later epoch is unknown", async () => {
    const c = await TestConnection.open(t.bootstrap);
    for (const v of [2, 4]) {
      const res = await c.request(Apis.OffsetForLeaderEpoch, v, {
        replicaId: -1,
        topics: [{ topic: "edge", partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }, { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
      });
      expect(res.topics[0].partitions).toEqual([
        { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 3 },
        { errorCode: 3, partition: 1, leaderEpoch: -1, endOffset: -1 },
      ]);
    }
    const fenced = await c.request(Apis.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: "edge", partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 5 }] }] });
    expect(fenced.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    c.close();
  });

  it("describes topics by id in Metadata v12", async () => {
    const c = await TestConnection.open(t.bootstrap);
    const byName = await c.request(Apis.Metadata, 12, { topics: [{ name: "edge" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(byName.topics[0].errorCode).toBe(0);
    const id = byName.topics[0].topicId;
    expect(id).not.toBe("00000000-0000-0000-0000-000000000000");
    expect(byName.topics[0].partitions[0].leaderEpoch).toBe(0);
    const byId = await c.request(Apis.Metadata, 12, { topics: [{ topicId: id, name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(byId.topics[0]).toMatchObject({ errorCode: 0, name: "edge", topicId: id });
    const unknown = await c.request(Apis.Metadata, 12, { topics: [{ topicId: "0123456789abcdef0123456789abcdef", name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(unknown.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    c.close();
  });

  it("finds offsets by timestamp and the max timestamp (-3) with ListOffsets v7", async () => {
    const c = await TestConnection.open(t.bootstrap);
    const list = (timestamp: number) => c.request(Apis.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: "edge", partitions: [{ partitionIndex: 0, timestamp }] }] }).then((r) => r.topics[0].partitions[0]);
    expect(await list(-2)).toMatchObject({ errorCode: 0, offset: 0 });
    expect(await list(-1)).toMatchObject({ errorCode: 0, offset: 3 });
    expect(await list(-3)).toMatchObject({ errorCode: 0, offset: 2, timestamp: 1_700_000_002_000 });
    expect(await list(1_700_000_000_500)).toMatchObject({ errorCode: 0, offset: 1, timestamp: 1_700_000_001_000 });
    c.close();
  });

  it("refuses produce to and deletion of the internal __consumer_offsets topic, which Metadata marks internal", async () => {
    const c = await TestConnection.open(t.bootstrap);
    const produced = await c.request(Apis.Produce, 8, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: "__consumer_offsets", partitionData: [{ index: 0, records: encodeRecordBatch([{ key: Buffer.from("not json"), value: Buffer.from("x") }]) }] }] });
    expect(produced.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 17, baseOffset: -1 });
    const deleted = await c.request(Apis.DeleteTopics, 5, { topicNames: ["__consumer_offsets"], timeoutMs: 5000 });
    expect(deleted.responses[0].errorCode).toBe(17);
    const meta = await c.request(Apis.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const internal = Object.fromEntries(meta.topics.map((x) => [x.name, x.isInternal]));
    expect(internal).toMatchObject({ __consumer_offsets: true, edge: false });
    c.close();
  });

  it("sends no response to acks=0 produce, yet appends it, and answers the next request correctly", async () => {
    const c = await TestConnection.open(t.bootstrap);
    c.send(Apis.Produce, 9, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: "acks0", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from("unacknowledged") }]) }] }] });
    // Answers are matched by correlation id: a response to the produce would fail this request.
    const meta = await c.request(Apis.Metadata, 9, { topics: [{ name: "acks0" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(meta.topics[0].errorCode).toBe(0);
    await eventually(() => t.broker.logs.partition("acks0", 0).highWatermark === 1 || undefined, 5000, "the acks=0 record to be appended");
    c.close();
  });

  it("answers pipelined requests in order even when an earlier one waits (long-poll fetch before a produce)", async () => {
    const c = await TestConnection.open(t.bootstrap);
    const slowFetch = c.request(Apis.Fetch, 11, { replicaId: -1, maxWaitMs: 300, minBytes: 1 << 20, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "edge", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
    const produce = c.request(Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "edge", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from("late") }]) }] }] });
    const order: string[] = [];
    await Promise.all([slowFetch.then(() => order.push("fetch")), produce.then(() => order.push("produce"))]);
    expect(order).toEqual(["fetch", "produce"]);
    expect((await produce).responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3 });
    c.close();
  });
});

describe("fetch limits", () => {
  it("honours max.bytes, the per-partition limit (always one whole batch to make progress) and min.bytes with max.wait.ms", async () => {
    const t = await startTestBroker({ numPartitions: 2 });
    try {
      const c = await TestConnection.open(t.bootstrap);
      const batch = (tag: string) => encodeRecordBatch(Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(100, `${tag}${i}`) })));
      const size = batch("a").length;
      for (const p of [0, 1]) {
        for (let i = 0; i < 3; i++) {
          const r = await c.request(Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "limits", partitionData: [{ index: p, records: batch(`p${p}b${i}`) }] }] });
          expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
        }
      }
      const fetch = (o: { maxBytes: number; partitionMaxBytes: number; minBytes?: number; maxWaitMs?: number; offset?: number }) =>
        c.request(Apis.Fetch, 11, {
          replicaId: -1,
          maxWaitMs: o.maxWaitMs ?? 0,
          minBytes: o.minBytes ?? 1,
          maxBytes: o.maxBytes,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: "limits", partitions: [0, 1].map((partition) => ({ partition, fetchOffset: o.offset ?? 0, partitionMaxBytes: o.partitionMaxBytes })) }],
          forgottenTopicsData: [],
          rackId: "",
        }).then((r) => r.responses[0].partitions.map((p) => p.records?.length ?? 0));

      expect(await fetch({ maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 })).toEqual([3 * size, 3 * size]);
      // Two whole batches fit per partition; a partial batch is never served.
      expect(await fetch({ maxBytes: 1 << 20, partitionMaxBytes: 2 * size + 10 })).toEqual([2 * size, 2 * size]);
      // The response limit is shared: partition 0 takes what fits, partition 1 gets the rest.
      expect(await fetch({ maxBytes: 4 * size, partitionMaxBytes: 1 << 20 })).toEqual([3 * size, size]);
      // A first batch larger than every limit is still served, so a consumer can always progress.
      expect(await fetch({ maxBytes: 10, partitionMaxBytes: 10 })).toEqual([size, 0]);

      // An offset past the log end is answered at once with OFFSET_OUT_OF_RANGE and the bounds to reset to.
      let started = Date.now();
      const outOfRange = await c.request(Apis.Fetch, 11, { replicaId: -1, maxWaitMs: 3000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "limits", partitions: [{ partition: 0, fetchOffset: 999, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
      expect(outOfRange.responses[0].partitions[0]).toMatchObject({ errorCode: 1, highWatermark: 30, logStartOffset: 0 });
      expect(Date.now() - started).toBeLessThan(1000);

      // min.bytes not reached: the fetch waits max.wait.ms and answers with what there is.
      started = Date.now();
      expect(await fetch({ maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, minBytes: 100 * size, maxWaitMs: 400 })).toEqual([3 * size, 3 * size]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);
      // Nothing new at the log end: an append during the wait answers it early.
      started = Date.now();
      const waiting = fetch({ maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, maxWaitMs: 5000, offset: 30 });
      const producer = await TestConnection.open(t.bootstrap);
      await new Promise((r) => setTimeout(r, 150));
      await producer.request(Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "limits", partitionData: [{ index: 1, records: batch("late") }] }] });
      expect(await waiting).toEqual([0, size]);
      expect(Date.now() - started).toBeLessThan(2000);
      producer.close();
      c.close();
    } finally {
      await t.stop();
    }
  });
});

/** Runs `body` over a raw connection to a broker of its own; both close however the test ends. */
async function onOwnBroker(body: (c: TestConnection, t: Awaited<ReturnType<typeof startTestBroker>>) => Promise<void>) {
  const t = await startTestBroker();
  try {
    const c = await TestConnection.open(t.bootstrap);
    try {
      await body(c, t);
    } finally {
      c.close();
    }
  } finally {
    await t.stop();
  }
}

describe("listener and topic settings", () => {
  it("advertises TRIBUTARY_ADVERTISED_LISTENER's host and port in Metadata and FindCoordinator", async () => {
    const t = await startTestBroker({ advertisedHost: "kafka.example.internal", advertisedPort: 19_092 });
    try {
      const c = await TestConnection.open(t.broker.address().host + ":" + t.broker.address().port);
      const meta = await c.request(Apis.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(meta.brokers).toEqual([{ nodeId: 0, host: "kafka.example.internal", port: 19_092, rack: null }]);
      const coord = await c.request(Apis.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ["g"] });
      expect(coord.coordinators[0]).toMatchObject({ key: "g", host: "kafka.example.internal", port: 19_092, errorCode: 0 });
      c.close();
    } finally {
      await t.stop();
    }
  });

  it("describes topic configs with their types and documentation (DescribeConfigs v4)", () =>
    onOwnBroker(async (c) => {
      await c.request(Apis.Metadata, 9, { topics: [{ name: "typed" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      const res = await c.request(Apis.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: "typed", configurationKeys: ["retention.ms", "cleanup.policy"] }], includeSynonyms: true, includeDocumentation: true });
      const configs = Object.fromEntries(res.results[0].configs.map((x) => [x.name, x]));
      expect(configs["retention.ms"]).toMatchObject({ value: "604800000", configType: 5, configSource: 5 }); // LONG, DEFAULT_CONFIG
      expect(configs["cleanup.policy"]).toMatchObject({ value: "delete", configType: 2 }); // STRING
      expect(configs["retention.ms"].documentation).toEqual(expect.any(String));
      expect(configs["retention.ms"].synonyms).toHaveLength(1);
    }));

  it("creates topics from replica assignments naming this broker, and refuses other brokers", () =>
    onOwnBroker(async (c, t) => {
      const create = (name: string, brokerIds: number[][], validateOnly = false) =>
        c.request(Apis.CreateTopics, 5, { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: brokerIds.map((ids, partitionIndex) => ({ partitionIndex, brokerIds: ids })), configs: [] }], timeoutMs: 5000, validateOnly }).then((r) => r.topics[0]);
      expect(await create("assigned", [[0], [0]])).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
      expect(t.broker.logs.topic("assigned")?.partitions).toBe(2);
      expect((await create("elsewhere", [[0], [1]])).errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      expect((await create("replicated", [[0, 1]])).errorCode).toBe(39);
      expect((await create("checked", [[0]], true)).errorCode).toBe(0);
      expect(t.broker.logs.topic("checked")).toBeUndefined(); // validate-only creates nothing
      expect((await c.request(Apis.CreateTopics, 5, { topics: [{ name: "rf3", numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })).topics[0].errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    }));

  it("auto-creates topics with num.partitions only when enabled and asked to", async () => {
    const on = await startTestBroker({ numPartitions: 3 });
    const off = await startTestBroker({ autoCreateTopics: false });
    try {
      const a = await TestConnection.open(on.bootstrap);
      const declined = await a.request(Apis.Metadata, 9, { topics: [{ name: "not-asked" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(declined.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const created = await a.request(Apis.Metadata, 9, { topics: [{ name: "asked" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      expect(created.topics[0].errorCode).toBe(0);
      expect(created.topics[0].partitions).toHaveLength(3);
      const invalid = await a.request(Apis.Metadata, 9, { topics: [{ name: "no/slashes" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      expect(invalid.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
      a.close();

      const b = await TestConnection.open(off.bootstrap);
      const meta = await b.request(Apis.Metadata, 9, { topics: [{ name: "never" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      expect(meta.topics[0].errorCode).toBe(3);
      const produced = await b.request(Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "never", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from("x") }]) }] }] });
      expect(produced.responses[0].partitionResponses[0].errorCode).toBe(3);
      expect(off.broker.logs.topic("never")).toBeUndefined();
      b.close();
    } finally {
      await on.stop();
      await off.stop();
    }
  });
});
