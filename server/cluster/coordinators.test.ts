import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../broker/broker";
import { TestConnection } from "../broker/compat/test-connection";
import { coordinatorPartition } from "../broker/groups/coordinator-partition";
import { OFFSETS_TOPIC } from "../broker/groups/offsets-store";
import { ErrorCode } from "../kafka/errors";
import { Apis } from "../kafka/messages";
import { ClusterMember } from "./member";
import { ClusterStore } from "./store";
import { clusterDatabase, eventually } from "./test-support";

const SESSION_MS = 2500;
const OFFSETS_PARTITIONS = 6;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
const dirs: string[] = [];
const brokers = new Map<number, Broker>();

async function startBroker(nodeId: number): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), `tributary-coord-${nodeId}-`));
  dirs.push(dataDir);
  const cluster = new ClusterMember(ClusterStore.open(db.url, 1), { nodeId, sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false, offsetsTopicNumPartitions: OFFSETS_PARTITIONS });
  const broker = await Broker.start({ dataDir, host: "127.0.0.1", port: 0, nodeId, cluster, groupInitialRebalanceDelayMs: 0 });
  brokers.set(nodeId, broker);
  return broker;
}

const findCoordinator = async (bootstrap: string, keys: string[]) => {
  const c = await TestConnection.open(bootstrap);
  try {
    return (await c.request(Apis.FindCoordinator, 4, { keyType: 0, coordinatorKeys: keys })).coordinators;
  } finally {
    c.close();
  }
};

beforeAll(async () => {
  db = await clusterDatabase();
  for (const id of [1, 2, 3]) await startBroker(id);
  await eventually(() => ([...brokers.values()].every((b) => b.cluster!.metadata().brokers.length === 3) ? true : undefined), 15_000, "three live brokers");
}, 60_000);

afterAll(async () => {
  for (const b of brokers.values()) await b.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await db?.dispose();
});

describe("group coordinators on the cluster (three in-process brokers)", () => {
  it("creates __consumer_offsets through the cluster on the first FindCoordinator and names the leader of the group's partition from every broker", async () => {
    const groups = ["orders-app", "billing", "analytics-etl-job-7", "audit"];
    const answers = await Promise.all([...brokers.values()].map((b) => findCoordinator(b.bootstrap, groups)));
    const topic = brokers.get(1)!.cluster!.metadata().topics.get(OFFSETS_TOPIC)!;
    expect(topic.partitions).toHaveLength(OFFSETS_PARTITIONS);
    for (const p of topic.partitions) expect(p.replicas).toHaveLength(3);
    expect(topic.configs["cleanup.policy"]).toBe("compact");
    for (const coordinators of answers) {
      expect(coordinators.map((c) => c.errorCode)).toEqual(groups.map(() => ErrorCode.NONE));
      expect(coordinators.map((c) => c.nodeId)).toEqual(groups.map((g) => topic.partitions[coordinatorPartition(g, OFFSETS_PARTITIONS)].leader));
    }
    // v0–v3: one key per request, the same answer.
    const c = await TestConnection.open(brokers.get(2)!.bootstrap);
    try {
      const v2 = await c.request(Apis.FindCoordinator, 2, { key: "billing", keyType: 0 });
      expect(v2).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: answers[0][1].nodeId, port: answers[0][1].port });
    } finally {
      c.close();
    }
  });

  it("refuses a group on a broker that does not coordinate it with NOT_COORDINATOR", async () => {
    const [coordinator] = await findCoordinator(brokers.get(1)!.bootstrap, ["orders-app"]);
    const other = [...brokers.values()].find((b) => b.cluster!.nodeId !== coordinator.nodeId)!;
    const c = await TestConnection.open(other.bootstrap);
    try {
      const joined = await c.request(Apis.JoinGroup, 5, { groupId: "orders-app", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("m") }] });
      expect(joined.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      const fetched = await c.request(Apis.OffsetFetch, 8, { groups: [{ groupId: "orders-app", topics: null }], requireStable: false });
      expect(fetched.groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      const described = await c.request(Apis.DescribeGroups, 5, { groups: ["orders-app"], includeAuthorizedOperations: false });
      expect(described.groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    } finally {
      c.close();
    }
  });

  it("keeps a kafkajs consumer group consuming when its coordinator's broker stops: the members rejoin at the new coordinator", async () => {
    const group = "shipping";
    const [before] = await findCoordinator(brokers.get(1)!.bootstrap, [group]);
    const others = [1, 2, 3].filter((id) => id !== before.nodeId);
    // The data stays on the two brokers that keep running, so every record stays readable.
    const created = await brokers.get(others[0])!.cluster!.createTopics([{ name: "shipments", partitions: 2, assignment: [others, [...others].reverse()] }]);
    expect(created[0]).toMatchObject({ name: "shipments" });
    for (const id of others) await eventually(() => brokers.get(id)!.logs.topic("shipments"), 5000, "shipments on the brokers that hold it");

    const kafka = new Kafka({ clientId: "coordinator-move", brokers: others.map((id) => brokers.get(id)!.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafka.producer();
    await producer.connect();
    const seen = new Map<string, number>();
    const consumer: Consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: "shipments", fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const v = message.value!.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        return Promise.resolve();
      },
    });
    try {
      const send = (from: number, to: number) => producer.send({ topic: "shipments", messages: Array.from({ length: to - from }, (_, i) => ({ key: String(from + i), value: `r${from + i}` })) });
      await send(0, 50);
      await eventually(() => (seen.size === 50 ? true : undefined), 20_000, "the first 50 records consumed");
      const kafkaAdmin = kafka.admin();
      await kafkaAdmin.connect();
      await eventually(async () => {
        const [t] = await kafkaAdmin.fetchOffsets({ groupId: group, topics: ["shipments"] });
        return t.partitions.reduce((n, p) => n + Number(p.offset), 0) === 50 ? true : undefined;
      }, 20_000, "the group's commits of all 50");
      await kafkaAdmin.disconnect();

      const stopping = brokers.get(before.nodeId)!;
      brokers.delete(before.nodeId);
      await stopping.close();
      const after = await eventually(async () => {
        const [c] = await findCoordinator(brokers.get(others[0])!.bootstrap, [group]);
        return c.errorCode === ErrorCode.NONE && c.nodeId !== before.nodeId ? c : undefined;
      }, 15_000, "a new coordinator");
      expect(others).toContain(after.nodeId);

      await send(50, 100);
      await eventually(() => (seen.size === 100 ? true : undefined), 30_000, "the next 50 records consumed after the coordinator moved");
      // The group is served by the new coordinator: it lists the consumer as a member.
      const c = await TestConnection.open(brokers.get(after.nodeId)!.bootstrap);
      try {
        const described = await eventually(async () => {
          const d = (await c.request(Apis.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0];
          return d.groupState === "Stable" && d.members.length === 1 ? d : undefined;
        }, 15_000, "the group stable at its new coordinator");
        expect(described.errorCode).toBe(ErrorCode.NONE);
      } finally {
        c.close();
      }
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  }, 90_000);
});
