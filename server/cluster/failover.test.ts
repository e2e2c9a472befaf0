import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../broker/broker";
import { TestConnection } from "../broker/compat/test-connection";
import { KafkaClient } from "../kafka/client";
import { ErrorCode } from "../kafka/errors";
import { Apis } from "../kafka/messages";
import { encodeRecordBatch } from "../kafka/records/batch";
import { ClusterMember } from "./member";
import { ClusterStore } from "./store";
import { startPrivatePostgres, type PrivatePostgres } from "./test-postgres";
import { eventually, migrated } from "./test-support";

const SESSION_MS = 2500;
let pg: PrivatePostgres;
const dirs: string[] = [];
const brokers = new Map<number, Broker>();

async function startBroker(nodeId: number): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), `tributary-cluster-${nodeId}-`));
  dirs.push(dataDir);
  const cluster = new ClusterMember(ClusterStore.open(pg.url, 1), { nodeId, rack: `rack-${nodeId}`, sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false });
  const broker = await Broker.start({ dataDir, host: "127.0.0.1", port: 0, nodeId, cluster, groupInitialRebalanceDelayMs: 0 });
  brokers.set(nodeId, broker);
  return broker;
}

const leaderOf = (b: Broker, topic: string) => b.cluster!.metadata().topics.get(topic)?.partitions[0];

beforeAll(async () => {
  // A private server: this test stops and restarts it.
  pg = await startPrivatePostgres();
  await migrated(pg.url);
  for (const id of [1, 2, 3]) await startBroker(id);
}, 60_000);

afterAll(async () => {
  for (const b of brokers.values()) await b.close().catch(() => {});
  pg?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("cluster failover through Postgres (in-process brokers, private Postgres)", () => {
  it("lists every live broker and the controller in Metadata, and creates topics with replicas over all of them", async () => {
    const client = new KafkaClient({ bootstrap: [brokers.get(2)!.bootstrap] });
    try {
      const meta = await eventually(async () => {
        const m = await client.admin.metadata([]);
        return m.brokers.length === 3 ? m : undefined;
      });
      expect(meta.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect([1, 2, 3]).toContain(meta.controllerId);
      const results = await brokers.get(2)!.cluster!.createTopics([{ name: "orders", partitions: 3, replicationFactor: 3 }]);
      expect(results[0]).toMatchObject({ name: "orders", partitions: 3 });
      // Every broker learns the topic (NOTIFY) and holds its partitions.
      for (const b of brokers.values()) await eventually(() => b.logs.topic("orders"), 5000, `orders on a broker`);
      const parts = brokers.get(1)!.cluster!.metadata().topics.get("orders")!.partitions;
      for (const p of parts) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect(new Set(parts.map((p) => p.leader)).size).toBe(3);
    } finally {
      await client.close();
    }
  });

  it("creates and deletes topics cluster-wide over the protocol, refusing more replicas than live brokers", async () => {
    const client = new KafkaClient({ bootstrap: [brokers.get(3)!.bootstrap] });
    try {
      await client.admin.createTopics([{ name: "scratch", numPartitions: 2, replicationFactor: 2 }]);
      for (const b of brokers.values()) await eventually(() => b.logs.topic("scratch"), 5000, "scratch on every broker");
      const parts = brokers.get(1)!.cluster!.metadata().topics.get("scratch")!.partitions;
      expect(parts.map((p) => p.replicas.length)).toEqual([2, 2]);
      await expect(client.admin.createTopics([{ name: "too-wide", numPartitions: 1, replicationFactor: 4 }])).rejects.toThrow(/larger than available brokers: 3/);
      await client.admin.deleteTopics(["scratch"]);
      for (const b of brokers.values()) await eventually(() => (b.logs.topic("scratch") ? undefined : true), 5000, "scratch gone from every broker");
      // Deleted for good: no broker's refresh brings it back.
      await new Promise((r) => setTimeout(r, SESSION_MS));
      for (const b of brokers.values()) expect(b.logs.topic("scratch")).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it("keeps serving reads with the leadership it has while Postgres is down, takes writes again and elects again when it returns", async () => {
    const watcher = brokers.get(1)!;
    const before = leaderOf(watcher, "orders")!;
    const client = new KafkaClient({ bootstrap: [watcher.bootstrap] });
    const [first] = await client.producer().send([{ topic: "orders", partition: 0, value: Buffer.from("before the outage") }]);
    expect(first.offset).toBe(0);
    pg.stop();
    await eventually(() => ([...brokers.values()].every((b) => !b.cluster!.status().store.reachable) ? true : undefined), 10_000, "every broker to see the store unreachable");
    // Past a whole session: nobody was elected meanwhile, the cached leadership stands.
    await new Promise((r) => setTimeout(r, SESSION_MS * 2));
    expect(leaderOf(watcher, "orders")).toEqual(before);
    expect(watcher.cluster!.metadata().brokers).toHaveLength(3);
    // Clients still read from the leaders they know, and acks=all writes go on (the followers
    // still fetch); a leader whose lease lapsed takes no acks=1 write, since the others may have
    // replaced it where it cannot see.
    const leaderConn = await TestConnection.open(brokers.get(before.leader)!.bootstrap);
    const fetched = await leaderConn.request(Apis.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "orders", partitions: [{ partition: 0, currentLeaderEpoch: before.leaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
    expect(fetched.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 1 });
    const refused = await leaderConn.request(Apis.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: "orders", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from("during the outage") }]) }] }] });
    expect(refused.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const replicated = await leaderConn.request(Apis.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: "orders", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from("during the outage") }]) }] }] });
    expect(replicated.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    leaderConn.close();
    pg.start();
    await eventually(() => ([...brokers.values()].every((b) => b.cluster!.status().store.reachable) ? true : undefined), 15_000, "every broker to reach the store again");
    // Every lease lapsed during the outage, but every broker lived: nobody is dropped from an ISR.
    await new Promise((r) => setTimeout(r, SESSION_MS * 2));
    expect(leaderOf(watcher, "orders")).toEqual(before);
    try {
      const [written] = await client.producer().send([{ topic: "orders", partition: 0, value: Buffer.from("after the outage") }]);
      expect(written.offset).toBe(2);
    } finally {
      await client.close();
    }

    // Elections work again: the leader of partition 0 leaves, a live ISR member takes over with a new epoch.
    const leaving = brokers.get(before.leader)!;
    brokers.delete(before.leader);
    await leaving.close();
    const after = await eventually(() => {
      const p = leaderOf(watcher.cluster!.nodeId === before.leader ? [...brokers.values()][0] : watcher, "orders");
      return p && p.leader !== before.leader && p.leader !== -1 ? p : undefined;
    }, 10_000, "a new leader");
    expect(after.leaderEpoch).toBe(before.leaderEpoch + 1);
    expect(after.isr).not.toContain(before.leader);
    expect(brokers.has(after.leader)).toBe(true);

    // Clients are steered by epoch: the new leader fences the old epoch, a follower redirects.
    const leader = await TestConnection.open(brokers.get(after.leader)!.bootstrap);
    const ask = (c: TestConnection, currentLeaderEpoch: number) => c.request(Apis.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: "orders", partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch: currentLeaderEpoch }] }] });
    expect((await ask(leader, before.leaderEpoch)).topics[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    // The three records were replicated before they were acknowledged: the new leader has them.
    expect((await ask(leader, after.leaderEpoch)).topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: after.leaderEpoch, endOffset: 3 });
    leader.close();
    const other = [...brokers.values()].find((b) => b.cluster!.nodeId !== after.leader)!;
    const follower = await TestConnection.open(other.bootstrap);
    expect((await ask(follower, after.leaderEpoch)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    follower.close();
  }, 60_000);
});
