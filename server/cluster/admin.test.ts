import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../broker/broker";
import { TestConnection } from "../broker/compat/test-connection";
import { ElectionType } from "../kafka/constants";
import { ErrorCode } from "../kafka/errors";
import { encodeRecordBatch } from "../kafka/records/batch";
import { Apis } from "../kafka/messages";
import { LogManager } from "../broker/log/log-manager";
import { KafkaClient } from "../kafka/client";
import { ClusterMember } from "./member";
import { ClusterStore } from "./store";
import { clusterDatabase, eventually } from "./test-support";

const SESSION_MS = 2500;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
const dirs: string[] = [];
const brokers = new Map<number, Broker>();
let admin: Admin;

async function startBroker(nodeId: number): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), `tributary-admin-${nodeId}-`));
  dirs.push(dataDir);
  const cluster = new ClusterMember(ClusterStore.open(db.url, 1), { nodeId, rack: nodeId === 3 ? "b" : "a", sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false });
  const broker = await Broker.start({ dataDir, host: "127.0.0.1", port: 0, nodeId, cluster, groupInitialRebalanceDelayMs: 0 });
  brokers.set(nodeId, broker);
  return broker;
}

const partitionsOf = (topic: string) => brokers.get(1)!.cluster!.metadata().topics.get(topic)?.partitions ?? [];

beforeAll(async () => {
  db = await clusterDatabase();
  for (const id of [1, 2, 3]) await startBroker(id);
  await eventually(() => ([...brokers.values()].every((b) => b.cluster!.metadata().brokers.length === 3) ? true : undefined), 15_000, "three live brokers");
  admin = new Kafka({ clientId: "cluster-admin", brokers: [brokers.get(2)!.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
  for (const b of brokers.values()) await b.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await db?.dispose();
});

describe("cluster administration (three in-process brokers)", () => {
  it("CreateTopics spreads replicas over racks and refuses bad manual assignments", async () => {
    await admin.createTopics({ topics: [{ topic: "spread", numPartitions: 4, replicationFactor: 2 }] });
    const rackOf = (id: number) => (id === 3 ? "b" : "a");
    // Two racks, two replicas: every partition has one replica in each rack.
    for (const p of partitionsOf("spread")) expect(new Set(p.replicas.map(rackOf)).size).toBe(2);
    expect(await createByHand("bad-assignment", [[1, 9]])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: expect.stringMatching(/broker 9, which is not a live broker/) });
    expect(await createByHand("twice", [[1, 1]])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: expect.stringMatching(/distinct replicas/) });
    expect(partitionsOf("bad-assignment")).toEqual([]);
  });

  it("CreatePartitions grows a topic cluster-wide: every broker holding a replica creates its new partitions", async () => {
    await admin.createTopics({ topics: [{ topic: "growing", numPartitions: 2, replicationFactor: 3 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: "growing", count: 5 }] });
    expect(partitionsOf("growing").map((p) => p.replicas.length)).toEqual([3, 3, 3, 3, 3]);
    for (const b of brokers.values()) await eventually(() => (b.logs.topic("growing")?.partitions === 5 ? true : undefined), 5000, "five partitions on every broker");
    const meta = await admin.fetchTopicMetadata({ topics: ["growing"] });
    expect(meta.topics[0].partitions).toHaveLength(5);

    // By hand: each new partition's replicas named.
    await admin.createPartitions({ topicPartitions: [{ topic: "growing", count: 6, assignments: [[3, 1]] }] });
    expect(partitionsOf("growing")[5]).toMatchObject({ replicas: [3, 1], leader: 3 });
    expect(await grow("growing", 7, [[4]])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: expect.stringMatching(/broker 4, which is not a live broker/) });
    expect(await grow("growing", 8, [[1]])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: expect.stringMatching(/by 2 but 1 assignments/) });
    expect(await grow("growing", 3, null)).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: expect.stringMatching(/higher than or equal/) });
    expect(await grow("nowhere", 3, null)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    expect(await grow("__consumer_offsets", 100, null)).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
    expect(partitionsOf("growing")).toHaveLength(6);
  });

  it("DescribeLogDirs answers each broker's own partitions and sizes", async () => {
    expect(await createByHand("sized", [[1]])).toMatchObject({ errorCode: ErrorCode.NONE });
    const leader = await TestConnection.open(brokers.get(1)!.bootstrap);
    const other = await TestConnection.open(brokers.get(2)!.bootstrap);
    try {
      await leader.request(Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "sized", partitionData: [{ index: 0, records: recordBatch() }] }] });
      const dirs1 = await leader.request(Apis.DescribeLogDirs, 1, { topics: [{ topic: "sized", partitions: [0] }] });
      expect(dirs1.results[0].errorCode).toBe(ErrorCode.NONE);
      expect(dirs1.results[0].topics[0].partitions[0].partitionSize).toBeGreaterThan(0);
      // Broker 2 holds no replica of it.
      const dirs2 = await other.request(Apis.DescribeLogDirs, 1, { topics: [{ topic: "sized", partitions: [0] }] });
      expect(dirs2.results[0].topics.flatMap((t) => t.partitions)).toEqual([]);
    } finally {
      leader.close();
      other.close();
    }
  });

  it("ElectLeaders: preferred brings the first replica back as leader once it is in sync; unclean revives an offline partition", async () => {
    expect(await createByHand("elect", [[1, 2, 3]])).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await createByHand("fragile", [[1, 3]])).toMatchObject({ errorCode: ErrorCode.NONE });
    expect((await elect(ElectionType.PREFERRED, [{ topic: "elect", partitions: [0] }]))[0]).toMatchObject({ errorCode: ErrorCode.ELECTION_NOT_NEEDED });
    const store = ClusterStore.open(db.url, 1);
    try {
      // Broker 3 fell out of sync of fragile-0: only the leader is in its ISR.
      const f = partitionsOf("fragile")[0];
      expect(await store.alterIsr("fragile", 0, { leader: 1, leaderEpoch: f.leaderEpoch, expectedPartitionEpoch: f.partitionEpoch }, [1])).toBe(true);
      const leaving = brokers.get(1)!;
      brokers.delete(1);
      await leaving.close();
      const moved = await eventually(() => {
        const p = brokers.get(2)!.cluster!.metadata().topics.get("elect")!.partitions[0];
        return p.leader !== 1 && p.leader !== -1 ? p : undefined;
      }, 10_000, "elect-0 led by another broker");
      await eventually(() => (brokers.get(2)!.cluster!.metadata().topics.get("fragile")!.partitions[0].leader === -1 ? true : undefined), 10_000, "fragile-0 offline");
      // Its only in-sync replica is gone: an operator accepts the loss and lets broker 3 lead.
      expect((await elect(ElectionType.PREFERRED, [{ topic: "fragile", partitions: [0] }]))[0]).toMatchObject({ errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
      const unclean = await elect(ElectionType.UNCLEAN, [{ topic: "fragile", partitions: [0] }, { topic: "elect", partitions: [0] }, { topic: "nowhere", partitions: [0] }]);
      expect(unclean.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      // Asked on broker 3, which has read the change back before answering.
      expect(brokers.get(3)!.cluster!.metadata().topics.get("fragile")!.partitions[0]).toMatchObject({ leader: 3, isr: [3] });
      await startBroker(1);
      expect((await elect(ElectionType.PREFERRED, [{ topic: "elect", partitions: [0] }]))[0]).toMatchObject({ errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
      // Broker 1 caught up: its leader adds it back to the ISR, as replication does.
      const now = brokers.get(2)!.cluster!.metadata().topics.get("elect")!.partitions[0];
      expect(await store.alterIsr("elect", 0, { leader: moved.leader, leaderEpoch: now.leaderEpoch, expectedPartitionEpoch: now.partitionEpoch }, [...now.isr, 1])).toBe(true);
      await eventually(() => (brokers.get(2)!.cluster!.metadata().topics.get("elect")!.partitions[0].isr.includes(1) ? true : undefined), 5000, "broker 1 back in the ISR");
      expect((await elect(ElectionType.PREFERRED, [{ topic: "elect", partitions: [0] }]))[0]).toMatchObject({ errorCode: ErrorCode.NONE });
      const back = brokers.get(3)!.cluster!.metadata().topics.get("elect")!.partitions[0];
      expect(back).toMatchObject({ leader: 1, leaderEpoch: now.leaderEpoch + 1 });

    } finally {
      await store.close();
    }
  }, 60_000);

  it("a broker still joining (listening, live brokers not read yet) tells CreateTopics to retry instead of placing on no broker", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tributary-admin-joining-"));
    dirs.push(dataDir);
    const logs = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    const member = new ClusterMember(ClusterStore.open(db.url, 1), { nodeId: 9, sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false });
    const joined = member.join(logs, { host: "127.0.0.1", port: 1 });
    await expect(member.createTopics([{ name: "too-early", partitions: 1, replicationFactor: 2, configs: {} }])).rejects.toMatchObject({ code: ErrorCode.LEADER_NOT_AVAILABLE, message: expect.stringMatching(/not joined its cluster yet; retry/) });
    await joined;
    expect(member.metadata().brokers.length).toBeGreaterThanOrEqual(4);
    await member.leave();
    await logs.close();
  });

  it("the client's admin follows a controller that stopped: its retry reads metadata again instead of calling the old one", async () => {
    const client = new KafkaClient({ bootstrap: [...brokers.values()].map((b) => b.bootstrap) });
    try {
      await client.admin.createTopics([{ name: "before-move", numPartitions: 1, replicationFactor: 2 }]);
      const controller = (await client.admin.describeCluster()).controllerId;
      await brokers.get(controller)!.close();
      brokers.delete(controller);
      await client.admin.createTopics([{ name: "after-move", numPartitions: 1, replicationFactor: 2 }]);
      expect((await client.admin.describeCluster()).controllerId).not.toBe(controller);
    } finally {
      await client.close();
    }
  }, 30_000);
});

function recordBatch(): Buffer {
  return encodeRecordBatch([{ key: null, value: Buffer.from("sized record") }]);
}

async function withConnection<T>(use: (c: TestConnection) => Promise<T>): Promise<T> {
  const c = await TestConnection.open(brokers.get(3)!.bootstrap);
  try {
    return await use(c);
  } finally {
    c.close();
  }
}

const createByHand = (topic: string, replicas: number[][]) =>
  withConnection(async (c) => (await c.request(Apis.CreateTopics, 5, { topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }], timeoutMs: 5000, validateOnly: false })).topics[0]);

const grow = (topic: string, count: number, assignments: number[][] | null) =>
  withConnection(async (c) => (await c.request(Apis.CreatePartitions, 2, { topics: [{ name: topic, count, assignments: assignments && assignments.map((brokerIds) => ({ brokerIds })) }], timeoutMs: 5000, validateOnly: false })).results[0]);

const elect = (electionType: number, topicPartitions: { topic: string; partitions: number[] }[] | null) =>
  withConnection(async (c) => (await c.request(Apis.ElectLeaders, 2, { electionType, topicPartitions, timeoutMs: 5000 })).replicaElectionResults.flatMap((t) => t.partitionResult));
