import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import type { Kafka, Producer } from "kafkajs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { forEachBatch } from "../../kafka/records/batch";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { TRANSACTION_STATE_TOPIC } from "../transactions/coordinator";
import { transactionKey, transactionValue } from "../transactions/log-format";
import { eventually, kcat, startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";

const brokers: Awaited<ReturnType<typeof startTestBroker>>[] = [];
async function broker(opts: Parameters<typeof startTestBroker>[0] = {}) {
  const b = await startTestBroker(opts);
  brokers.push(b);
  return b;
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  for (const b of brokers.splice(0)) await b.stop().catch(() => undefined);
});

type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;

/** Stops a broker as a crash would leave its data dir (clients closed first), and starts a new one on it. */
async function restart(t: TestBroker): Promise<TestBroker> {
  for (const c of closers.splice(0).reverse()) await c();
  await t.broker.close();
  brokers.splice(brokers.indexOf(t), 1);
  return broker({ dataDir: t.dataDir });
}

/** The coordinator's state of one transactional id, as DescribeTransactions answers it. */
async function describeTransaction(t: TestBroker, transactionalId: string) {
  const raw = await TestConnection.open(t.bootstrap);
  try {
    return (await raw.request(Apis.DescribeTransactions, 0, { transactionalIds: [transactionalId] })).transactionStates[0];
  } finally {
    raw.close();
  }
}

/** What a crash right after a PREPARE record leaves in __transaction_state: that record as the id's last. */
async function writePrepareCommit(t: TestBroker, state: Awaited<ReturnType<typeof describeTransaction>>, preparedEnds?: Map<string, number>): Promise<void> {
  const value = transactionValue({
    transactionalId: state.transactionalId,
    producerId: state.producerId,
    producerEpoch: state.producerEpoch,
    timeoutMs: state.transactionTimeoutMs,
    state: "PrepareCommit",
    partitions: new Set(state.topics.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}\u0000${p}`))),
    ...(preparedEnds ? { preparedEnds } : {}),
    startMs: state.transactionStartTimeMs,
    lastUpdateMs: Date.now(),
  });
  await t.broker.logs.partition(TRANSACTION_STATE_TOPIC, 0).append(encodeRecordBatch([{ key: transactionKey(state.transactionalId), value }]));
}

/** A kafkajs client connected now and disconnected after the test. */
async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
  await client.connect();
  closers.push(() => client.disconnect());
  return client;
}

function transactionalProducer(kafka: Kafka, transactionalId: string, timeoutMs = 60_000): Promise<Producer> {
  return connected(kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: timeoutMs }));
}

/** One transaction of `records` on partition 0 of `topic`, committed or aborted. */
async function transact(producer: Producer, topic: string, records: string[], commit = true): Promise<void> {
  const txn = await producer.transaction();
  await txn.send({ topic, messages: records.map((value) => ({ value, partition: 0 })) });
  if (commit) await txn.commit();
  else await txn.abort();
}

/** Every value a consumer group reads from topic until `count` arrived (and a little longer, so extras would show). */
async function consumeValues(kafka: Kafka, topic: string, count: number, readUncommitted: boolean): Promise<string[]> {
  const consumer = await connected(kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 100 }));
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void values.push(message.value!.toString())) });
  await eventually(() => values.length >= count, 20_000, `${count} records from ${topic}`);
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return values.sort();
}

async function listOffset(bootstrap: string, topic: string, partition: number, isolationLevel: number): Promise<number> {
  const raw = await TestConnection.open(bootstrap);
  try {
    const res = await raw.request(Apis.ListOffsets, 5, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] });
    return res.topics[0].partitions[0].offset;
  } finally {
    raw.close();
  }
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);

describe("transactions with kafkajs", () => {
  it("read_committed sees exactly the committed records across partitions; read_uncommitted every data record and no marker", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const admin = await connected(kafka.admin());
    await admin.createTopics({ topics: [{ topic: "txn", numPartitions: 3 }] });
    const producer = await transactionalProducer(kafka, "commit-abort");

    const send = async (prefix: string, commit: boolean) => {
      const txn = await producer.transaction();
      await txn.send({ topic: "txn", messages: values(prefix, 30).map((value, i) => ({ value, partition: i % 3 })) });
      if (commit) await txn.commit();
      else await txn.abort();
    };
    await send("first", true);
    await send("aborted", false);
    await send("second", true);

    expect(await consumeValues(kafka, "txn", 60, false)).toEqual([...values("first", 30), ...values("second", 30)].sort());
    expect(await consumeValues(kafka, "txn", 90, true)).toEqual([...values("aborted", 30), ...values("first", 30), ...values("second", 30)].sort());

    // The markers are in the log (one per partition per transaction) but never handed out as records.
    for (let p = 0; p < 3; p++) {
      const log = t.broker.logs.partition("txn", p);
      const { records } = await log.read(0, 1 << 20);
      let markers = 0;
      let data = 0;
      forEachBatch(records, (h) => (h.control ? markers++ : (data += h.recordCount)));
      expect({ markers, data }).toEqual({ markers: 3, data: 30 });
      expect(log.lastStableOffset).toBe(log.highWatermark);
    }
  });

  it("an open transaction holds the last stable offset back: read_committed ListOffsets and Fetch stop before it", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const plain = await connected(kafka.producer());
    await plain.send({ topic: "lso", messages: [{ value: "before", partition: 0 }] });
    const producer = await transactionalProducer(kafka, "lso-holder");
    const txn = await producer.transaction();
    await txn.send({ topic: "lso", messages: [{ value: "open", partition: 0 }] });
    await plain.send({ topic: "lso", messages: [{ value: "after", partition: 0 }] });

    expect(await listOffset(t.bootstrap, "lso", 0, 0)).toBe(3);
    expect(await listOffset(t.bootstrap, "lso", 0, 1)).toBe(1);
    const raw = await TestConnection.open(t.bootstrap);
    closers.push(() => Promise.resolve(raw.close()));
    const fetch = (isolationLevel: number) =>
      raw.request(Apis.Fetch, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "lso", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
    const committed = (await fetch(1)).responses[0].partitions[0];
    expect(committed.lastStableOffset).toBe(1);
    expect(committed.highWatermark).toBe(3);
    let last = -1;
    forEachBatch(committed.records!, (h) => (last = h.baseOffset + h.lastOffsetDelta));
    expect(last).toBe(0);

    await txn.abort();
    // EndTxn answers once the ABORT marker is written; the marker's own offset becomes readable with its flush a few milliseconds on.
    await vi.waitFor(async () => expect(await listOffset(t.bootstrap, "lso", 0, 1)).toBe(4), { timeout: 5_000, interval: 20 });
    const after = (await fetch(1)).responses[0].partitions[0];
    expect(after.abortedTransactions).toEqual([{ producerId: expect.any(Number), firstOffset: 1 }]);
    expect(await consumeValues(kafka, "lso", 2, false)).toEqual(["after", "before"]);
  });

  it("a zombie with the old epoch is fenced: its writes and its commit are refused", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const zombie = await transactionalProducer(kafka, "fenced-id");
    const zt = await zombie.transaction();
    await zt.send({ topic: "fence", messages: [{ value: "zombie-open", partition: 0 }] });

    // The new incarnation aborts the zombie's open transaction and bumps the epoch.
    const fresh = await transactionalProducer(kafka, "fenced-id");
    await transact(fresh, "fence", ["fresh"]);

    await expect(zt.send({ topic: "fence", messages: [{ value: "zombie-late", partition: 0 }] })).rejects.toThrow(/epoch|fenced/i);
    await expect(zt.commit()).rejects.toThrow();
    expect(await consumeValues(kafka, "fence", 1, false)).toEqual(["fresh"]);
  });

  it("consume-transform-produce with sendOffsets: output and input offsets commit together, or neither", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const input = await connected(kafka.producer());
    await input.send({ topic: "ctp-in", messages: values("in", 20).map((value) => ({ value, partition: 0 })) });
    const producer = await transactionalProducer(kafka, "ctp");
    const admin = await connected(kafka.admin());

    const step = async (from: number, to: number, commit: boolean) => {
      const txn = await producer.transaction();
      await txn.send({ topic: "ctp-out", messages: values("in", 20).slice(from, to).map((v) => ({ value: v.toUpperCase(), partition: 0 })) });
      await txn.sendOffsets({ consumerGroupId: "ctp-group", topics: [{ topic: "ctp-in", partitions: [{ partition: 0, offset: String(to) }] }] });
      if (commit) await txn.commit();
      else await txn.abort();
    };
    const committed = async () => (await admin.fetchOffsets({ groupId: "ctp-group", topics: ["ctp-in"] }))[0].partitions[0].offset;

    await step(0, 10, true);
    expect(await committed()).toBe("10");
    await step(10, 20, false);
    expect(await committed()).toBe("10");
    await step(10, 20, true);
    expect(await committed()).toBe("20");
    expect(await consumeValues(kafka, "ctp-out", 20, false)).toEqual(values("IN", 20));

    // The committed offsets (and not the aborted one) survive a restart.
    const again = await restart(t);
    const admin2 = await connected(again.kafka().admin());
    expect((await admin2.fetchOffsets({ groupId: "ctp-group", topics: ["ctp-in"] }))[0].partitions[0].offset).toBe("20");
  });

  it("a transaction open longer than transaction.timeout.ms is aborted and its producer fenced", async () => {
    const t = await broker({ transactionAbortIntervalMs: 100 });
    const kafka = t.kafka();
    const producer = await transactionalProducer(kafka, "slowpoke", 500);
    const txn = await producer.transaction();
    await txn.send({ topic: "timeout", messages: [{ value: "never", partition: 0 }] });
    const log = () => t.broker.logs.partition("timeout", 0);
    await eventually(() => log().lastStableOffset === log().highWatermark && log().highWatermark === 2, 10_000, "the abort marker");
    await expect(txn.commit()).rejects.toThrow();
    const raw = await TestConnection.open(t.bootstrap);
    closers.push(() => Promise.resolve(raw.close()));
    const described = await raw.request(Apis.DescribeTransactions, 0, { transactionalIds: ["slowpoke"] });
    expect(described.transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: "CompleteAbort", producerEpoch: 1 });
  });

  it("InitProducerId refuses a timeout above --transaction-max-timeout-ms", async () => {
    const t = await broker({ transactionMaxTimeoutMs: 1000 });
    const raw = await TestConnection.open(t.bootstrap);
    closers.push(() => Promise.resolve(raw.close()));
    const res = await raw.request(Apis.InitProducerId, 4, { transactionalId: "too-long", transactionTimeoutMs: 5000, producerId: -1, producerEpoch: -1 });
    expect(res.errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it("kcat with isolation.level=read_committed reads only committed records", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const producer = await transactionalProducer(kafka, "for-kcat");
    for (const [prefix, commit] of [["kept", true], ["dropped", false], ["also-kept", true]] as const) {
      await transact(producer, "kcat-txn", values(prefix, 5), commit);
    }
    const read = async (isolation: string) => (await kcat(["-b", t.bootstrap, "-C", "-t", "kcat-txn", "-p", "0", "-o", "beginning", "-e", "-q", "-X", `isolation.level=${isolation}`, "-f", "%s\\n"])).trim().split("\n").sort();
    expect(await read("read_committed")).toEqual([...values("also-kept", 5), ...values("kept", 5)].sort());
    expect(await read("read_uncommitted")).toEqual([...values("also-kept", 5), ...values("dropped", 5), ...values("kept", 5)].sort());
  });

  it("a restart keeps an open transaction open (its records stay invisible) until the next incarnation aborts it", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const producer = await transactionalProducer(kafka, "survivor");
    await transact(producer, "restart", ["committed"]);
    const open = await producer.transaction();
    await open.send({ topic: "restart", messages: [{ value: "in-flight", partition: 0 }] });

    const again = await restart(t);
    const raw = await TestConnection.open(again.bootstrap);
    closers.push(() => Promise.resolve(raw.close()));
    const described = await raw.request(Apis.DescribeTransactions, 0, { transactionalIds: ["survivor"] });
    expect(described.transactionStates[0]).toMatchObject({ transactionState: "Ongoing", topics: [{ topic: "restart", partitions: [0] }] });
    expect(again.broker.logs.partition("restart", 0).lastStableOffset).toBe(2);
    const next = await transactionalProducer(again.kafka(), "survivor");
    await transact(next, "restart", ["after-restart"]);
    expect(await consumeValues(again.kafka(), "restart", 2, false)).toEqual(["after-restart", "committed"]);
  });

  it("at start, a partition's open transaction the coordinator has no record of (its AddPartitionsToTxn record lost) is aborted and the producer fenced", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const producer = await transactionalProducer(kafka, "orphan");
    await transact(producer, "orphan", ["committed"]);
    const state = await describeTransaction(t, "orphan");
    // What a crash that lost the AddPartitionsToTxn record leaves: records of an open transaction the coordinator never recorded.
    const pl = t.broker.logs.partition("orphan", 0);
    await pl.append(encodeRecordBatch([{ value: Buffer.from("orphaned") }], { producerId: state.producerId, producerEpoch: state.producerEpoch, baseSequence: 1, transactional: true }));
    expect(pl.lastStableOffset).toBeLessThan(pl.highWatermark);

    const again = await restart(t);
    const log = again.broker.logs.partition("orphan", 0);
    expect(log.lastStableOffset).toBe(log.highWatermark);
    const c = await TestConnection.open(again.bootstrap);
    closers.push(() => Promise.resolve(c.close()));
    expect((await c.request(Apis.DescribeTransactions, 0, { transactionalIds: ["orphan"] })).transactionStates[0]).toMatchObject({ transactionState: "CompleteAbort", producerEpoch: state.producerEpoch + 1 });
    expect((await c.request(Apis.AddPartitionsToTxn, 3, { transactionalId: "orphan", producerId: state.producerId, producerEpoch: state.producerEpoch, topics: [{ name: "orphan", partitions: [0] }] })).resultsByTopic[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await consumeValues(again.kafka(), "orphan", 1, false)).toEqual(["committed"]);
  });

  it("completing a prepared transaction at start leaves the next transaction's data behind its marker alone: that one is aborted", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const producer = await transactionalProducer(kafka, "overtaken");
    const first = await producer.transaction();
    await first.send({ topic: "overtaken", messages: [{ value: "first", partition: 0 }] });
    const preparedEnd = t.broker.logs.partition("overtaken", 0).logEndOffset;
    await first.commit();
    const second = await producer.transaction();
    await second.send({ topic: "overtaken", messages: [{ value: "second", partition: 0 }] });
    const state = await describeTransaction(t, "overtaken");
    // What a crash can leave: the first transaction's PREPARE as the id's last durable record (the
    // records after it lost), while the second transaction's data, behind the first's marker, survived.
    await writePrepareCommit(t, state, new Map([["overtaken\u00000", preparedEnd]]));

    const again = await restart(t);
    expect(await consumeValues(again.kafka(), "overtaken", 1, false)).toEqual(["first"]);
    expect(again.broker.logs.partition("overtaken", 0).openTransactions.size).toBe(0);
  });

  it("a transaction the coordinator had prepared to commit when it stopped is committed at the next start", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const setup = kafka.admin();
    await setup.connect();
    await setup.createTopics({ topics: [{ topic: "prepared-in" }] });
    await setup.disconnect();
    const producer = await transactionalProducer(kafka, "prepared");
    const txn = await producer.transaction();
    await txn.send({ topic: "prepared", messages: [{ value: "p0", partition: 0 }] });
    await txn.sendOffsets({ consumerGroupId: "prepared-group", topics: [{ topic: "prepared-in", partitions: [{ partition: 0, offset: "7" }] }] });
    const state = await describeTransaction(t, "prepared");
    // What a crash right after the PREPARE record leaves: the record, and no marker anywhere.
    await writePrepareCommit(t, state);

    const again = await restart(t);
    expect(await consumeValues(again.kafka(), "prepared", 1, false)).toEqual(["p0"]);
    const admin = await connected(again.kafka().admin());
    expect((await admin.fetchOffsets({ groupId: "prepared-group", topics: ["prepared-in"] }))[0].partitions[0].offset).toBe("7");
  });

  it("a consume-transform-produce loop SIGKILLed again and again mid-transaction yields every input exactly once in the read_committed output", async () => {
    const t = await broker();
    const kafka = t.kafka();
    const admin = await connected(kafka.admin());
    await admin.createTopics({ topics: [{ topic: "eos-in" }, { topic: "eos-out" }] });
    const input = await connected(kafka.producer());
    const inputs = values("in", 200);
    await input.send({ topic: "eos-in", messages: inputs.map((value) => ({ value })) });
    const committed = async () => Number((await admin.fetchOffsets({ groupId: "eos", topics: ["eos-in"] }))[0].partitions[0].offset);
    const start = () => {
      const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "eos-child.ts"), t.bootstrap], { stdio: ["ignore", "pipe", "inherit"] });
      closers.push(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGKILL");
          await once(child, "exit");
        }
      });
      return child;
    };
    let kills = 0;
    for (let round = 0; round < 4; round++) {
      const child = start();
      const before = await committed();
      // Kill once this incarnation has committed something, at a moment unrelated to its transactions.
      await eventually(async () => (await committed()) > before || (await committed()) >= inputs.length, 30_000, "progress");
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      if ((await committed()) >= inputs.length) break;
      child.kill("SIGKILL");
      await once(child, "exit");
      kills++;
    }
    start();
    await eventually(async () => (await committed()) >= inputs.length, 45_000, "every input processed");
    expect(kills).toBeGreaterThan(1);
    expect(await consumeValues(kafka, "eos-out", inputs.length, false)).toEqual(values("IN", 200));
  }, 120_000);
});

describe("transaction APIs on the wire", () => {
  it("answers each request as Kafka's coordinator does: unknown partitions, wrong state, fencing by version, markers, listing", async () => {
    const t = await broker();
    const c = await TestConnection.open(t.bootstrap);
    closers.push(() => Promise.resolve(c.close()));
    const kafka = t.kafka();
    const admin = await connected(kafka.admin());
    await admin.createTopics({ topics: [{ topic: "wire", numPartitions: 2 }] });

    const init = await c.request(Apis.InitProducerId, 4, { transactionalId: "wire-tx", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(init).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const producer = { transactionalId: "wire-tx", producerId: init.producerId, producerEpoch: init.producerEpoch };

    // Nothing is added unless every partition exists.
    const partial = await c.request(Apis.AddPartitionsToTxn, 3, { ...producer, topics: [{ name: "wire", partitions: [0, 7] }] });
    expect(partial.resultsByTopic[0].resultsByPartition).toEqual([
      { partitionIndex: 0, partitionErrorCode: ErrorCode.OPERATION_NOT_ATTEMPTED },
      { partitionIndex: 7, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    expect((await c.request(Apis.EndTxn, 3, { ...producer, committed: true })).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);

    // A transactional batch for a partition not in the transaction is refused.
    const batch = (partitionEpoch: number) => encodeRecordBatch([{ value: Buffer.from("x") }], { producerId: producer.producerId, producerEpoch: partitionEpoch, baseSequence: 0, transactional: true });
    const produce = (epoch: number) => c.request(Apis.Produce, 9, { transactionalId: "wire-tx", acks: -1, timeoutMs: 5000, topicData: [{ name: "wire", partitionData: [{ index: 1, records: batch(epoch) }] }] });
    expect((await produce(0)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await c.request(Apis.AddPartitionsToTxn, 3, { ...producer, topics: [{ name: "wire", partitions: [1] }] })).resultsByTopic[0].resultsByPartition[0].partitionErrorCode).toBe(0);
    expect((await produce(0)).responses[0].partitionResponses[0].errorCode).toBe(0);
    const listed = await c.request(Apis.ListTransactions, 1, { stateFilters: ["Ongoing", "Nonsense"], producerIdFilters: [], durationFilter: -1 });
    expect(listed).toMatchObject({ errorCode: 0, unknownStateFilters: ["Nonsense"], transactionStates: [{ transactionalId: "wire-tx", producerId: producer.producerId, transactionState: "Ongoing" }] });

    // The next incarnation fences this one: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before.
    const next = await c.request(Apis.InitProducerId, 4, { transactionalId: "wire-tx", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(next).toMatchObject({ errorCode: 0, producerId: producer.producerId, producerEpoch: 2 });
    expect((await c.request(Apis.EndTxn, 3, { ...producer, committed: true })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await c.request(Apis.EndTxn, 1, { ...producer, committed: true })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await produce(0)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const stale = await c.request(Apis.InitProducerId, 4, { transactionalId: "wire-tx", transactionTimeoutMs: 60_000, producerId: producer.producerId, producerEpoch: 0 });
    expect(stale.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(t.broker.logs.partition("wire", 1).lastStableOffset).toBe(t.broker.logs.partition("wire", 1).highWatermark);

    // Producers may not write markers or the broker's own topics; WriteTxnMarkers (what tools use to abort a hanging transaction) may.
    const control = encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { producerId: producer.producerId, producerEpoch: 2, control: true });
    const forged = await c.request(Apis.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: "wire", partitionData: [{ index: 0, records: control }] }, { name: "__transaction_state", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from("x") }]) }] }] });
    expect(forged.responses.map((r) => r.partitionResponses[0].errorCode)).toEqual([ErrorCode.INVALID_RECORD, ErrorCode.INVALID_TOPIC_EXCEPTION]);
    const written = await c.request(Apis.WriteTxnMarkers, 1, { markers: [{ producerId: producer.producerId, producerEpoch: 2, transactionResult: false, topics: [{ name: "wire", partitionIndexes: [0] }], coordinatorEpoch: 0 }] });
    expect(written.markers[0].topics[0].partitions).toEqual([{ partitionIndex: 0, errorCode: 0 }]);
  });
});
