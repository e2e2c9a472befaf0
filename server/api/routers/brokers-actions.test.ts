import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import { Broker } from "../../broker/broker";
import { ClusterMember } from "../../cluster/member";
import { ClusterStore } from "../../cluster/store";
import { clusterDatabase, eventually } from "../../cluster/test-support";
import { startRouterEnv } from "../testing";

/**
 * The console's reassign, drain and preferred-election actions against three Tributary brokers
 * coordinated in Postgres, through the real router chain (roles, audit) and the Kafka protocol.
 */
describe("brokers router actions on a three-broker cluster", () => {
  const SESSION_MS = 2500;
  let db: Awaited<ReturnType<typeof clusterDatabase>>;
  let env: Awaited<ReturnType<typeof startRouterEnv>>;
  const others: Broker[] = [];
  const dirs: string[] = [];
  const member = (nodeId: number) => new ClusterMember(ClusterStore.open(db.url, 1), { nodeId, rack: `rack-${nodeId}`, sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false });
  const replicasOf = async (topic: string) => (await env.broker.kafka("actions-test").admin().fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId);
  const lastAudit = async (action: string) => (await env.database.db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(desc(auditEvents.id)))[0];

  beforeAll(async () => {
    db = await clusterDatabase(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
    env = await startRouterEnv({ nodeId: 1, cluster: member(1) });
    for (const nodeId of [2, 3]) {
      const dataDir = mkdtempSync(join(tmpdir(), `tributary-actions-${nodeId}-`));
      dirs.push(dataDir);
      others.push(await Broker.start({ dataDir, host: "127.0.0.1", port: 0, nodeId, cluster: member(nodeId), groupInitialRebalanceDelayMs: 0 }));
    }
    await eventually(async () => ((await env.viewer().brokers.list({})).brokers.length === 3 ? true : undefined), 15_000, "three live brokers");
    const admin = env.broker.kafka("actions-test").admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "orders", replicaAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 3] }, { partition: 2, replicas: [3, 1] }] },
        { topic: "wide", replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] },
      ],
    });
    await admin.disconnect();
    const producer = env.broker.kafka("actions-test").producer();
    await producer.connect();
    await producer.send({ topic: "orders", acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `order ${i}`.padEnd(200, ".") })) });
    await producer.disconnect();
  }, 60_000);

  afterAll(async () => {
    for (const b of others) await b.close().catch(() => {});
    await env?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.dispose();
  }, 60_000);

  it("previews a reassignment with the leader change and bytes to copy; viewers and operators may not apply it; admins do, audited", async () => {
    const plan = await env.viewer().brokers.previewReassign({ targets: [{ topic: "orders", partition: 0, replicas: [3, 2] }, { topic: "orders", partition: 1, replicas: [2, 3] }] });
    // Partition 1 keeps its replicas: nothing to do there.
    expect(plan.moves).toHaveLength(1);
    const [move] = plan.moves;
    expect(move).toMatchObject({ topic: "orders", partition: 0, from: [1, 2], to: [3, 2], leader: 1, leaderAfter: 3 });
    expect(move.bytesToCopy).toBeGreaterThan(10 * 200);
    expect(plan.totals).toMatchObject({ partitions: 1, leadershipMoves: 1, bytesToCopy: move.bytesToCopy });
    await expect(env.viewer().brokers.previewReassign({ targets: [{ topic: "orders", partition: 0, replicas: [9] }] })).rejects.toThrow(/broker 9 is not a live broker/);

    const moves = plan.moves.map(({ topic, partition, from, to }) => ({ topic, partition, from, to }));
    await expect(env.viewer().brokers.reassign({ moves })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(env.operator().brokers.reassign({ moves })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await lastAudit("brokers.reassign")).outcome).toBe("denied");
    // A preview the cluster no longer matches is refused.
    await expect(env.admin().brokers.reassign({ moves: [{ ...moves[0], from: [2, 1] }] })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/orders-0 changed since the preview/) as unknown });

    expect(await env.admin().brokers.reassign({ moves })).toEqual({ started: 1 });
    await eventually(async () => ((await env.viewer().brokers.reassignments({})).length === 0 ? true : undefined), 30_000, "the move completes");
    await eventually(async () => ((await replicasOf("orders"))[0].leader === 3 ? true : undefined), 10_000, "broker 3 leads orders-0");
    expect((await replicasOf("orders"))[0].replicas).toEqual([3, 2]);
    const row = await lastAudit("brokers.reassign");
    expect(row).toMatchObject({ outcome: "ok", actor: "alma", targetKind: "cluster", target: "embedded/orders" });
    expect(row.details).toMatchObject({ before: [{ topic: "orders", partition: 0, replicas: [1, 2] }], after: [{ topic: "orders", partition: 0, replicas: [3, 2] }] });
  }, 60_000);

  it("lists a reassignment in progress with its copy progress and cancels it", async () => {
    const store = ClusterStore.open(db.url, 1);
    try {
      // A move to broker 7, which never joins, stays in progress until cancelled.
      const p = (await store.topics()).find((t) => t.name === "orders")!.partitions[1];
      expect(await store.applyRequested([{ topic: "orders", partition: 1, expectedPartitionEpoch: p.partitionEpoch, change: { leader: p.leader, isr: p.isr, leaderEpochBump: false, reassignment: { replicas: [7, 2, 3], addingReplicas: [7], removingReplicas: [3] } } }])).toEqual([true]);
    } finally {
      await store.close();
    }
    const ongoing = await eventually(async () => {
      const list = await env.viewer().brokers.reassignments({});
      return list.length ? list : undefined;
    }, 10_000, "the reassignment listed");
    expect(ongoing).toEqual([{ topic: "orders", partition: 1, replicas: [7, 2, 3], addingReplicas: [7], removingReplicas: [3], copiedBytes: 0, totalBytes: expect.any(Number) as unknown }]);
    expect(ongoing[0].totalBytes).toBeGreaterThan(10 * 200);
    await expect(env.operator().brokers.cancelReassignments({ partitions: [{ topic: "orders", partition: 1 }] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await env.admin().brokers.cancelReassignments({ partitions: [{ topic: "orders", partition: 1 }] })).toEqual({ cancelled: 1 });
    expect(await env.viewer().brokers.reassignments({})).toEqual([]);
    expect((await lastAudit("brokers.cancelReassignments")).outcome).toBe("ok");
  }, 30_000);

  it("previews and runs a preferred leader election, with each partition's answer in words", async () => {
    // Same replicas in a new order: broker 2 becomes preferred while broker 3 keeps leading.
    const [reorder] = (await env.viewer().brokers.previewReassign({ targets: [{ topic: "orders", partition: 0, replicas: [2, 3] }] })).moves;
    expect(reorder).toMatchObject({ leader: 3, leaderAfter: 3, bytesToCopy: 0 });
    await env.admin().brokers.reassign({ moves: [reorder] });
    const preview = await eventually(async () => {
      const list = await env.viewer().brokers.previewElection({});
      return list.length ? list : undefined;
    }, 10_000, "a partition not led by its preferred replica");
    expect(preview).toEqual([{ topic: "orders", partition: 0, leader: 3, preferred: 2, blocked: null }]);
    await expect(env.viewer().brokers.electPreferred({ partitions: [{ topic: "orders", partition: 0 }] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const results = await env.admin().brokers.electPreferred({ partitions: [{ topic: "orders", partition: 0 }, { topic: "orders", partition: 1 }] });
    expect(results).toEqual([
      { topic: "orders", partition: 0, ok: true, error: "NONE", words: "elected: the preferred replica leads" },
      { topic: "orders", partition: 1, ok: true, error: "ELECTION_NOT_NEEDED", words: "already led by its preferred replica" },
    ]);
    await eventually(async () => ((await replicasOf("orders"))[0].leader === 2 ? true : undefined), 10_000, "broker 2 leads orders-0");
    expect(await env.viewer().brokers.previewElection({})).toEqual([]);
    expect((await lastAudit("brokers.electPreferred")).details).toMatchObject({ after: [{ topic: "orders", partition: 0, result: "NONE" }, { topic: "orders", partition: 1, result: "ELECTION_NOT_NEEDED" }] });
  }, 30_000);

  it("refuses to drain a broker when too few remain for a partition's replication factor", async () => {
    await expect(env.viewer().brokers.previewDrain({ nodeId: 3 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Broker 3 holds replicas of partitions with replication factor 3, but only 2 other live brokers remain (1, 2). Add a broker, or lower those topics' replication factor, before draining broker 3.",
    });
  });

  it("drains a broker: every replica on it moves to the others, keeping the replication factor", async () => {
    const admin = env.broker.kafka("actions-test").admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ["wide"] });
    await admin.disconnect();
    const plan = await eventually(() => env.viewer().brokers.previewDrain({ nodeId: 3 }).catch(() => undefined), 10_000, "the drain plan once the wide topic is gone");
    // orders-0 [2, 3] and orders-1 [2, 3] go to broker 1, orders-2 [3, 1] to broker 2.
    expect(plan.moves.map((m) => [m.partition, m.from, m.to])).toEqual([
      [0, [2, 3], [2, 1]],
      [1, [2, 3], [2, 1]],
      [2, [3, 1], [1, 2]],
    ]);
    expect(plan.totals.leadershipMoves).toBeGreaterThanOrEqual(1);
    const moves = plan.moves.map(({ topic, partition, from, to }) => ({ topic, partition, from, to }));
    await expect(env.operator().brokers.drain({ nodeId: 3, moves })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(env.admin().brokers.drain({ nodeId: 3, moves: moves.slice(1) })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await env.admin().brokers.drain({ nodeId: 3, moves })).toEqual({ started: 3 });
    await eventually(async () => ((await env.viewer().brokers.reassignments({})).length === 0 ? true : undefined), 30_000, "the drain completes");
    const after = await replicasOf("orders");
    expect(after.map((p) => p.replicas)).toEqual([[2, 1], [2, 1], [1, 2]]);
    expect(after.every((p) => p.leader !== 3)).toBe(true);
    const broker3 = (await env.viewer().brokers.list({})).brokers.find((b) => b.nodeId === 3)!;
    expect(broker3).toMatchObject({ replicas: 0, leaderOf: 0 });
    expect(await lastAudit("brokers.drain")).toMatchObject({ outcome: "ok", target: "embedded/broker-3", details: expect.objectContaining({ drained: 3 }) as unknown });
    expect(await env.viewer().brokers.previewDrain({ nodeId: 3 })).toMatchObject({ moves: [], totals: { partitions: 0 } });
  }, 60_000);
});
