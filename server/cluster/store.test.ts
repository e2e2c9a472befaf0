import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogManager, PRODUCER_ID_BLOCK_SIZE } from "../broker/log/log-manager";
import { tempDirs } from "../testing/temp-dir";
import { clusterDatabase } from "./test-support";
import { ClusterStore, ControllerFencedError } from "./store";

let db: Awaited<ReturnType<typeof clusterDatabase>>;
const stores: ClusterStore[] = [];
const open = () => {
  const s = ClusterStore.open(db.url);
  stores.push(s);
  return s;
};

beforeAll(async () => {
  db = await clusterDatabase();
  await open().ensureCluster("test-cluster");
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await db.dispose();
});

const tempDir = tempDirs("store");

const endpoint = (nodeId: number) => ({ nodeId, host: "127.0.0.1", port: 9000 + nodeId, rack: null });

describe("cluster store (real Postgres)", () => {
  it("refuses a node id held by a live lease, and takes it over once the lease lapses under a new incarnation", async () => {
    const a = open();
    const b = open();
    const first = await a.register(endpoint(50), 60_000);
    expect(first).toBe(1);
    expect(await b.register(endpoint(50), 60_000)).toBeNull();
    expect(await a.register(endpoint(51), 1)).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await b.register(endpoint(51), 60_000)).toBe(2);
    // The replaced incarnation can no longer renew: it learns it was replaced.
    expect(await a.renew(51, 1, 60_000)).toBe(false);
    expect(await b.renew(51, 2, 60_000)).toBe(true);
  });

  it("shares out producer ids in blocks no two brokers get: thousands asked for at once on two brokers never repeat", async () => {
    const brokers = [open(), open()].map((store) => {
      const logs = LogManager.open({ dataDir: tempDir(), backgroundIntervalMs: 60_000 });
      logs.useProducerIdBlocks(async () => (await store.producerIdBlock()) * PRODUCER_ID_BLOCK_SIZE);
      return logs;
    });
    try {
      const ids = (await Promise.all(brokers.flatMap((logs) => Array.from({ length: 2500 }, () => logs.initProducerId())))).map((p) => p.producerId);
      expect(new Set(ids).size).toBe(5000);
      expect(Math.min(...ids)).toBeGreaterThanOrEqual(PRODUCER_ID_BLOCK_SIZE);
    } finally {
      await Promise.all(brokers.map((logs) => logs.close()));
    }
  });

  it("lets exactly one of many brokers racing for the controller role win", async () => {
    const racers = [1, 2, 3, 4, 5, 6].map((id) => ({ id, store: open() }));
    const incarnations = await Promise.all(racers.map((r) => r.store.register(endpoint(r.id), 60_000)));
    const epochs = await Promise.all(racers.map((r, i) => r.store.acquireController(r.id, incarnations[i]!, 60_000)));
    const winners = epochs.filter((e) => e !== null);
    expect(winners).toHaveLength(1);
    const l = await open().liveness();
    expect(l.controller).toEqual({ nodeId: racers[epochs.findIndex((e) => e !== null)].id, epoch: winners[0] });
  });

  it("applies a partition change once among concurrent attempts on the same epoch, and fences a deposed controller", async () => {
    const s = open();
    const inc1 = (await s.register(endpoint(11), 60_000))!;
    const inc2 = (await s.register(endpoint(12), 60_000))!;
    // Take the controller role (whoever held it from the last test resigns).
    const before = (await s.liveness()).controller!;
    await s.resignController(before.nodeId, before.epoch);
    const epoch = (await s.acquireController(11, inc1, 60_000))!;
    expect(epoch).toBeGreaterThan(before.epoch);
    await s.createTopics([{ name: "cas", topicId: "cas-id", configs: {}, assignment: [[11, 12]] }]);
    const [p] = (await s.topics()).find((t) => t.name === "cas")!.partitions;
    expect(p).toMatchObject({ leader: 11, leaderEpoch: 0, isr: [11, 12], partitionEpoch: 0 });

    const attempts = Array.from({ length: 8 }, () => open().applyLeadership({ nodeId: 11, epoch }, [{ topic: "cas", partition: 0, expectedPartitionEpoch: 0, change: { leader: 12, isr: [12], leaderEpochBump: true } }]));
    const applied = await Promise.all(attempts);
    expect(applied.reduce((a, b) => a + b, 0)).toBe(1);
    const [after] = (await s.topics()).find((t) => t.name === "cas")!.partitions;
    expect(after).toMatchObject({ leader: 12, leaderEpoch: 1, isr: [12], partitionEpoch: 1 });

    // A new controller takes over; the old one's write under its epoch is refused whole.
    await s.resignController(11, epoch);
    const next = (await s.acquireController(12, inc2, 60_000))!;
    await expect(s.applyLeadership({ nodeId: 11, epoch }, [{ topic: "cas", partition: 0, expectedPartitionEpoch: 1, change: { leader: 11, isr: [11], leaderEpochBump: true } }])).rejects.toBeInstanceOf(ControllerFencedError);
    expect(await s.applyLeadership({ nodeId: 12, epoch: next }, [{ topic: "cas", partition: 0, expectedPartitionEpoch: 0, change: { leader: 11, isr: [11], leaderEpochBump: true } }])).toBe(0);
    const [still] = (await s.topics()).find((t) => t.name === "cas")!.partitions;
    expect(still).toMatchObject({ leader: 12, leaderEpoch: 1, partitionEpoch: 1 });
  });

  it("refuses a second topic of the same name however the creations interleave", async () => {
    const results = await Promise.all([open(), open(), open()].map((s, i) => s.createTopics([{ name: "race", topicId: `race-${i}`, configs: { "cleanup.policy": "compact" }, assignment: [[1], [2]] }])));
    expect(results.flat().filter(Boolean)).toHaveLength(1);
    const t = (await open().topics()).find((x) => x.name === "race")!;
    expect(t.partitions).toHaveLength(2);
    expect(t.configs).toEqual({ "cleanup.policy": "compact" });
  });

  it("lets only the current leader change the ISR, once per partition epoch, and only to its replicas", async () => {
    const s = open();
    await s.createTopics([{ name: "isr", topicId: "isr-id", configs: {}, assignment: [[21, 22, 23]] }]);
    const by = { leader: 21, leaderEpoch: 0, expectedPartitionEpoch: 0 };
    const shrinks = await Promise.all([[21, 22], [21, 23], [21]].map((isr) => open().alterIsr("isr", 0, by, isr)));
    expect(shrinks.filter(Boolean)).toHaveLength(1);
    const [p] = (await s.topics()).find((t) => t.name === "isr")!.partitions;
    expect(p.partitionEpoch).toBe(1);
    // A stale leader epoch, a non-leader, a stale partition epoch and a non-replica are all refused.
    expect(await s.alterIsr("isr", 0, { ...by, leaderEpoch: 1, expectedPartitionEpoch: 1 }, [21, 22, 23])).toBe(false);
    expect(await s.alterIsr("isr", 0, { leader: 22, leaderEpoch: 0, expectedPartitionEpoch: 1 }, [22])).toBe(false);
    expect(await s.alterIsr("isr", 0, by, [21, 22, 23])).toBe(false);
    expect(await s.alterIsr("isr", 0, { ...by, expectedPartitionEpoch: 1 }, [21, 99])).toBe(false);
    await expect(s.alterIsr("isr", 0, { ...by, expectedPartitionEpoch: 1 }, [22])).rejects.toThrow(/must include its leader 21/);
    expect(await s.alterIsr("isr", 0, { ...by, expectedPartitionEpoch: 1 }, [21, 22, 23])).toBe(true);
    const [expanded] = (await s.topics()).find((t) => t.name === "isr")!.partitions;
    expect(expanded).toMatchObject({ isr: [21, 22, 23], partitionEpoch: 2, leaderEpoch: 0 });
  });
});
