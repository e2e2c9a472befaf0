import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coordinatorPartition } from "@/server/broker/groups/coordinator-partition";
import { KafkaClient } from "@/server/kafka/client";
import { STALE_LEADER } from "@/server/kafka/client/cluster";
import type { BrokerConnection } from "@/server/kafka/client/connection";
import { check, KafkaClientError } from "@/server/kafka/client/errors";
import { call } from "@/server/kafka/client/protocol";
import { CoordinatorType, ElectionType, IsolationLevel } from "@/server/kafka/constants";
import { ErrorCode } from "@/server/kafka/errors";
import { Apis } from "@/server/kafka/messages";
import { encodeRecordBatch } from "@/server/kafka/records/batch";
import { BrokerCluster } from "@/server/testing/broker-cluster";
import { kcatMetadata } from "@/server/testing/kcat";
import { tempDirs } from "@/server/testing/temp-dir";
import { clusterDatabase, eventually } from "./test-support";

const SESSION_MS = 3000;
const IDS = [1, 2, 3];
const TOPIC = "txn-spread";
const PARTITIONS = 6;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
let cluster: BrokerCluster;
let client: KafkaClient;
const tempDir = tempDirs("txn-cluster");
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await clusterDatabase();
  cluster = await BrokerCluster.start({
    nodeIds: IDS,
    databaseUrl: db.url,
    sessionTimeoutMs: SESSION_MS,
    dataDir: tempDir,
    // A paused follower leaves the ISR within seconds, so a marker's wait for the ISR shows in a test.
    args: ["--transaction-state-log-num-partitions", "6", "--offsets-topic-num-partitions", "6", "--group-initial-rebalance-delay-ms", "0", "--replica-lag-time-max-ms", "3000"],
  });
  // Retries outlast a coordinator's or leader's failover (the session timeout, then a load); a request to a paused broker gives up after 5 s.
  client = new KafkaClient({ bootstrap: cluster.bootstrap(), clientId: "txn-cluster-raw", retries: 80, retryBackoffMs: 100, retryBackoffMaxMs: 500, connectTimeoutMs: 2000, requestTimeoutMs: 5000 });
}, 90_000);

afterAll(async () => {
  await client?.close();
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await cluster?.close();
  await db?.dispose();
});

const liveBootstrap = () => IDS.filter((id) => cluster.isUp(id)).map((id) => `127.0.0.1:${cluster.port(id)}`);

function kafka(): Kafka {
  return new Kafka({ clientId: "txn-cluster-test", brokers: liveBootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
}

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
  await client.connect();
  closers.push(() => client.disconnect());
  return client;
}

function transactionalProducer(transactionalId: string): Promise<Producer> {
  return connected(kafka().producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 }));
}

/** One record per partition of TOPIC, values `${prefix}-${partition}`. */
const spread = (prefix: string) => Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: `${prefix}-${partition}` }));

/** What a read_committed consumer group reads from TOPIC, once `count` records came (and a little longer, so extras would show). */
async function readCommitted(count: number): Promise<string[]> {
  const consumer = await connected(kafka().consumer({ groupId: `reader-${Math.random()}`, readUncommitted: false, maxWaitTimeInMs: 200 }));
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void values.push(message.value!.toString())) });
  await eventually(() => (values.length >= count ? true : undefined), 60_000, `${count} committed records from ${TOPIC}`);
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.disconnect();
  return values.sort();
}

/**
 * A transactional producer of raw requests through this project's client: each request goes to
 * its coordinator (or leader), found again and retried on a lost connection, NOT_COORDINATOR or a
 * load in progress, so a SIGKILLed coordinator shows only in what a test asserts.
 */
class RawTransactionalProducer {
  producerId = -1;
  producerEpoch = -1;
  private sequences = new Map<string, number>();

  constructor(readonly transactionalId: string) {}

  private onCoordinator<T>(what: string, fn: (conn: BrokerConnection) => Promise<T>): Promise<T> {
    return client.cluster.onCoordinator(this.transactionalId, `${what} ${this.transactionalId}`, fn, undefined, CoordinatorType.TRANSACTION);
  }

  private get producer() {
    return { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /** InitProducerId as a new incarnation: fences every earlier one. */
  async init(): Promise<void> {
    const res = await this.onCoordinator("InitProducerId", async (conn) => {
      const r = await call(conn, Apis.InitProducerId, { transactionalId: this.transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      check(r.errorCode, "InitProducerId");
      return r;
    });
    this.producerId = res.producerId;
    this.producerEpoch = res.producerEpoch;
    this.sequences.clear();
  }

  async addPartitions(topic: string, partitions: number[]): Promise<void> {
    await this.onCoordinator("AddPartitionsToTxn", async (conn) => {
      const r = await call(conn, Apis.AddPartitionsToTxn, { ...this.producer, topics: [{ name: topic, partitions }] });
      for (const p of r.resultsByTopic[0].resultsByPartition) check(p.partitionErrorCode, `AddPartitionsToTxn ${topic}-${p.partitionIndex}`);
    });
  }

  /** One transactional batch of `values` to a partition's leader (its sequence makes a retry a duplicate, not a second copy). */
  async send(topic: string, partition: number, values: string[]): Promise<void> {
    const key = `${topic}-${partition}`;
    const baseSequence = this.sequences.get(key) ?? 0;
    const records = encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v) })), { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence, transactional: true });
    await client.cluster.withRetry(
      `Produce ${key}`,
      async () => {
        const conn = await client.cluster.broker((await client.cluster.leader(topic, partition)).leader);
        const r = await call(conn, Apis.Produce, { transactionalId: this.transactionalId, acks: -1, timeoutMs: 4000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
        check(r.responses[0].partitionResponses[0].errorCode, `Produce ${key}`);
      },
      (err) => STALE_LEADER.has(err.code) && client.cluster.invalidate(topic),
    );
    this.sequences.set(key, baseSequence + values.length);
  }

  async addOffsets(groupId: string): Promise<void> {
    await this.onCoordinator("AddOffsetsToTxn", async (conn) => check((await call(conn, Apis.AddOffsetsToTxn, { ...this.producer, groupId })).errorCode, `AddOffsetsToTxn ${groupId}`));
  }

  /** TxnOffsetCommit at the group's coordinator. */
  async commitOffsets(groupId: string, topic: string, offsets: { partition: number; offset: number }[]): Promise<void> {
    await client.cluster.onCoordinator(groupId, `TxnOffsetCommit ${groupId}`, async (conn) => {
      const partitions = offsets.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: null }));
      const r = await call(conn, Apis.TxnOffsetCommit, { ...this.producer, groupId, topics: [{ name: topic, partitions }] });
      for (const p of r.topics[0].partitions) check(p.errorCode, `TxnOffsetCommit ${groupId} ${topic}-${p.partitionIndex}`);
    });
  }

  async endTxn(commit: boolean): Promise<void> {
    await this.onCoordinator("EndTxn", async (conn) => check((await call(conn, Apis.EndTxn, { ...this.producer, committed: commit })).errorCode, "EndTxn"));
  }
}

/** The broker FindCoordinator names for a key now. */
async function coordinatorNode(key: string, keyType: number): Promise<number> {
  return client.cluster.withRetry(`FindCoordinator ${key}`, async () => {
    const r = await call(await client.cluster.any(), Apis.FindCoordinator, { key, keyType, coordinatorKeys: [key] });
    const c = r.coordinators[0];
    check(c.errorCode, `FindCoordinator ${key}`);
    return c.nodeId;
  });
}

/** A transactional id whose coordinator is `nodeId`. */
async function idCoordinatedBy(nodeId: number, prefix: string): Promise<string> {
  for (let i = 0; i < 200; i++) if ((await coordinatorNode(`${prefix}-${i}`, CoordinatorType.TRANSACTION)) === nodeId) return `${prefix}-${i}`;
  throw new Error(`no transactional id ${prefix}-* is coordinated by broker ${nodeId}`);
}

async function createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<number[]> {
  const created = () =>
    client.admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 3, configs }]).then(
      () => true,
      (err: unknown) => {
        // Right after start the controller may not count every live broker yet.
        if (err instanceof KafkaClientError && err.code === ErrorCode.INVALID_REPLICATION_FACTOR) return undefined;
        throw err;
      },
    );
  await eventually(created, 30_000, `${name} created`);
  return eventually(async () => {
    const ps = (await kcatMetadata(cluster.port(1), name))?.topics[0]?.partitions ?? [];
    return ps.length === partitions && ps.every((p) => p.leader > 0 && p.isrs.length === 3) ? ps.sort((a, b) => a.partition - b.partition).map((p) => p.leader) : undefined;
  }, 30_000, `${name} in sync on three brokers`);
}

/** Each partition's values (those starting with `prefix`) as a reader with this isolation level sees them now, from offset 0. */
async function readPartitions(topic: string, partitions: number[], isolationLevel: number, prefix: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const partition of partitions) {
    const values: string[] = [];
    for (let offset = 0; ; ) {
      const [f] = await client.cluster.withRetry(`Fetch ${topic}-${partition}`, async () => {
        const res = await client.fetch([{ topic, partition, offset }], { isolationLevel, maxWaitMs: 0 });
        check(res[0].errorCode, `Fetch ${topic}-${partition}`);
        return res;
      }, () => client.cluster.invalidate(topic));
      for (const r of f.records) if (r.value?.toString().startsWith(prefix)) values.push(r.value.toString());
      if (f.nextOffset <= offset) break;
      offset = f.nextOffset;
    }
    out.set(partition, values.sort());
  }
  return out;
}

/** The committed offsets of a group now, without waiting for open transactions (requireStable=false): what its consumers would start from. */
async function groupOffsets(groupId: string, topic: string, partitions: number[]): Promise<number[]> {
  return client.cluster.onCoordinator(groupId, `OffsetFetch ${groupId}`, async (conn) => {
    const r = await call(conn, Apis.OffsetFetch, { groupId, topics: [{ name: topic, partitionIndexes: partitions }], groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }], requireStable: false });
    const g = r.groups[0];
    check(g.errorCode, `OffsetFetch ${groupId}`);
    return g.topics[0].partitions.map((p) => p.committedOffset);
  });
}

/** Starts a killed broker again and waits until it is back in the ISR of every partition. */
async function restart(nodeId: number): Promise<void> {
  cluster.restart(nodeId);
  await cluster.waitForBrokers(IDS.length);
  await eventually(async () => ((await allPartitions(nodeId)).every((p) => p.isrs.length === p.replicas.length) ? true : undefined), 60_000, `broker ${nodeId} back in every ISR`);
}

const allPartitions = async (nodeId: number) => (await kcatMetadata(cluster.port(nodeId)))?.topics.flatMap((t) => t.partitions) ?? [];

/** A preferred leader election of every partition, so each broker leads (and coordinates) its share again after a restart. */
async function preferLeaders(): Promise<void> {
  // Asked again until done: a preferred leader the store does not list in the ISR yet is not elected.
  await eventually(async () => {
    if ((await allPartitions(IDS[0])).every((p) => p.leader === p.replicas[0].id)) return true;
    const elected = await call(await client.cluster.any(), Apis.ElectLeaders, { electionType: ElectionType.PREFERRED, topicPartitions: null, timeoutMs: 10_000 });
    check(elected.errorCode, "ElectLeaders");
    await sleep(500);
    return undefined;
  }, 60_000, "the preferred leaders leading");
}

describe("transactional offset commits across brokers", () => {
  it("offsets committed in a transaction at other brokers' group coordinators become the groups' at commit, and never after an abort", async () => {
    const topic = "txn-offsets-in";
    await createTopic(topic, 1);
    const transactionalId = "offsets-txn";
    const producer = new RawTransactionalProducer(transactionalId);
    await producer.init();
    const txnCoordinator = await coordinatorNode(transactionalId, CoordinatorType.TRANSACTION);
    // One group per __consumer_offsets partition but the first, added to the transaction before
    // anything created that topic: each lands in the partition its group will be served from.
    const groups = [1, 2, 3, 4, 5].map((partition) => Array.from({ length: 500 }, (_, i) => `eos-group-${i}`).find((g) => coordinatorPartition(g, 6) === partition)!);
    await producer.addPartitions(topic, [0]);
    await producer.send(topic, 0, ["offsets-a"]);
    for (const g of groups) await producer.addOffsets(g);
    const groupCoordinators = await Promise.all(groups.map((g) => coordinatorNode(g, CoordinatorType.GROUP)));
    expect(groupCoordinators.some((node) => node !== txnCoordinator)).toBe(true);
    for (const g of groups) await producer.commitOffsets(g, topic, [{ partition: 0, offset: 42 }]);

    // Only the group's coordinator takes its TxnOffsetCommit.
    const other = IDS.find((id) => id !== groupCoordinators[0])!;
    const refused = await call(await client.cluster.broker(other), Apis.TxnOffsetCommit, { transactionalId, groupId: groups[0], producerId: producer.producerId, producerEpoch: producer.producerEpoch, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(refused.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    for (const g of groups) expect(await groupOffsets(g, topic, [0])).toEqual([-1]);
    await producer.endTxn(true);
    for (const g of groups) expect(await groupOffsets(g, topic, [0])).toEqual([42]);

    await producer.addPartitions(topic, [0]);
    await producer.send(topic, 0, ["offsets-b"]);
    for (const g of groups) await producer.addOffsets(g);
    for (const g of groups) await producer.commitOffsets(g, topic, [{ partition: 0, offset: 99 }]);
    await producer.endTxn(false);
    for (const g of groups) expect(await groupOffsets(g, topic, [0])).toEqual([42]);
    expect(await readPartitions(topic, [0], IsolationLevel.READ_COMMITTED, "offsets-")).toEqual(new Map([[0, ["offsets-a"]]]));
  }, 90_000);
});

describe("transactions on a cluster (three broker processes)", () => {
  it("commits one transaction and aborts another over partitions led by every broker; read_committed sees the committed one only", async () => {
    const admin = await connected(kafka().admin());
    // Right after start kafkajs may see no controller yet (-1) and refuses to ask; it is asked again.
    await eventually(() => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }] }).then(() => true, () => undefined), 30_000, `${TOPIC} created`);
    const leaders = await eventually(async () => {
      const ps = (await kcatMetadata(cluster.port(1), TOPIC))?.topics[0]?.partitions ?? [];
      return ps.length === PARTITIONS && ps.every((p) => p.leader > 0 && p.isrs.length === 3) ? ps.map((p) => p.leader) : undefined;
    }, 30_000, `${TOPIC} in sync on three brokers`);
    expect(new Set(leaders)).toEqual(new Set(IDS));

    const producer = await transactionalProducer("spread-txn");
    const committed = await producer.transaction();
    await committed.send({ topic: TOPIC, messages: spread("committed") });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: TOPIC, messages: spread("aborted") });
    await aborted.abort();

    expect(await readCommitted(PARTITIONS)).toEqual(spread("committed").map((m) => m.value).sort());
    const meta = await kcatMetadata(cluster.port(1), "__transaction_state");
    expect(meta?.topics[0]?.partitions).toHaveLength(6);
    expect(meta?.topics[0]?.partitions.every((p) => p.replicas.length === 3)).toBe(true);
  }, 150_000);
});

describe("a transaction coordinator's SIGKILL (three broker processes, raw transactional requests)", () => {
  it("a transaction open at the kill: the new coordinator has it; the next incarnation aborts it, bumps the epoch and fences the old one; read_committed sees none of it", async () => {
    const leaders = await eventually(async () => {
      const ps = (await kcatMetadata(cluster.port(1), TOPIC))?.topics[0]?.partitions ?? [];
      return ps.length === PARTITIONS && ps.every((p) => p.isrs.length === 3) ? ps.sort((a, b) => a.partition - b.partition).map((p) => p.leader) : undefined;
    }, 30_000, `${TOPIC} in sync`);
    const coordinator = IDS[0];
    const elsewhere = leaders.flatMap((leader, p) => (leader === coordinator ? [] : [p]));
    expect(elsewhere.length).toBeGreaterThan(0);
    const transactionalId = await idCoordinatedBy(coordinator, "open-at-kill");
    const producer = new RawTransactionalProducer(transactionalId);
    await producer.init();
    await producer.addPartitions(TOPIC, elsewhere);
    for (const p of elsewhere) await producer.send(TOPIC, p, [`open-${p}-0`, `open-${p}-1`]);

    await cluster.kill(coordinator);
    const [state] = await client.admin.describeTransactions([transactionalId]);
    expect(await coordinatorNode(transactionalId, CoordinatorType.TRANSACTION)).not.toBe(coordinator);
    expect(state).toMatchObject({ state: "Ongoing", producerId: producer.producerId, producerEpoch: producer.producerEpoch, partitions: [{ topic: TOPIC, partitions: elsewhere }] });

    const next = new RawTransactionalProducer(transactionalId);
    await next.init();
    expect(next.producerId).toBe(producer.producerId);
    expect(next.producerEpoch).toBeGreaterThan(producer.producerEpoch);
    await expect(producer.endTxn(true)).rejects.toMatchObject({ code: ErrorCode.PRODUCER_FENCED });
    await expect(producer.send(TOPIC, elsewhere[0], ["open-zombie"])).rejects.toMatchObject({ code: ErrorCode.INVALID_PRODUCER_EPOCH });

    const committed = await readPartitions(TOPIC, elsewhere, IsolationLevel.READ_COMMITTED, "open-");
    expect([...committed.values()].flat()).toEqual([]);
    const written = await readPartitions(TOPIC, elsewhere, IsolationLevel.READ_UNCOMMITTED, "open-");
    expect([...written.values()].flat().sort()).toEqual(elsewhere.flatMap((p) => [`open-${p}-0`, `open-${p}-1`]).sort());
    const [after] = await client.admin.describeTransactions([transactionalId]);
    expect(after).toMatchObject({ state: "Empty", producerEpoch: next.producerEpoch });
    await restart(coordinator);
    await preferLeaders();
  }, 150_000);

  it("a commit answered just before its coordinator's SIGKILL stays whole: read_committed sees every record on every partition, never some", async () => {
    const coordinator = IDS[1];
    const transactionalId = await idCoordinatedBy(coordinator, "commit-at-kill");
    const producer = new RawTransactionalProducer(transactionalId);
    await producer.init();
    const all = Array.from({ length: PARTITIONS }, (_, p) => p);
    const expected = new Map(all.map((p) => [p, [`kill-${p}-0`, `kill-${p}-1`, `kill-${p}-2`]]));
    await producer.addPartitions(TOPIC, all);
    // Two batches per partition, so a partition half committed would show.
    for (const p of all) {
      await producer.send(TOPIC, p, expected.get(p)!.slice(0, 2));
      await producer.send(TOPIC, p, expected.get(p)!.slice(2));
    }
    await producer.endTxn(true);
    await cluster.kill(coordinator);

    const seen = await eventually(async () => {
      const now = await readPartitions(TOPIC, all, IsolationLevel.READ_COMMITTED, "kill-");
      for (const [p, values] of now) if (values.length) expect(values).toEqual(expected.get(p));
      return [...now.values()].every((v) => v.length) ? now : undefined;
    }, 60_000, "the committed transaction on every partition");
    expect(seen).toEqual(expected);
    const [state] = await client.admin.describeTransactions([transactionalId]);
    expect(state).toMatchObject({ state: "CompleteCommit", producerEpoch: producer.producerEpoch });
    await restart(coordinator);
    await preferLeaders();
  }, 150_000);
});

describe("transaction markers through the ISR", () => {
  it("a marker is not acknowledged while its partition's ISR is below min.insync.replicas; the commit waits, and a new coordinator completes it", async () => {
    const held = "txn-held";
    const [leader] = await createTopic(held, 1, { "min.insync.replicas": "3" });
    const coordinator = IDS.find((id) => id !== leader)!;
    const follower = IDS.find((id) => id !== leader && id !== coordinator)!;
    const transactionalId = await idCoordinatedBy(coordinator, "held-marker");
    const producer = new RawTransactionalProducer(transactionalId);
    await producer.init();
    await producer.addPartitions(held, [0]);
    await producer.send(held, 0, ["held-0", "held-1"]);

    cluster.pause(follower);
    const isr = async () => (await kcatMetadata(cluster.port(leader), held))?.topics[0]?.partitions[0]?.isrs.map((r) => r.id).sort();
    await eventually(async () => ((await isr())?.join() === [leader, coordinator].sort().join() ? true : undefined), 30_000, `the ISR of ${held}-0 without broker ${follower}`);
    // The metadata can show the smaller ISR a moment before the leader's own replication state,
    // which is what refuses the marker: wait until the leader refuses an acks=all write too.
    const probe = encodeRecordBatch([{ value: Buffer.from("probe") }]);
    await eventually(async () => {
      const r = await call(await client.cluster.broker(leader), Apis.Produce, { transactionalId: null, acks: -1, timeoutMs: 500, topicData: [{ name: held, partitionData: [{ index: 0, records: probe }] }] });
      return r.responses[0].partitionResponses[0].errorCode === ErrorCode.NOT_ENOUGH_REPLICAS ? true : undefined;
    }, 30_000, `the leader of ${held}-0 refusing acks=all below min.insync.replicas`);
    let ended = false;
    const ending = producer.endTxn(true).then(() => (ended = true));
    // Awaited below; a failure before that must not leave it rejecting unobserved when the client closes.
    ending.catch(() => undefined);
    // The decision is on the transaction log; the marker waits for an ISR of three.
    await eventually(async () => ((await client.admin.describeTransactions([transactionalId]))[0]?.state === "PrepareCommit" ? true : undefined), 30_000, "the transaction prepared");
    await sleep(2 * 3000);
    expect(ended).toBe(false);
    expect((await client.admin.describeTransactions([transactionalId]))[0]?.state).toBe("PrepareCommit");
    expect(await readPartitions(held, [0], IsolationLevel.READ_COMMITTED, "held-")).toEqual(new Map([[0, []]]));

    await cluster.kill(coordinator);
    const successor = await eventually(async () => {
      const node = await coordinatorNode(transactionalId, CoordinatorType.TRANSACTION);
      return node !== coordinator ? node : undefined;
    }, 30_000, "another coordinator");
    cluster.resume(follower);
    // The successor sends the marker again; the ISR is three again once the old coordinator's broker is back.
    await restart(coordinator);
    await ending;
    expect(await readPartitions(held, [0], IsolationLevel.READ_COMMITTED, "held-")).toEqual(new Map([[0, ["held-0", "held-1"]]]));
    expect((await client.admin.describeTransactions([transactionalId]))[0]?.state).toBe("CompleteCommit");
    expect(await coordinatorNode(transactionalId, CoordinatorType.TRANSACTION)).toBe(successor);

    // Two records and one marker: the refusals wrote none. A marker sent again (as after a lost
    // acknowledgement) is acknowledged without a second one.
    const highWatermark = async () => (await client.admin.listOffsets([{ topic: held, partition: 0, timestamp: -1 }], IsolationLevel.READ_UNCOMMITTED))[0].offset;
    expect(await highWatermark()).toBe(3);
    client.cluster.invalidate(held);
    const again = await call(await client.cluster.broker((await client.cluster.leader(held, 0)).leader), Apis.WriteTxnMarkers, { markers: [{ producerId: producer.producerId, producerEpoch: producer.producerEpoch, transactionResult: true, topics: [{ name: held, partitionIndexes: [0] }], coordinatorEpoch: 0 }] });
    expect(again.markers[0].topics[0].partitions).toEqual([{ partitionIndex: 0, errorCode: ErrorCode.NONE }]);
    expect(await highWatermark()).toBe(3);
  }, 180_000);
});
