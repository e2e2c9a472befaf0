import { desc, eq } from "drizzle-orm";
import type { Admin, Consumer, Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, clusters } from "@/db/schema";
import { eventually, startTestBroker } from "../../broker/compat/harness";
import { slugOf } from "../../admin/clusters";
import { LagSampler, TOTAL } from "../../metrics/lag";
import { startRouterEnv } from "../testing";

/**
 * The groups router against a real broker: a kafkajs consumer group commits, the console reads its
 * lag, previews and applies resets with the tool's semantics, and the reset is audited.
 */
describe("groups router", () => {
  let env: Awaited<ReturnType<typeof startRouterEnv>>;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  const produce = (partition: number, n: number, tag: string) =>
    producer.send({ topic: "orders", messages: Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}-${i}`, partition })) });

  /** A consumer of `orders` in group billing; resolves once it has seen `until` records. */
  async function consume(until: number) {
    const seen: string[] = [];
    const c: Consumer = kafka.consumer({ groupId: "billing", maxWaitTimeInMs: 100, heartbeatInterval: 300, sessionTimeout: 10_000 });
    await c.connect();
    await c.subscribe({ topic: "orders", fromBeginning: true });
    await c.run({ autoCommitInterval: 100, eachMessage: ({ message }) => Promise.resolve(void seen.push(message.value!.toString())) });
    await eventually(() => seen.length >= until, 20_000, `${until} records`);
    return { consumer: c, seen };
  }

  beforeAll(async () => {
    env = await startRouterEnv();
    kafka = env.broker.kafka("groups-test");
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 2 }] });
    producer = kafka.producer();
    await producer.connect();
    await produce(0, 6, "a");
    await produce(1, 4, "b");
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await env?.stop();
  });

  it("lists a running group with its members, assignor and lag; a reset is refused naming the members", async () => {
    const { consumer } = await consume(10);
    // Wait for the commits of all ten records, then add three the consumer will also read.
    await eventually(async () => ((await env.viewer().groups.get({ groupId: "billing" })).offsets.reduce((n, o) => n + (o.committed ?? 0), 0) === 10 ? true : undefined));
    consumer.pause([{ topic: "orders" }]);
    await produce(0, 3, "c");

    const list = await env.viewer().groups.list({});
    const billing = list.find((g) => g.groupId === "billing")!;
    expect(billing).toMatchObject({ state: "Stable", members: 1, topics: ["orders"], lag: 3, partitions: 2 });
    expect(billing.assignor).toMatch(/RoundRobin/i);

    const detail = await env.viewer().groups.get({ groupId: "billing" });
    expect(detail.offsets.map((o) => [o.partition, o.committed, o.logEnd, o.lag])).toEqual([
      [0, 6, 9, 3],
      [1, 4, 4, 0],
    ]);
    expect(detail.offsets[0].clientId).toBe("groups-test");
    expect(detail.memberList[0].assignment).toEqual([{ topic: "orders", partitions: [0, 1] }]);

    const preview = await env.viewer().groups.previewReset({ groupId: "billing", scope: { kind: "all-topics" }, strategy: { kind: "to-earliest" } });
    expect(preview.members.map((m) => m.clientId)).toEqual(["groups-test"]);
    await expect(env.operator().groups.resetOffsets({ groupId: "billing", scope: { kind: "all-topics" }, strategy: { kind: "to-earliest" } })).rejects.toThrow(
      /Stable with 1 connected member: groups-test .*Stop these consumers/,
    );
    await expect(env.operator().groups.delete({ groupId: "billing" })).rejects.toThrow(/connected member/);
    await consumer.disconnect();
  });

  it("previews to-earliest with exact counts, refuses viewers, applies for operators and audits before/after", async () => {
    await eventually(async () => ((await env.viewer().groups.get({ groupId: "billing" })).state === "Empty" ? true : undefined));
    const preview = await env.viewer().groups.previewReset({ groupId: "billing", scope: { kind: "all-topics" }, strategy: { kind: "to-earliest" } });
    expect(preview.members).toEqual([]);
    expect(preview.partitions.map((p) => [p.partition, p.current, p.next, p.reread, p.skipped])).toEqual([
      [0, 6, 0, 6, 0],
      [1, 4, 0, 4, 0],
    ]);
    expect(preview.totals).toEqual({ partitions: 2, reread: 10, skipped: 0 });

    await expect(env.viewer().groups.resetOffsets({ groupId: "billing", scope: { kind: "all-topics" }, strategy: { kind: "to-earliest" } })).rejects.toThrow(/Requires role operator/);
    const applied = await env.operator().groups.resetOffsets({ groupId: "billing", scope: { kind: "all-topics" }, strategy: { kind: "to-earliest" } });
    expect(applied.totals.reread).toBe(10);

    const [row] = await env.database.db.select().from(auditEvents).where(eq(auditEvents.action, "groups.resetOffsets")).orderBy(desc(auditEvents.id));
    expect(row).toMatchObject({ actor: "otto", outcome: "ok", target: "embedded/billing", targetKind: "consumer-group" });
    expect(row.details.before).toEqual([
      { topic: "orders", partition: 0, offset: 6 },
      { topic: "orders", partition: 1, offset: 4 },
    ]);
    expect(row.details.after).toEqual([
      { topic: "orders", partition: 0, offset: 0 },
      { topic: "orders", partition: 1, offset: 0 },
    ]);
    const denied = await env.database.db.select().from(auditEvents).where(eq(auditEvents.outcome, "denied"));
    expect(denied.map((d) => d.actor)).toContain("vera");

    // The restarted consumer re-reads everything: 13 records, from offset 0 of both partitions.
    const { consumer, seen } = await consume(13);
    expect(seen.filter((v) => v.startsWith("a-"))).toHaveLength(6);
    expect(seen).toHaveLength(13);
    await eventually(async () => ((await env.viewer().groups.get({ groupId: "billing" })).lag === 0 ? true : undefined));
    await consumer.disconnect();
  });

  it("plans every strategy and scope with the tool's rules", async () => {
    await eventually(async () => ((await env.viewer().groups.get({ groupId: "billing" })).members === 0 ? true : undefined));
    type Input = Parameters<ReturnType<typeof env.viewer>["groups"]["previewReset"]>[0];
    const preview = (scope: Input["scope"], strategy: Input["strategy"]) => env.viewer().groups.previewReset({ groupId: "billing", scope, strategy });
    const next = async (scope: Input["scope"], strategy: Input["strategy"]) => (await preview(scope, strategy)).partitions.map((p) => p.next);

    expect(await next({ kind: "topic", topic: "orders", partitions: [1] }, { kind: "to-offset", offset: 2 })).toEqual([2]);
    expect(await next({ kind: "topic", topic: "orders" }, { kind: "shift-by", by: -5 })).toEqual([4, 0]);
    expect(await next({ kind: "all-topics" }, { kind: "to-offset", offset: 100 })).toEqual([9, 4]);
    expect(await next({ kind: "all-topics" }, { kind: "to-current" })).toEqual([9, 4]);
    expect(await next({ kind: "all-topics" }, { kind: "to-latest" })).toEqual([9, 4]);
    // Every record is older than a minute from now: to-datetime in the future lands at the end,
    // by-duration a day back finds the first record.
    expect(await next({ kind: "all-topics" }, { kind: "to-datetime", at: new Date(Date.now() + 60_000).toISOString() })).toEqual([9, 4]);
    expect(await next({ kind: "all-topics" }, { kind: "by-duration", duration: "P1D" })).toEqual([0, 0]);
    const fromFile = await preview({ kind: "all-topics" }, { kind: "from-file", csv: "topic,partition,offset\norders,0,7\norders,1,1\n" });
    expect(fromFile.partitions.map((p) => [p.next, p.reread, p.skipped])).toEqual([
      [7, 2, 0],
      [1, 3, 0],
    ]);

    // Importing a file for a group: the file's rows are the scope.
    const imported = await env.viewer().groups.previewReset({ groupId: "fresh-import", scope: { kind: "all-topics" }, strategy: { kind: "from-file", csv: "orders,1,7\norders,1,2\n" } });
    expect(imported.partitions.map((p) => [p.topic, p.partition, p.current, p.next])).toEqual([["orders", 1, null, 2]]);
    await expect(preview({ kind: "all-topics" }, { kind: "from-file", csv: "orders,9,2" })).rejects.toThrow(/orders-9, which does not exist/);

    await expect(preview({ kind: "topic", topic: "orders", partitions: [5] }, { kind: "to-earliest" })).rejects.toThrow(/no partition 5; it has 2/);
    await expect(preview({ kind: "topic", topic: "nope" }, { kind: "to-earliest" })).rejects.toThrow(/does not exist/);
    await expect(preview({ kind: "all-topics" }, { kind: "by-duration", duration: "1h" })).rejects.toThrow(/PT1H/);
    await expect(preview({ kind: "all-topics" }, { kind: "from-file", csv: "orders;0;1" })).rejects.toThrow(/Line 1/);

    const { csv } = await env.viewer().groups.exportOffsets({ groupId: "billing" });
    expect(csv).toBe("orders,0,9\norders,1,4\n");
  });

  it("refuses to execute a preview that no longer holds", async () => {
    const all = { kind: "all-topics" } as const;
    const previewed = await env.viewer().groups.previewReset({ groupId: "billing", scope: all, strategy: { kind: "shift-by", by: -2 } });
    const approved = previewed.partitions.map((p) => ({ topic: p.topic, partition: p.partition, next: p.next }));
    // Someone else moves the offsets in between.
    await env.operator().groups.resetOffsets({ groupId: "billing", scope: all, strategy: { kind: "to-offset", offset: 3 } });
    await expect(env.operator().groups.resetOffsets({ groupId: "billing", scope: all, strategy: { kind: "shift-by", by: -2 }, approved })).rejects.toThrow(
      /offsets changed since the preview \(orders-0, orders-1\); preview again/,
    );
    const again = await env.viewer().groups.previewReset({ groupId: "billing", scope: all, strategy: { kind: "shift-by", by: -2 } });
    const ok = await env.operator().groups.resetOffsets({ groupId: "billing", scope: all, strategy: { kind: "shift-by", by: -2 }, approved: again.partitions.map((p) => ({ topic: p.topic, partition: p.partition, next: p.next })) });
    expect(ok.partitions.map((p) => p.next)).toEqual([1, 1]);
    await env.operator().groups.resetOffsets({ groupId: "billing", scope: { kind: "topic", topic: "orders", partitions: [1] }, strategy: { kind: "to-latest" } });
  });

  it("clamps lag at the log start after records are deleted", async () => {
    await env.operator().groups.resetOffsets({ groupId: "billing", scope: { kind: "topic", topic: "orders", partitions: [0] }, strategy: { kind: "to-offset", offset: 1 } });
    // As retention would: the log now starts after the committed offset.
    env.broker.broker.logs.partition("orders", 0).deleteRecordsBefore(5);
    const detail = await env.viewer().groups.get({ groupId: "billing" });
    expect(detail.offsets[0]).toMatchObject({ committed: 1, logStart: 5, logEnd: 9, lag: 4 });
  });

  it("samples lag over time", async () => {
    const lag = new LagSampler(env.clusters, 60_000);
    env.services.lag = lag;
    await lag.sample("embedded", 1000);
    await produce(1, 2, "d");
    await lag.sample("embedded", 2000);
    expect(await env.viewer().groups.lagHistory({ groupId: "billing" })).toEqual([
      { t: 1000, v: 4 },
      { t: 2000, v: 6 },
    ]);
    expect((await lag.history("embedded", TOTAL, 0)).at(-1)).toEqual({ t: 2000, v: 6 });
  });

  it("deletes a topic's offsets and then the group, each audited", async () => {
    await expect(env.operator().groups.deleteTopicOffsets({ groupId: "billing", topic: "nope" })).rejects.toThrow(/no committed offsets for topic "nope"/);
    expect(await env.operator().groups.deleteTopicOffsets({ groupId: "billing", topic: "orders" })).toEqual({ removed: 2 });
    expect((await env.viewer().groups.get({ groupId: "billing" })).offsets).toEqual([]);

    await expect(env.viewer().groups.delete({ groupId: "billing" })).rejects.toThrow(/Requires role operator/);
    await env.operator().groups.delete({ groupId: "billing" });
    expect((await env.viewer().groups.list({})).map((g) => g.groupId)).not.toContain("billing");
    await expect(env.viewer().groups.get({ groupId: "billing" })).rejects.toThrow(/No consumer group "billing"/);

    const rows = await env.database.db.select().from(auditEvents).where(eq(auditEvents.target, "embedded/billing"));
    expect(rows.filter((r) => r.outcome === "ok").map((r) => r.action)).toEqual(expect.arrayContaining(["groups.deleteTopicOffsets", "groups.delete"]));
    const offsetsRow = rows.find((r) => r.action === "groups.deleteTopicOffsets" && r.outcome === "ok")!;
    expect(offsetsRow.details.before).toHaveLength(2);
  });

  it("counts every partition of the group's topics: those without a committed offset lag by all their records, and resets handle them", async () => {
    await admin.createTopics({ topics: [{ topic: "wide", numPartitions: 6 }] });
    await producer.send({ topic: "wide", messages: Array.from({ length: 30 }, (_, i) => ({ value: `w${i}`, partition: i % 6 })) });
    await admin.setOffsets({ groupId: "partial", topic: "wide", partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: "2" })) });

    const summary = (await env.viewer().groups.list({})).find((g) => g.groupId === "partial")!;
    expect(summary).toMatchObject({ partitions: 6, noOffset: 2, lag: 4 * 3 + 2 * 5 });
    const detail = await env.viewer().groups.get({ groupId: "partial" });
    expect(detail.offsets.map((o) => [o.partition, o.committed, o.logStart, o.logEnd, o.lag])).toEqual([
      [0, 2, 0, 5, 3],
      [1, 2, 0, 5, 3],
      [2, 2, 0, 5, 3],
      [3, 2, 0, 5, 3],
      [4, null, 0, 5, 5],
      [5, null, 0, 5, 5],
    ]);
    const { groups } = await env.viewer().topics.groups({ topic: "wide" });
    expect(groups.find((g) => g.groupId === "partial")).toMatchObject({ lag: 22, partitions: expect.arrayContaining([{ partition: 5, committed: null, lag: 5 }]) });

    // Shifting needs a committed offset: the partitions without one are listed, the others planned.
    const shifted = await env.viewer().groups.previewReset({ groupId: "partial", scope: { kind: "all-topics" }, strategy: { kind: "shift-by", by: -1 } });
    expect(shifted.partitions.map((p) => [p.partition, p.next])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1]]);
    expect(shifted.untouched.map((u) => u.partition)).toEqual([4, 5]);
    // To the end covers every partition, and the skipped count is the lag that goes away.
    const latest = await env.operator().groups.resetOffsets({ groupId: "partial", scope: { kind: "all-topics" }, strategy: { kind: "to-latest" } });
    expect(latest.totals).toEqual({ partitions: 6, reread: 0, skipped: 22 });
    expect(await env.viewer().groups.get({ groupId: "partial" })).toMatchObject({ lag: 0, noOffset: 0, partitions: 6 });

    const lag = new LagSampler(env.clusters, 60_000);
    await admin.deleteGroups(["partial"]);
    await admin.setOffsets({ groupId: "partial", topic: "wide", partitions: [{ partition: 0, offset: "5" }] });
    await lag.sample("embedded", 5000);
    expect(await lag.history("embedded", "partial", 0)).toEqual([{ t: 5000, v: 25 }]);
  });

  it("manages a second Kafka-protocol cluster added to the console the same way", async () => {
    const other = await startTestBroker();
    let cluster: string | undefined;
    try {
      const [row] = await env.database.db.insert(clusters).values({ name: "second", bootstrapServers: other.bootstrap }).returning();
      cluster = slugOf(row.name);
      const k = other.kafka("second-app");
      const a = k.admin();
      await a.connect();
      await a.createTopics({ topics: [{ topic: "events", numPartitions: 1 }] });
      const p = k.producer();
      await p.connect();
      await p.send({ topic: "events", messages: Array.from({ length: 8 }, (_, i) => ({ value: `e${i}` })) });
      await p.disconnect();
      await a.setOffsets({ groupId: "auditors", topic: "events", partitions: [{ partition: 0, offset: "3" }] });
      await a.disconnect();

      expect((await env.viewer().groups.list({ cluster })).map((g) => [g.groupId, g.lag])).toEqual([["auditors", 5]]);
      expect((await env.viewer().groups.list({})).map((g) => g.groupId)).not.toContain("auditors");
      const applied = await env.operator().groups.resetOffsets({ cluster, groupId: "auditors", scope: { kind: "topic", topic: "events" }, strategy: { kind: "shift-by", by: 2 } });
      expect(applied.partitions.map((x) => [x.current, x.next, x.skipped])).toEqual([[3, 5, 2]]);
      expect((await env.viewer().groups.get({ cluster, groupId: "auditors" })).lag).toBe(3);
    } finally {
      if (cluster) await env.clusters.forget(cluster);
      await other.stop();
    }
  });

  it("measures lag against the last stable offset: an open transaction's records count once it commits", async () => {
    await admin.createTopics({ topics: [{ topic: "ledger", numPartitions: 1 }] });
    const p = kafka.producer({ transactionalId: "ledger-writer", maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
    await p.connect();
    try {
      const first = await p.transaction();
      await first.send({ topic: "ledger", messages: [{ value: "x" }, { value: "y" }] });
      await first.commit();
      await admin.setOffsets({ groupId: "ledger-readers", topic: "ledger", partitions: [{ partition: 0, offset: "0" }] });
      // Two records and the commit marker are stable; the three of the open transaction are not.
      const open = await p.transaction();
      await open.send({ topic: "ledger", messages: [{ value: "p" }, { value: "q" }, { value: "r" }] });
      const during = await env.viewer().groups.get({ groupId: "ledger-readers" });
      expect(during.offsets.map((o) => [o.logEnd, o.lag])).toEqual([[3, 3]]);
      await open.commit();
      // The markers are written after EndTxn answers, as in Kafka: the offset moves on shortly.
      const lagOf = async () => (await env.viewer().groups.get({ groupId: "ledger-readers" })).offsets.map((o) => [o.logEnd, o.lag]);
      await eventually(async () => JSON.stringify(await lagOf()) === "[[7,7]]", 15_000, "lag up to the second commit marker");
    } finally {
      await p.disconnect();
    }
  });

  it("names a cluster the console does not know", async () => {
    await expect(env.viewer().groups.list({ cluster: "42" })).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/no cluster named "42"; pick one on the Clusters page/) });
  });
});
