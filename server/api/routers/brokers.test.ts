import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarise } from "../../admin/brokers";
import { Broker } from "../../broker/broker";
import { ClusterMember } from "../../cluster/member";
import { ClusterStore } from "../../cluster/store";
import { clusterDatabase, eventually } from "../../cluster/test-support";
import type { MetadataSnapshot, PartitionInfo } from "../../kafka/client";
import { metrics } from "../../metrics/registry";
import { LagSampler } from "../../metrics/lag";
import { SeriesSampler } from "../../metrics/series";
import { startRouterEnv } from "../testing";

const part = (partition: number, leader: number, replicas: number[], isr: number[]): PartitionInfo => ({ partition, leader, leaderEpoch: 0, replicas, isr, offline: [], errorCode: 0 });

describe("brokers summary", () => {
  const md: MetadataSnapshot = {
    clusterId: "c",
    controllerId: 2,
    brokers: [
      { nodeId: 2, host: "b2", port: 9092, rack: "r2" },
      { nodeId: 1, host: "b1", port: 9092, rack: "r1" },
    ],
    topics: [
      { name: "orders", topicId: "t", internal: false, partitions: [part(0, 1, [1, 2], [1, 2]), part(1, 2, [2, 1], [2]), part(2, -1, [3], [])] },
    ],
  };

  it("counts leaderships, replicas, under-replicated and offline partitions per broker", () => {
    const sizes = new Map([["orders", new Map([[0, new Map([[1, 100], [2, 90]])], [1, new Map([[2, 50]])]])]]);
    const s = summarise(md, 2, sizes);
    expect(s).toMatchObject({ partitions: 3, underReplicated: 2, offline: 1, controllerId: 2 });
    expect(s.brokers).toEqual([
      { nodeId: 1, host: "b1", port: 9092, rack: "r1", controller: false, leaderOf: 1, replicas: 2, underReplicated: 1, diskBytes: 100 },
      { nodeId: 2, host: "b2", port: 9092, rack: "r2", controller: true, leaderOf: 1, replicas: 2, underReplicated: 1, diskBytes: 140 },
    ]);
  });

  it("leaves disk unknown when the cluster withholds sizes", () => {
    expect(summarise(md, 2, null).brokers.map((b) => b.diskBytes)).toEqual([null, null]);
  });
});

/** The router over the real protocol against the embedded broker. */
describe("brokers router", () => {
  let env: Awaited<ReturnType<typeof startRouterEnv>>;

  beforeAll(async () => {
    env = await startRouterEnv();
    const admin = env.broker.kafka("brokers-test").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "payments", numPartitions: 3 }] });
    await admin.disconnect();
    const producer = env.broker.kafka("brokers-test").producer();
    await producer.connect();
    await producer.send({ topic: "payments", messages: [{ value: "x".repeat(500) }] });
    await producer.disconnect();
  });

  afterAll(async () => {
    await env?.stop();
  });

  it("lists the broker as controller with its partitions and disk", async () => {
    const h = await env.viewer().brokers.list({});
    expect(h.brokers).toHaveLength(1);
    const b = h.brokers[0];
    expect(b.controller).toBe(true);
    expect(h.controllerId).toBe(b.nodeId);
    expect(b.port).toBe(Number(env.broker.bootstrap.split(":")[1]));
    expect(b.leaderOf).toBeGreaterThanOrEqual(3);
    expect(b.replicas).toBe(b.leaderOf);
    expect(b.diskBytes).toBeGreaterThan(500);
    expect(h).toMatchObject({ underReplicated: 0, offline: 0, member: null });
    expect(h.partitions).toBeGreaterThanOrEqual(3);
  });

  it("names an unknown cluster as the user's error", async () => {
    await expect(env.viewer().brokers.list({ cluster: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

/** Two Tributary brokers coordinated in Postgres; the console runs broker 1, so it knows broker 1's membership. */
describe("brokers router on a Tributary cluster", () => {
  const SESSION_MS = 2500;
  let db: Awaited<ReturnType<typeof clusterDatabase>>;
  let env: Awaited<ReturnType<typeof startRouterEnv>>;
  let second: Broker | undefined;
  const dirs: string[] = [];
  const member = (nodeId: number) => new ClusterMember(ClusterStore.open(db.url, 1), { nodeId, rack: `rack-${nodeId}`, sessionTimeoutMs: SESSION_MS, uncleanLeaderElection: false });

  beforeAll(async () => {
    db = await clusterDatabase(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
    env = await startRouterEnv({ nodeId: 1, cluster: member(1) });
    const dataDir = mkdtempSync(join(tmpdir(), "tributary-brokers-2-"));
    dirs.push(dataDir);
    second = await Broker.start({ dataDir, host: "127.0.0.1", port: 0, nodeId: 2, cluster: member(2), groupInitialRebalanceDelayMs: 0 });
    await eventually(async () => ((await env.viewer().brokers.list({})).brokers.length === 2 ? true : undefined), 15_000, "two live brokers");
    const admin = env.broker.kafka("brokers-cluster-test").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "replicated", numPartitions: 2, replicationFactor: 2 }] });
    await admin.disconnect();
  }, 60_000);

  afterAll(async () => {
    await second?.close().catch(() => {});
    await env?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.dispose();
  });

  it("shows racks, one controller and this broker's membership", async () => {
    const h = await env.viewer().brokers.list({});
    expect(h.brokers.map((b) => [b.nodeId, b.rack])).toEqual([
      [1, "rack-1"],
      [2, "rack-2"],
    ]);
    expect(h.brokers.filter((b) => b.controller)).toHaveLength(1);
    expect(h.brokers.every((b) => b.replicas >= 2)).toBe(true);
    expect(h.member).toMatchObject({ nodeId: 1, state: "member", leaseCurrent: true, storeReachable: true, storeError: null });
    // Renewed several times a session, so a live lease is never older than one.
    expect(h.member?.leaseAgeMs).toBeGreaterThanOrEqual(0);
    expect(h.member?.leaseAgeMs).toBeLessThan(SESSION_MS);
  });

  it("measures topic rates over the whole cluster: records appended on the other broker count too", async () => {
    const ledByTwo = await eventually(() => env.broker.broker.cluster!.metadata().topics.get("replicated")?.partitions.find((p) => p.leader === 2), 10_000, "a partition of replicated led by broker 2");
    // The console's sampler of this process's metrics, as `tributary start` runs it.
    const sampler = new SeriesSampler(metrics);
    sampler.start(200);
    env.services.sampler = sampler;
    const rateOf = async () => (await env.viewer().topics.list({})).find((t) => t.name === "replicated")!;
    // On a node of a cluster the list's rates are the console's samples of the whole cluster.
    const listSampler = new LagSampler(env.clusters, 60_000);
    env.services.lag = listSampler;
    expect(await rateOf()).toMatchObject({ recordsPerSec: null, rateFrom: "sampled" });
    const sampledAt = Date.now();
    await listSampler.sample("embedded", sampledAt);
    const producer = env.broker.kafka("brokers-cluster-test").producer();
    await producer.connect();
    await producer.send({ topic: "replicated", messages: Array.from({ length: 200 }, (_, i) => ({ value: `r${i}`, partition: ledByTwo.partition })) });
    await producer.disconnect();
    await listSampler.sample("embedded", sampledAt + 10_000);
    // 200 records in 10 s, though this broker's own metrics saw none of them: broker 2 leads the partition.
    expect(await rateOf()).toMatchObject({ recordsPerSec: 20, bytesPerSec: null, rateFrom: "sampled" });
    env.services.lag = undefined;
    // The dashboard's charts come from this node's metrics: it says so.
    const charts = await env.viewer().dashboard.throughput({});
    expect(charts.available && charts.scope).toMatch(/^Broker 1's share of the cluster/);
    // Once the console samples the cluster (two brokers in its metadata), the charts are the whole cluster's.
    const lag = new LagSampler(env.clusters, 60_000);
    env.services.lag = lag;
    await lag.sample("embedded");
    const more = env.broker.kafka("brokers-cluster-test").producer();
    await more.connect();
    await more.send({ topic: "replicated", messages: Array.from({ length: 300 }, (_, i) => ({ value: `s${i}`, partition: ledByTwo.partition })) });
    await more.disconnect();
    await lag.sample("embedded");
    const whole = await env.viewer().dashboard.throughput({});
    expect(whole.available && whole.scope).toMatch(/^Sampled by the console every 60 s/);
    expect(whole.available && whole.points.reduce((n, p) => n + p.recordsIn, 0)).toBeGreaterThan(0);
    env.services.lag = undefined;
    sampler.stop();
    env.services.sampler = undefined;
  }, 30_000);

  it("counts under-replicated partitions once a broker is gone", async () => {
    await second!.close();
    second = undefined;
    // Until its session lapses, broker 2 is still listed and cannot tell its disk: the page shows the rest.
    const first = await env.viewer().brokers.list({});
    if (first.brokers.length === 2) expect(first.diskNote).toMatch(/Disk use unknown: .*NETWORK_EXCEPTION/);
    const h = await eventually(async () => {
      const x = await env.viewer().brokers.list({});
      return x.brokers.length === 1 && x.underReplicated >= 2 ? x : undefined;
    }, 30_000, "broker 2's replicas out of the ISR");
    expect(h.diskNote).toBeNull();
    expect(h.brokers[0]).toMatchObject({ nodeId: 1, controller: true });
    expect(h.brokers[0].underReplicated).toBeGreaterThanOrEqual(2);
    expect(h.offline).toBe(0);
  }, 45_000);
});
