import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { testDatabases } from "../../db/testing";
import { captureLogs, startTestBroker } from "../broker/compat/harness";
import { TestConnection } from "../broker/compat/test-connection";
import { Apis } from "../kafka/messages";
import { ClusterConnections, EMBEDDED_CLUSTER } from "../admin/clusters";
import { clusters as clusterRows, lagRollups } from "../../db/schema";
import { eventually } from "../testing/eventually";
import { createServer, type Socket } from "node:net";
import { LagSampler, TOTAL } from "./lag";

const cleanups: (() => Promise<void>)[] = [];
let db: Database;
let disposeDb: () => Promise<void>;
beforeAll(async () => {
  const opened = await testDatabases()[0].open();
  db = opened.database;
  disposeDb = () => opened.dispose();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await db.close();
  await disposeDb();
});

/** A broker, the console's cluster connections to it and a lag sampler, as `tributary start` wires them. */
async function sampled(opts: Parameters<typeof startTestBroker>[0], maxGroupSeries?: number) {
  const t = await startTestBroker(opts);
  cleanups.push(() => t.stop());
  const clusters = new ClusterConnections(db.db, t.bootstrap, t.broker.internalCredential);
  cleanups.push(() => clusters.close());
  return { t, clusters, lag: new LagSampler(clusters, 60_000, 60, maxGroupSeries) };
}

/** Commits offset 0 of topic t for each group, outside any generation (as an admin tool would), over a raw connection. */
async function commitGroups(bootstrap: string, groups: string[], plain?: { user: string; password: string }): Promise<void> {
  const c = await TestConnection.open(bootstrap);
  try {
    if (plain) {
      await c.request(Apis.SaslHandshake, 1, { mechanism: "PLAIN" });
      expect((await c.request(Apis.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000${plain.user}\u0000${plain.password}`) })).errorCode).toBe(0);
    }
    await c.request(Apis.Metadata, 9, { topics: [{ name: "t" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    for (const groupId of groups) {
      const res = await c.request(Apis.OffsetCommit, 2, { groupId, generationIdOrMemberEpoch: -1, memberId: "", retentionTimeMs: -1, topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] }] });
      expect(res.topics[0].partitions[0].errorCode).toBe(0);
    }
  } finally {
    c.close();
  }
}

describe("lag sampler", () => {
  it("authenticates with the broker's internal credential when SASL is on", async () => {
    const { t, lag } = await sampled({ sasl: { mechanisms: ["SCRAM-SHA-256", "PLAIN"], users: { alice: "alice-secret" } } });
    await commitGroups(t.bootstrap, ["billing"], { user: "alice", password: "alice-secret" });
    const logs = captureLogs();
    try {
      await lag.sample(EMBEDDED_CLUSTER, 1000);
      expect(lag.lastError(EMBEDDED_CLUSTER)).toBeNull();
      expect(lag.latest(EMBEDDED_CLUSTER)?.groups.map((g) => g.groupId)).toEqual(["billing"]);
      expect(logs.lines.filter((l) => /lag sampling failed|Closed connection/.test(`${l.msg} ${JSON.stringify(l.err ?? "")}`))).toEqual([]);
    } finally {
      logs.stop();
    }
    // The credential is the process's own: not a configured user, and never the same twice.
    const credential = t.broker.internalCredential!;
    expect(credential.username).not.toBe("alice");
    expect(credential.password.length).toBeGreaterThanOrEqual(32);
    const other = await startTestBroker({ sasl: { mechanisms: ["PLAIN"], users: { alice: "alice-secret" } } });
    expect(other.broker.internalCredential!.password).not.toBe(credential.password);
    await other.stop();
  });

  it("logs a cluster that stops answering once, not at every pass, and keeps saying why on the page", async () => {
    const { t, lag } = await sampled({});
    await lag.sample(EMBEDDED_CLUSTER, 1000);
    expect(lag.lastError(EMBEDDED_CLUSTER)).toBeNull();
    await t.stop();
    const logs = captureLogs();
    try {
      for (let pass = 0; pass < 3; pass++) await lag.sample(EMBEDDED_CLUSTER, 2000 + pass * 1000);
      expect(lag.lastError(EMBEDDED_CLUSTER)).toMatch(/^cannot reach any broker of 127\.0\.0\.1:\d+: NETWORK_EXCEPTION \(connection to 127\.0\.0\.1:\d+: NETWORK_EXCEPTION \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)\); check that the broker runs and is reachable at the advertised address$/);
      expect(logs.lines.filter((l) => /lag sampling failed/.test(String(l.msg)))).toHaveLength(1);
    } finally {
      logs.stop();
    }
  });

  it("samples each watched cluster on its own: one that does not answer holds back no other", async () => {
    const { t, lag } = await sampled({});
    await commitGroups(t.bootstrap, ["billing"]);
    // A cluster that accepts connections and never answers: its requests wait out their timeout.
    const held: Socket[] = [];
    const silent = createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    await db.db.insert(clusterRows).values({ name: "silent", bootstrapServers: `127.0.0.1:${(silent.address() as { port: number }).port}`, tls: false });
    cleanups.push(() => db.db.delete(clusterRows).then(() => undefined));
    // Watched first: sampled in turn, it would hold the embedded broker's sample back.
    lag.watch("silent");
    lag.watch(EMBEDDED_CLUSTER);
    const first = lag.sampleAll(1000);
    await eventually(async () => (await lag.history(EMBEDDED_CLUSTER, "billing", 0)).length === 1, 10_000, "the embedded cluster's first sample");
    // The next pass samples the embedded cluster again and skips only the one still retrying.
    await lag.sampleAll(11_000);
    expect((await lag.history(EMBEDDED_CLUSTER, "billing", 0)).map((p) => p.t)).toEqual([1000, 11_000]);
    expect(lag.lastError("silent")).toBeNull();
    // Gone for good: its pass ends with the reason.
    silent.close();
    for (const s of held) s.destroy();
    await first;
    expect(lag.lastError("silent")).not.toBeNull();
  });

  it("keeps lag histories for a bounded number of groups; the rest count in the total", async () => {
    const { t, lag } = await sampled({}, 3);
    const groups = ["g1", "g2", "g3", "g4", "g5"];
    await commitGroups(t.bootstrap, groups);
    await lag.sample(EMBEDDED_CLUSTER, 1000);
    expect(await Promise.all(groups.map(async (g) => (await lag.history(EMBEDDED_CLUSTER, g, 0)).length))).toEqual([1, 1, 1, 0, 0]);
    expect(lag.latest(EMBEDDED_CLUSTER)?.groups).toHaveLength(5);
    expect(await lag.history(EMBEDDED_CLUSTER, TOTAL, 0)).toEqual([{ t: 1000, v: 0 }]);
  });

  it("keeps each minute's lag in Postgres, so a restarted console still charts the time before it", async () => {
    const { t, lag, clusters } = await sampled({});
    await commitGroups(t.bootstrap, ["billing"]);
    const client = await clusters.client(EMBEDDED_CLUSTER);
    const produce = async (n: number) => {
      const p = client.producer();
      await p.send(Array.from({ length: n }, (_, i) => ({ topic: "t", partition: 0, value: Buffer.from(`r${i}`) })));
      await p.close();
    };
    lag.persistTo(db.db);
    const m = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    await produce(3);
    await lag.sample(EMBEDDED_CLUSTER, m + 1000);
    await produce(4);
    await lag.sample(EMBEDDED_CLUSTER, m + 30_000);
    await produce(1);
    // Not yet written: the minute is not over.
    expect(await db.db.select().from(lagRollups)).toEqual([]);
    await lag.sample(EMBEDDED_CLUSTER, m + 61_000);

    const rows = await db.db.select().from(lagRollups);
    expect(rows.map((r) => [r.groupId, r.minute.getTime(), r.last, r.max]).sort()).toEqual([
      ["", m, 7, 7],
      ["billing", m, 7, 7],
    ]);
    const restarted = new LagSampler(clusters, 60_000);
    restarted.persistTo(db.db);
    expect(await restarted.history(EMBEDDED_CLUSTER, "billing", m - 60_000)).toEqual([{ t: m + 59_999, v: 7 }]);
    expect(await restarted.history(EMBEDDED_CLUSTER, TOTAL, m - 60_000)).toEqual([{ t: m + 59_999, v: 7 }]);
    // Samples since the restart follow the stored minutes.
    await restarted.sample(EMBEDDED_CLUSTER, Date.now());
    expect((await restarted.history(EMBEDDED_CLUSTER, "billing", m - 60_000)).map((p) => p.v)).toEqual([7, 8]);
  });
});
