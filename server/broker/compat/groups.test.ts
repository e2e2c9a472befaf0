import { afterEach, describe, expect, it } from "vitest";
import { Apis } from "../../kafka/messages";
import { eventually, startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";

/**
 * The classic group protocol, one behaviour per test, driven over raw sockets so each step
 * (who joins when, who stops heartbeating) is under the test's control.
 */
const brokers: Awaited<ReturnType<typeof startTestBroker>>[] = [];
const clients: TestConnection[] = [];
async function broker(opts: Parameters<typeof startTestBroker>[0] = {}) {
  const b = await startTestBroker(opts);
  brokers.push(b);
  return b;
}
async function member(bootstrap: string): Promise<TestConnection> {
  const c = await TestConnection.open(bootstrap);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.stop();
});

interface JoinOpts {
  memberId?: string;
  instanceId?: string | null;
  protocols?: string[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
}

/** JoinGroup v5 (static membership); a dynamic member repeats the join with the id the broker asks it to use. */
async function join(c: TestConnection, group: string, o: JoinOpts = {}) {
  const body = (memberId: string) => ({
    groupId: group,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 10_000,
    memberId,
    groupInstanceId: o.instanceId ?? null,
    protocolType: "consumer",
    protocols: (o.protocols ?? ["range"]).map((name) => ({ name, metadata: Buffer.from(name) })),
  });
  const res = await c.request(Apis.JoinGroup, 5, body(o.memberId ?? ""));
  if (res.errorCode === 79) return c.request(Apis.JoinGroup, 5, body(res.memberId)); // MEMBER_ID_REQUIRED
  return res;
}

const sync = (c: TestConnection, group: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[] = [], instanceId: string | null = null) =>
  c.request(Apis.SyncGroup, 3, { groupId: group, generationId, memberId, groupInstanceId: instanceId, assignments });
const heartbeat = (c: TestConnection, group: string, generationId: number, memberId: string, instanceId: string | null = null) =>
  c.request(Apis.Heartbeat, 3, { groupId: group, generationId, memberId, groupInstanceId: instanceId }).then((r) => r.errorCode as number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("group coordinator", () => {
  it("waits group.initial.rebalance.delay.ms for members of a new group, then picks a protocol every member supports", async () => {
    const t = await broker({ groupInitialRebalanceDelayMs: 600 });
    const [a, b, c] = await Promise.all([member(t.bootstrap), member(t.bootstrap), member(t.bootstrap)]);
    const started = Date.now();
    const ja = join(a, "delayed", { protocols: ["range", "roundrobin"] });
    await sleep(200);
    const jb = join(b, "delayed", { protocols: ["cooperative-sticky", "roundrobin"] });
    const [ra, rb] = await Promise.all([ja, jb]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    // Both arrived within the delay: one generation with both members, not two rebalances.
    expect([ra.generationId, rb.generationId]).toEqual([1, 1]);
    expect(ra.protocolName).toBe("roundrobin");
    const leader = ra.leader === ra.memberId ? ra : rb;
    expect(leader.members.map((m) => m.metadata.toString()).sort()).toEqual(["roundrobin", "roundrobin"]);
    // A member with no protocol in common is refused, and so is a SyncGroup naming another protocol.
    expect((await join(c, "delayed", { protocols: ["sticky"] })).errorCode).toBe(23); // INCONSISTENT_GROUP_PROTOCOL
    const wrong = await a.request(Apis.SyncGroup, 5, { groupId: "delayed", generationId: 1, memberId: ra.memberId, groupInstanceId: null, protocolType: "consumer", protocolName: "range", assignments: [] });
    expect(wrong.errorCode).toBe(23);
  });

  it("waits for a member that was just given its id (MEMBER_ID_REQUIRED) before completing a rebalance", async () => {
    const t = await broker();
    const [a, b, c] = await Promise.all([member(t.bootstrap), member(t.bootstrap), member(t.bootstrap)]);
    const ra = await join(a, "pending");
    await sync(a, "pending", ra.generationId, ra.memberId);
    const body = (memberId: string) => ({ groupId: "pending", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("range") }] });
    const first = await b.request(Apis.JoinGroup, 5, body(""));
    expect(first.errorCode).toBe(79); // MEMBER_ID_REQUIRED: b now holds an id but has not joined yet
    const jc = join(c, "pending");
    await eventually(async () => ((await heartbeat(a, "pending", ra.generationId, ra.memberId)) === 27 ? true : undefined), 5000, "a told to rejoin");
    let done = false;
    const ja = join(a, "pending", { memberId: ra.memberId }).then((r) => ((done = true), r));
    await sleep(400);
    expect(done).toBe(false); // everyone known has rejoined, but b is still expected
    const jb = b.request(Apis.JoinGroup, 5, body(first.memberId));
    const results = await Promise.all([ja, jb, jc]);
    expect(results.map((r) => r.generationId)).toEqual([2, 2, 2]);
    const leader = results.find((r) => r.leader === r.memberId)!;
    expect(leader.members).toHaveLength(3);
  });

  it("removes a member whose session times out and rebalances the rest", async () => {
    // Members that join within the initial delay form the first generation together.
    const t = await broker({ groupInitialRebalanceDelayMs: 300 });
    const [a, b] = await Promise.all([member(t.bootstrap), member(t.bootstrap)]);
    const [ra, rb] = await Promise.all([join(a, "sessions", { sessionTimeoutMs: 1000 }), join(b, "sessions", { sessionTimeoutMs: 1000 })]);
    expect([ra.generationId, rb.generationId]).toEqual([1, 1]);
    const leader = ra.leader === ra.memberId ? { c: a, r: ra } : { c: b, r: rb };
    const assignments = [ra, rb].map((r) => ({ memberId: r.memberId, assignment: Buffer.from(r.memberId) }));
    const synced = await Promise.all([sync(leader.c, "sessions", 1, leader.r.memberId, assignments), sync(leader.c === a ? b : a, "sessions", 1, (leader.c === a ? rb : ra).memberId)]);
    expect(synced.map((x) => x.errorCode)).toEqual([0, 0]);
    // b goes silent; a keeps heartbeating and is told to rejoin once b's session expires.
    const silentSince = Date.now();
    await eventually(async () => ((await heartbeat(a, "sessions", 1, ra.memberId)) === 27 ? true : undefined), 5000, "rebalance after b's session timeout");
    expect(Date.now() - silentSince).toBeGreaterThanOrEqual(900);
    const ra2 = await join(a, "sessions", { memberId: ra.memberId, sessionTimeoutMs: 1000 });
    expect(ra2.generationId).toBe(2);
    expect(ra2.members.map((m) => m.memberId)).toEqual([ra.memberId]);
    expect(await heartbeat(b, "sessions", 1, rb.memberId)).toBe(25); // UNKNOWN_MEMBER_ID
  });

  it("expires a static member when its session timeout ends, so DeleteGroups right after it succeeds", async () => {
    const t = await broker();
    // Several groups, started a little apart, so no lucky timing of a periodic check can pass this.
    const expireOne = async (i: number) => {
      await sleep(i * 60);
      const c = await member(t.bootstrap);
      const group = `static-expiry-${i}`;
      const r = await join(c, group, { instanceId: `instance-${i}`, sessionTimeoutMs: 1000 });
      expect((await sync(c, group, r.generationId, r.memberId, [{ memberId: r.memberId, assignment: Buffer.from("a") }], `instance-${i}`)).errorCode).toBe(0);
      expect(await heartbeat(c, group, r.generationId, r.memberId, `instance-${i}`)).toBe(0);
      const lastHeartbeat = Date.now();
      await sleep(1000 + 100 - (Date.now() - lastHeartbeat));
      const deleted = await c.request(Apis.DeleteGroups, 2, { groupsNames: [group] });
      return deleted.results[0].errorCode as number;
    };
    expect(await Promise.all([0, 1, 2, 3].map(expireOne))).toEqual([0, 0, 0, 0]);
  });

  it("keeps a member waiting in SyncGroup for a slow leader alive beyond its session timeout", async () => {
    const t = await broker({ groupInitialRebalanceDelayMs: 300 });
    const [a, b] = await Promise.all([member(t.bootstrap), member(t.bootstrap)]);
    const [ra, rb] = await Promise.all([join(a, "slow-leader", { sessionTimeoutMs: 1000 }), join(b, "slow-leader", { sessionTimeoutMs: 1000 })]);
    const [leader, follower] = ra.leader === ra.memberId ? [{ c: a, r: ra }, { c: b, r: rb }] : [{ c: b, r: rb }, { c: a, r: ra }];
    const waiting = sync(follower.c, "slow-leader", 1, follower.r.memberId);
    // The leader takes 1.5 s to assign, heartbeating meanwhile; the follower only waits.
    for (let i = 0; i < 5; i++) {
      await sleep(300);
      expect(await heartbeat(leader.c, "slow-leader", 1, leader.r.memberId)).toBe(0);
    }
    await sync(leader.c, "slow-leader", 1, leader.r.memberId, [{ memberId: follower.r.memberId, assignment: Buffer.from("yours") }]);
    const got = await waiting;
    expect(got.errorCode).toBe(0);
    expect(got.assignment.toString()).toBe("yours");
  });

  it("completes a rebalance without members that do not rejoin within the rebalance timeout", async () => {
    const t = await broker({ groupInitialRebalanceDelayMs: 300 });
    const [a, b, c] = await Promise.all([member(t.bootstrap), member(t.bootstrap), member(t.bootstrap)]);
    const o = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 1200 };
    const [ra, rb] = await Promise.all([join(a, "slow", o), join(b, "slow", o)]);
    const synced = await Promise.all([sync(a, "slow", 1, ra.memberId), sync(b, "slow", 1, rb.memberId)]);
    expect(synced.map((x) => x.errorCode)).toEqual([0, 0]);
    // c joins; a rejoins when its heartbeat says so; b only keeps heartbeating (alive, but stuck in processing).
    const started = Date.now();
    const jc = join(c, "slow", o);
    await eventually(async () => ((await heartbeat(a, "slow", 1, ra.memberId)) === 27 ? true : undefined), 5000, "a told to rejoin");
    const ja = join(a, "slow", { ...o, memberId: ra.memberId });
    const beating = setInterval(() => heartbeat(b, "slow", 1, rb.memberId).catch(() => undefined), 200);
    const [ra2, rc] = await Promise.all([ja, jc]);
    clearInterval(beating);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
    expect([ra2.errorCode, rc.errorCode]).toEqual([0, 0]);
    expect([ra2.generationId, rc.generationId]).toEqual([2, 2]);
    const leader = ra2.leader === ra2.memberId ? ra2 : rc;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([ra.memberId, rc.memberId].sort());
    expect(await heartbeat(b, "slow", 1, rb.memberId)).toBe(25); // UNKNOWN_MEMBER_ID: b was removed
  });

  it("lets a static member (group.instance.id) restart without a rebalance and keep its assignment, fencing the old incarnation", async () => {
    const t = await broker({ groupInitialRebalanceDelayMs: 300 });
    const [a, b] = await Promise.all([member(t.bootstrap), member(t.bootstrap)]);
    const [ra, rb] = await Promise.all([join(a, "static", { instanceId: "a" }), join(b, "static", { instanceId: "b" })]);
    expect([ra.generationId, rb.generationId]).toEqual([1, 1]);
    const ids = { a: ra.memberId as string, b: rb.memberId as string };
    const assignments = [
      { memberId: ids.a, assignment: Buffer.from("parts-of-a") },
      { memberId: ids.b, assignment: Buffer.from("parts-of-b") },
    ];
    const aLeads = ra.leader === ids.a;
    await Promise.all([sync(a, "static", 1, ids.a, aLeads ? assignments : [], "a"), sync(b, "static", 1, ids.b, aLeads ? [] : assignments, "b")]);

    // b's process restarts: a new connection, the same instance id, no member id.
    const b2 = await member(t.bootstrap);
    const rb2 = await join(b2, "static", { instanceId: "b" });
    expect(rb2.errorCode).toBe(0);
    expect(rb2.generationId).toBe(1);
    expect(rb2.memberId).not.toBe(ids.b);
    const synced = await sync(b2, "static", 1, rb2.memberId, [], "b");
    expect(synced.assignment.toString()).toBe("parts-of-b");
    // No rebalance for a; the old b is fenced.
    expect(await heartbeat(a, "static", 1, ids.a, "a")).toBe(0);
    expect(await heartbeat(b, "static", 1, ids.b, "b")).toBe(82); // FENCED_INSTANCE_ID
    const described = await a.request(Apis.DescribeGroups, 4, { groups: ["static"], includeAuthorizedOperations: false });
    expect(described.groups[0].groupState).toBe("Stable");
    expect(described.groups[0].members.map((m) => m.groupInstanceId).sort()).toEqual(["a", "b"]);

    // The leader restarts too (JoinGroup v9): it is told to skip the assignment, so nothing moves.
    const leaderInstance = aLeads ? "a" : "b";
    const l2 = await member(t.bootstrap);
    const rl = await l2.request(Apis.JoinGroup, 9, { groupId: "static", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", groupInstanceId: leaderInstance, protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("range") }], reason: null });
    expect(rl).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true, protocolName: "range" });
    expect(rl.leader).toBe(rl.memberId);
    expect(rl.members).toHaveLength(2);
    const leaderSync = await l2.request(Apis.SyncGroup, 5, { groupId: "static", generationId: 1, memberId: rl.memberId, groupInstanceId: leaderInstance, protocolType: "consumer", protocolName: "range", assignments: [] });
    expect(leaderSync.assignment.toString()).toBe(`parts-of-${leaderInstance}`);
    const other = aLeads ? { c: b2, id: rb2.memberId as string, inst: "b" } : { c: a, id: ids.a, inst: "a" };
    expect(await heartbeat(other.c, "static", 1, other.id, other.inst)).toBe(0);

    // Once more with JoinGroup v5, which has no skipAssignment: the leader is shown its old id,
    // so it behaves as a follower and just collects its assignment.
    const l3 = await member(t.bootstrap);
    const rl3 = await join(l3, "static", { instanceId: leaderInstance });
    expect(rl3).toMatchObject({ errorCode: 0, generationId: 1, leader: rl.memberId, members: [] });
    expect(rl3.memberId).not.toBe(rl.memberId);
    expect((await sync(l3, "static", 1, rl3.memberId, [], leaderInstance)).assignment.toString()).toBe(`parts-of-${leaderInstance}`);
    expect(await heartbeat(other.c, "static", 1, other.id, other.inst)).toBe(0);
  });

  it("accepts commits from consumers outside any group (manual assignment), and refuses them for a group with members", async () => {
    const t = await broker();
    const admin = t.kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "manual", numPartitions: 2 }] });
    const c = await member(t.bootstrap);
    // Java's assign() + commitSync(): OffsetCommit v8 (flexible), generation -1, no member id.
    const v8 = await c.request(Apis.OffsetCommit, 8, { groupId: "assigned", generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "manual", partitions: [{ partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: "by hand" }] }] });
    expect(v8.topics[0].partitions[0].errorCode).toBe(0);
    // An older client: OffsetCommit v2 with a retention time.
    const v2 = await c.request(Apis.OffsetCommit, 2, { groupId: "assigned", generationIdOrMemberEpoch: -1, memberId: "", retentionTimeMs: -1, topics: [{ name: "manual", partitions: [{ partitionIndex: 0, committedOffset: 7, committedMetadata: null }] }] });
    expect(v2.topics[0].partitions[0].errorCode).toBe(0);
    const fetched = await admin.fetchOffsets({ groupId: "assigned", topics: ["manual"] });
    expect(fetched[0].partitions.sort((x, y) => x.partition - y.partition).map((p) => [p.offset, p.metadata])).toEqual([
      ["7", null],
      ["42", "by hand"],
    ]);
    // Per partition: an unknown partition or oversized metadata is refused, the rest is kept.
    const mixed = await c.request(Apis.OffsetCommit, 8, {
      groupId: "assigned",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [
        { name: "manual", partitions: [{ partitionIndex: 0, committedOffset: 8, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 5, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 1, committedOffset: 50, committedLeaderEpoch: -1, committedMetadata: "x".repeat(5000) }] },
        { name: "no-such-topic", partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
      ],
    });
    expect(mixed.topics.map((t) => t.partitions.map((p) => p.errorCode))).toEqual([[0, 3, 12], [3]]);
    const after = await admin.fetchOffsets({ groupId: "assigned", topics: ["manual"] });
    expect(after[0].partitions.sort((x, y) => x.partition - y.partition).map((p) => p.offset)).toEqual(["8", "42"]);
    // Once the group has members, a commit without a member id is refused.
    const m = await member(t.bootstrap);
    const joined = await join(m, "assigned");
    await sync(m, "assigned", joined.generationId, joined.memberId);
    const refused = await c.request(Apis.OffsetCommit, 8, { groupId: "assigned", generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "manual", partitions: [{ partitionIndex: 0, committedOffset: 9, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(refused.topics[0].partitions[0].errorCode).toBe(25); // UNKNOWN_MEMBER_ID
    await admin.disconnect();
  });

  it("expires the offsets of a group empty for longer than offsets.retention.ms, never those of an active group, and the expiry survives a restart", async () => {
    const t = await broker({ offsetsRetentionMs: 1500 });
    const c = await member(t.bootstrap);
    const commit = (group: string, generation: number, memberId: string) =>
      c.request(Apis.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: generation, memberId, groupInstanceId: null, topics: [{ name: "kept", partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const committed = async (group: string) => (await c.request(Apis.OffsetFetch, 7, { groupId: group, topics: [{ name: "kept", partitionIndexes: [0] }], requireStable: false })).topics[0].partitions[0].committedOffset as number;
    await c.request(Apis.Metadata, 9, { topics: [{ name: "kept" }], allowAutoTopicCreation: true });

    const m = await member(t.bootstrap);
    const joined = await join(m, "active", { sessionTimeoutMs: 10_000 });
    await sync(m, "active", joined.generationId, joined.memberId);
    expect((await commit("active", joined.generationId, joined.memberId)).topics[0].partitions[0].errorCode).toBe(0);
    expect((await commit("idle", -1, "")).topics[0].partitions[0].errorCode).toBe(0);

    const beating = setInterval(() => heartbeat(m, "active", joined.generationId, joined.memberId).catch(() => undefined), 300);
    await eventually(async () => ((await committed("idle")) === -1 ? true : undefined), 6000, "idle group's offsets to expire");
    expect(await committed("active")).toBe(5); // older than the retention, but the group has a member
    clearInterval(beating);
    await m.request(Apis.LeaveGroup, 3, { groupId: "active", members: [{ memberId: joined.memberId, groupInstanceId: null }] });
    await eventually(async () => ((await committed("active")) === -1 ? true : undefined), 6000, "offsets to expire after the group became empty");
    const groups = await c.request(Apis.ListGroups, 3, {});
    expect(groups.groups.map((g) => g.groupId)).not.toContain("idle");

    await t.stop(true);
    brokers.splice(brokers.indexOf(t), 1);
    const again = await broker({ dataDir: t.dataDir, offsetsRetentionMs: 1500 });
    const c2 = await member(again.bootstrap);
    const after = await c2.request(Apis.OffsetFetch, 7, { groupId: "active", topics: [{ name: "kept", partitionIndexes: [0] }], requireStable: false });
    expect(after.topics[0].partitions[0].committedOffset).toBe(-1);
  });
});
