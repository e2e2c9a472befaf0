import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../broker/broker";
import { ErrorCode, KafkaError } from "../kafka/errors";
import { KafkaClient, KafkaClientError } from "../kafka/client";
import { call } from "../kafka/client/protocol";
import { Apis } from "../kafka/messages";
import { ClusterMember } from "./member";
import { cancelReassignment, completeReassignment, startReassignment, type ReplicaSet } from "./reassignment";
import { ClusterStore } from "./store";
import { clusterDatabase, eventually } from "./test-support";

const all = new Set([1, 2, 3, 4]);
const steady = (replicas: number[], leader = replicas[0], isr = replicas): ReplicaSet => ({ replicas, leader, leaderEpoch: 0, isr, addingReplicas: [], removingReplicas: [] });

describe("reassignment rules", () => {
  it("adds the new replicas first and drops the removed ones only once every target replica is in sync", () => {
    const started = startReassignment(steady([1, 2]), [4, 2], all);
    expect(started).toMatchObject({ leader: 1, isr: [2, 1], leaderEpochBump: false, reassignment: { replicas: [4, 2, 1], addingReplicas: [4], removingReplicas: [1] } });
    const moving: ReplicaSet = { ...steady([1, 2]), replicas: [4, 2, 1], addingReplicas: [4], removingReplicas: [1], isr: [2, 1] };
    expect(completeReassignment(moving, all)).toBeNull();
    // Broker 4 caught up: the removed leader 1 gives way to the first target replica.
    expect(completeReassignment({ ...moving, isr: [4, 2, 1] }, all)).toEqual({ leader: 4, isr: [4, 2], leaderEpochBump: true, reassignment: { replicas: [4, 2], addingReplicas: [], removingReplicas: [] } });
  });

  it("completes at once when only replicas leave, and cancelling reverts to the original replicas", () => {
    expect(startReassignment(steady([1, 2, 3]), [2, 3], all)).toEqual({ leader: 2, isr: [2, 3], leaderEpochBump: true, reassignment: { replicas: [2, 3], addingReplicas: [], removingReplicas: [] } });
    const moving: ReplicaSet = { ...steady([1, 2]), replicas: [3, 4, 1, 2], addingReplicas: [3, 4], removingReplicas: [1, 2], isr: [1, 2, 3] };
    expect(cancelReassignment(moving, all)).toEqual({ leader: 1, isr: [1, 2], leaderEpochBump: false, reassignment: { replicas: [1, 2], addingReplicas: [], removingReplicas: [] } });
    expect((cancelReassignment(steady([1, 2]), all) as KafkaError).code).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  });

  it("refuses empty, repeated and unknown target replicas", () => {
    for (const target of [[], [2, 2], [1, 9]]) expect((startReassignment(steady([1, 2]), target, all) as KafkaError).code).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });
});

const SESSION_MS = 2500;
const RECORDS = 40;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
const dirs = new Map<number, string>();
const brokers = new Map<number, Broker>();
let client: KafkaClient;
let producer: Producer;

/** Starts a broker, on its earlier data dir when it ran before. */
async function startBroker(nodeId: number): Promise<Broker> {
  const dataDir = dirs.get(nodeId) ?? mkdtempSync(join(tmpdir(), `tributary-reassign-${nodeId}-`));
  dirs.set(nodeId, dataDir);
  const cluster = new ClusterMember(ClusterStore.open(db.url, 1), { nodeId, sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false });
  const broker = await Broker.start({ dataDir, host: "127.0.0.1", port: 0, nodeId, cluster, groupInitialRebalanceDelayMs: 0 });
  brokers.set(nodeId, broker);
  return broker;
}

/** The bytes of a broker's segment files of a partition of `moving`. */
const recordBytes = (nodeId: number, partition: number) => {
  const dir = join(dirs.get(nodeId)!, "log", `moving-${partition}`);
  return readdirSync(dir).filter((f) => f.endsWith(".log")).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
};

const partitionsOf = (nodeId: number, topic: string) => brokers.get(nodeId)!.cluster!.metadata().topics.get(topic)?.partitions ?? [];

beforeAll(async () => {
  db = await clusterDatabase();
  for (const id of [1, 2, 3]) await startBroker(id);
  await eventually(() => ([...brokers.values()].every((b) => b.cluster!.metadata().brokers.length === 3) ? true : undefined), 15_000, "three live brokers");
  client = new KafkaClient({ bootstrap: [brokers.get(2)!.bootstrap], clientId: "reassign-test" });
  const kafka = new Kafka({ clientId: "reassign-test", brokers: [brokers.get(2)!.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "moving", replicaAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 3] }] }] });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
}, 60_000);

afterAll(async () => {
  await producer?.disconnect();
  await client?.close();
  for (const b of brokers.values()) await b.close();
  await db?.dispose();
  for (const d of dirs.values()) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe("partition reassignment in a cluster", () => {
  it("moves replicas to a new broker: it catches up, the removed replicas leave, the leader moves off a removed one", async () => {
    for (let i = 0; i < RECORDS; i++) await producer.send({ topic: "moving", acks: -1, messages: [{ partition: i % 2, value: `record ${i}` }] });
    await startBroker(4);
    await eventually(() => (partitionsOf(1, "moving").length && brokers.get(1)!.cluster!.metadata().brokers.length === 4 ? true : undefined), 15_000, "broker 4 live");
    await client.admin.alterPartitionReassignments([
      { topic: "moving", partition: 0, replicas: [4, 2] },
      { topic: "moving", partition: 1, replicas: [3, 4] },
    ]);
    await eventually(async () => ((await client.admin.listPartitionReassignments()).length === 0 ? true : undefined), 30_000, "reassignments complete");
    await eventually(() => {
      const [p0, p1] = partitionsOf(3, "moving");
      return p0.leader === 4 && p1.leader === 3 ? true : undefined;
    }, 15_000, "the new leaders known");
    expect(partitionsOf(3, "moving").map((p) => ({ replicas: p.replicas, isr: p.isr, adding: p.addingReplicas, removing: p.removingReplicas }))).toEqual([
      { replicas: [4, 2], isr: [4, 2], adding: [], removing: [] },
      { replicas: [3, 4], isr: [3, 4], adding: [], removing: [] },
    ]);
    // Broker 4 holds every record of both partitions, and the topic takes new ones.
    const half = RECORDS / 2;
    await eventually(() => (brokers.get(4)!.logs.partition("moving", 0).logEndOffset === half && brokers.get(4)!.logs.partition("moving", 1).logEndOffset === half ? true : undefined), 15_000, "broker 4 caught up");
    await producer.send({ topic: "moving", acks: -1, messages: [{ partition: 0, value: "after" }] });
    await eventually(() => (brokers.get(2)!.logs.partition("moving", 0).logEndOffset === half + 1 ? true : undefined), 15_000, "the new leader replicates to broker 2");
    // The removed replicas (broker 1 of partition 0, broker 2 of partition 1) keep no records on disk.
    expect(recordBytes(4, 0)).toBeGreaterThan(0);
    await eventually(() => (recordBytes(1, 0) === 0 && recordBytes(2, 1) === 0 ? true : undefined), 10_000, "the removed replicas' records deleted");
    expect(brokers.get(1)!.logs.partition("moving", 0)).toMatchObject({ logEndOffset: 0, logStartOffset: 0 });
    // Nor does the old broker serve the partition: a fetch there is steered to the leader.
    const direct = new KafkaClient({ bootstrap: [brokers.get(1)!.bootstrap], clientId: "reassign-old-replica" });
    try {
      const conn = await direct.cluster.broker(1);
      const res = await call(conn, Apis.Fetch, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "moving", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
      expect(res.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    } finally {
      await direct.close();
    }
  }, 90_000);

  it("answers Kafka's errors, and lists and cancels a reassignment in progress", async () => {
    const failure = (replicas: number[] | null, topic = "moving") => client.admin.alterPartitionReassignments([{ topic, partition: 0, replicas }]).then(() => null, (e: unknown) => (e as KafkaClientError).code);
    expect(await failure([9, 2])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await failure([2, 2])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await failure([])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await failure([1], "nowhere")).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await failure(null)).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    // A move to broker 7, which never joins (written past the checks), stays in progress until cancelled.
    const store = ClusterStore.open(db.url, 1);
    try {
      const p = partitionsOf(2, "moving")[1];
      const applied = await store.applyRequested([{ topic: "moving", partition: 1, expectedPartitionEpoch: p.partitionEpoch, change: { leader: p.leader, isr: p.isr, leaderEpochBump: false, reassignment: { replicas: [7, 3, 4], addingReplicas: [7], removingReplicas: [4] } } }]);
      expect(applied).toEqual([true]);
    } finally {
      await store.close();
    }
    expect(await client.admin.listPartitionReassignments()).toEqual([{ topic: "moving", partition: 1, replicas: [7, 3, 4], addingReplicas: [7], removingReplicas: [4] }]);
    expect(await client.admin.listPartitionReassignments([{ topic: "moving", partitions: [0] }])).toEqual([]);
    await client.admin.alterPartitionReassignments([{ topic: "moving", partition: 1, replicas: null }]);
    expect(await client.admin.listPartitionReassignments()).toEqual([]);
    await eventually(() => (partitionsOf(2, "moving")[1].replicas.length === 2 ? true : undefined), 10_000, "the cancel read back");
    expect(partitionsOf(2, "moving")[1]).toMatchObject({ replicas: [3, 4], leader: 3, addingReplicas: [], removingReplicas: [] });
  }, 60_000);

  it("a broker moved off a partition while it was down deletes that partition's records when it starts again", async () => {
    expect(recordBytes(3, 1)).toBeGreaterThan(0);
    await brokers.get(3)!.close();
    brokers.delete(3);
    // Only a removal of the stopped replica: it completes at once.
    await client.admin.alterPartitionReassignments([{ topic: "moving", partition: 1, replicas: [4] }]);
    await eventually(() => (partitionsOf(2, "moving")[1].replicas.join() === "4" ? true : undefined), 10_000, "moving-1 on broker 4 alone");
    expect(recordBytes(3, 1)).toBeGreaterThan(0);
    await startBroker(3);
    await eventually(() => (recordBytes(3, 1) === 0 ? true : undefined), 15_000, "the stale replica's records deleted at start");
    expect(brokers.get(3)!.logs.partition("moving", 1).logEndOffset).toBe(0);
  }, 60_000);
});
