import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../../broker/broker";
import { TestConnection } from "../../broker/compat/test-connection";
import { KafkaClient } from "../../kafka/client";
import { Acks } from "../../kafka/constants";
import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { ClusterMember } from "../member";
import { ClusterStore } from "../store";
import { clusterDatabase, eventually } from "../test-support";

const SESSION_MS = 3000;
const LAG_MS = 1500;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
const dirs: string[] = [];
const brokers = new Map<number, Broker>();

async function startBroker(nodeId: number, dataDir?: string): Promise<Broker> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), `tributary-replication-${nodeId}-`));
  if (!dataDir) dirs.push(dir);
  const cluster = new ClusterMember(ClusterStore.open(db.url, 1), { nodeId, sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false });
  const broker = await Broker.start({ dataDir: dir, host: "127.0.0.1", port: 0, nodeId, cluster, groupInitialRebalanceDelayMs: 0, replicaLagTimeMaxMs: LAG_MS });
  brokers.set(nodeId, broker);
  return broker;
}

const stateOf = (topic: string, partition = 0) => [...brokers.values()][0].cluster!.metadata().topics.get(topic)!.partitions[partition];

/** The bytes of a partition's segment files on one broker, concatenated in offset order. */
function segmentBytes(b: Broker, topic: string, partition = 0): Buffer {
  const dir = b.logs.partition(topic, partition).dir;
  return Buffer.concat(
    readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .sort()
      .map((f) => readFileSync(join(dir, f))),
  );
}

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<void> {
  await eventually(() => (brokers.get(1)!.cluster!.metadata().brokers.length === 3 ? true : undefined), 10_000, "three live brokers");
  const [r] = await brokers.get(1)!.cluster!.createTopics([{ name, partitions: 1, replicationFactor: 3, configs }]);
  if (r instanceof Error) throw r;
  for (const b of brokers.values()) await eventually(() => b.logs.topic(name), 5000, `${name} on broker ${b.cluster!.nodeId}`);
  await eventually(() => (stateOf(name).isr.length === 3 ? true : undefined), 5000, `${name} fully in sync`);
}

beforeAll(async () => {
  db = await clusterDatabase();
  for (const id of [1, 2, 3]) await startBroker(id);
}, 60_000);

afterAll(async () => {
  for (const b of brokers.values()) await b.close().catch(() => {});
  await db?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("replication between brokers of a cluster (in-process brokers, one Postgres)", () => {
  it("acks=all answers once every replica has the records, and the followers' logs are byte-identical to the leader's", async () => {
    await createTopic("ledger");
    const client = new KafkaClient({ bootstrap: [brokers.get(2)!.bootstrap] });
    try {
      const producer = client.producer({ acks: Acks.ALL });
      const sent = await producer.send(Array.from({ length: 50 }, (_, i) => ({ topic: "ledger", partition: 0, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })));
      const last = sent[sent.length - 1].offset;
      const leader = brokers.get(stateOf("ledger").leader)!;
      // Acknowledged: the leader's high watermark is past it, so every in-sync follower has it.
      expect(leader.logs.partition("ledger", 0).highWatermark).toBeGreaterThan(last);
      for (const b of brokers.values()) expect(b.logs.partition("ledger", 0).logEndOffset).toBeGreaterThan(last);
      // Followers learn the high watermark from their next fetch.
      for (const b of brokers.values()) await eventually(() => (b.logs.partition("ledger", 0).highWatermark > last ? true : undefined), 5000, "followers' high watermark");
      const bytes = segmentBytes(leader, "ledger");
      for (const b of brokers.values()) expect(segmentBytes(b, "ledger").equals(bytes)).toBe(true);
      const epoch = stateOf("ledger").leaderEpoch;
      for (const b of brokers.values()) expect(b.logs.partition("ledger", 0).epochs.latest).toEqual({ epoch, startOffset: 0 });
    } finally {
      await client.close();
    }
  }, 30_000);

  it("a consumer's fetch is bounded by the high watermark; a fetch with a leader epoch this broker does not know yet is refused", async () => {
    const state = stateOf("ledger");
    const leader = brokers.get(state.leader)!;
    const conn = await TestConnection.open(leader.bootstrap);
    try {
      const fetch = (replicaId: number, currentLeaderEpoch: number) =>
        conn.request(Apis.Fetch, 12, { replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "ledger", partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
      const consumer = (await fetch(-1, state.leaderEpoch)).responses[0].partitions[0];
      expect(consumer.errorCode).toBe(ErrorCode.NONE);
      expect(consumer.highWatermark).toBe(leader.logs.partition("ledger", 0).highWatermark);
      const ahead = (await fetch(-1, state.leaderEpoch + 1)).responses[0].partitions[0];
      expect(ahead.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    } finally {
      conn.close();
    }
  });

  it("a follower that stops leaves the ISR; min.insync.replicas=3 then refuses acks=all, acks=1 still writes; restarted, it catches up and rejoins", async () => {
    await createTopic("strict", { "min.insync.replicas": "3" });
    const state = stateOf("strict");
    const followerId = state.replicas.find((id) => id !== state.leader && id !== 1)!;
    const follower = brokers.get(followerId)!;
    const followerDir = follower.logs.partition("strict", 0).dir.replace(/\/log\/strict-0$/, "");
    brokers.delete(followerId);
    await follower.close();
    await eventually(() => (stateOf("strict").isr.includes(followerId) ? undefined : true), 15_000, "the stopped follower to leave the ISR");
    const leaderEnd = () => brokers.get(stateOf("strict").leader)!.logs.partition("strict", 0).logEndOffset;

    const leader = brokers.get(stateOf("strict").leader)!;
    const conn = await TestConnection.open(leader.bootstrap);
    try {
      const produce = (acks: number) => conn.request(Apis.Produce, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: "strict", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from("x") }]) }] }] });
      const refused = (await produce(Acks.ALL)).responses[0].partitionResponses[0];
      expect(refused.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
      const one = (await produce(Acks.LEADER)).responses[0].partitionResponses[0];
      expect(one.errorCode).toBe(ErrorCode.NONE);
    } finally {
      conn.close();
    }

    // Back: it catches up from the leader and rejoins the ISR.
    await startBroker(followerId, followerDir);
    await eventually(() => (stateOf("strict").isr.includes(followerId) ? true : undefined), 15_000, "the follower to rejoin the ISR");
    expect(brokers.get(followerId)!.logs.partition("strict", 0).logEndOffset).toBe(leaderEnd());
    expect(segmentBytes(brokers.get(followerId)!, "strict").equals(segmentBytes(leader, "strict"))).toBe(true);
  }, 60_000);

  it("a broker shutting down hands its leaderships to in-sync followers before it goes, so producers keep writing", async () => {
    // The follower restarted above rejoins this partition's ISR too.
    const before = await eventually(() => (stateOf("ledger").isr.length === 3 ? stateOf("ledger") : undefined), 10_000, "ledger fully in sync");
    const leaving = brokers.get(before.leader)!;
    const leavingDir = leaving.logs.partition("ledger", 0).dir.replace(/\/log\/ledger-0$/, "");
    brokers.delete(before.leader);
    const client = new KafkaClient({ bootstrap: [...brokers.values()].map((b) => b.bootstrap) });
    try {
      const producer = client.producer({ acks: Acks.ALL });
      await producer.send([{ topic: "ledger", partition: 0, value: Buffer.from("before the handover") }]);
      await leaving.close();
      // The store already names another leader: nobody waited for a lease to lapse.
      const store = ClusterStore.open(db.url, 1);
      try {
        const now = (await store.topics()).find((t) => t.name === "ledger")!.partitions[0];
        expect(now.leader).not.toBe(before.leader);
        expect(before.isr).toContain(now.leader);
        expect(now.leaderEpoch).toBe(before.leaderEpoch + 1);
      } finally {
        await store.close();
      }
      const started = Date.now();
      const [after] = await producer.send([{ topic: "ledger", partition: 0, value: Buffer.from("after the handover") }]);
      expect(Date.now() - started).toBeLessThan(SESSION_MS);
      expect(after.offset).toBeGreaterThan(0);
    } finally {
      await client.close();
      await startBroker(before.leader, leavingDir);
    }
  }, 60_000);
});
