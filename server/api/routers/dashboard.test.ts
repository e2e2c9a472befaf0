import type { Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLOT_LAG_METRIC } from "../../agents/sources/postgres-cdc/logical";
import { clusters } from "../../../db/schema";
import { eventually, startTestBroker } from "../../broker/compat/harness";
import { LagSampler } from "../../metrics/lag";
import { metrics } from "../../metrics/registry";
import { MetricRollups } from "../../metrics/rollups";
import { SeriesSampler } from "../../metrics/series";
import { startRouterEnv } from "../testing";

/**
 * The dashboard router over a real broker: the broker's per-topic counters are sampled into
 * per-second rings, rolled up into PGlite by the minute, and read back per range.
 */
describe("dashboard router", () => {
  let env: Awaited<ReturnType<typeof startRouterEnv>>;
  let kafka: Kafka;
  let producer: Producer;
  let sampler: SeriesSampler;
  // A whole minute in the past, so the rollup of that minute is final.
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;

  beforeAll(async () => {
    env = await startRouterEnv();
    sampler = new SeriesSampler(metrics);
    env.services.sampler = sampler;
    kafka = env.broker.kafka("dashboard-test");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "clicks", numPartitions: 1 }, { topic: "views", numPartitions: 1 }, { topic: "scanned", numPartitions: 2 }] });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    sampler.sample(minute + 1000);
    await producer.send({ topic: "clicks", messages: Array.from({ length: 100 }, (_, i) => ({ value: `click-${i}` })) });
    await producer.send({ topic: "views", messages: Array.from({ length: 10 }, (_, i) => ({ value: `view-${i}` })) });
    sampler.sample(minute + 2000);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await env?.stop();
  });

  it("shows the live per-second rates overall and per topic, and the top topics", async () => {
    const live = await env.viewer().dashboard.throughput({ range: "15m" });
    expect(live.available).toBe(true);
    expect(live.available && live.scope).toBeNull();
    expect(live.stepMs).toBe(1000);
    const last = live.points.find((p) => p.t === minute + 2000)!;
    expect(last.recordsIn).toBe(110);
    expect(last.bytesIn).toBeGreaterThan(110 * 7);
    const clicks = await env.viewer().dashboard.throughput({ range: "15m", topic: "clicks" });
    expect(clicks.points.find((p) => p.t === minute + 2000)!.recordsIn).toBe(100);
    // The top-topics table averages the last minute of the rings.
    sampler.sample(Date.now());
    const top = (await env.viewer().dashboard.throughput({ range: "15m" })).topics;
    expect(top.map((t) => t.topic).slice(0, 2)).toEqual(["clicks", "views"]);
  });

  it("rolls finished minutes into Postgres and reads them back per range", async () => {
    const rollups = new MetricRollups(env.database.db, sampler, minute - 60_000);
    const written = await rollups.tick(minute + 60_000 + 1);
    expect(written).toBeGreaterThan(0);
    // A second pass over the same minute changes nothing (upsert), and writes no new minute.
    expect(await rollups.tick(minute + 60_000 + 2)).toBe(0);

    const hour = await env.viewer().dashboard.throughput({ range: "1h" });
    expect(hour.stepMs).toBe(60_000);
    const p = hour.points.find((x) => x.t === minute)!;
    // The topics' counters appeared between the two samples, so their first second counts in full.
    expect(p.recordsIn).toBe(110);
    const clicks = await env.viewer().dashboard.throughput({ range: "7d", topic: "clicks" });
    expect(clicks.stepMs).toBe(3_600_000);
    expect(clicks.points).toHaveLength(1);
    expect(clicks.points[0].recordsIn).toBe(100);
    expect(hour.topics.map((t) => t.topic)).toEqual(["clicks", "views"]);
  });

  it("counts the console's own scans as console reads, apart from what consumers read", async () => {
    await producer.send({ topic: "scanned", messages: Array.from({ length: 40 }, (_, i) => ({ value: `{"n":${i}}` })) });
    const c = kafka.consumer({ groupId: "scanned-readers", maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topic: "scanned", fromBeginning: true });
    let seen = 0;
    await c.run({ eachMessage: () => Promise.resolve(void seen++) });
    await eventually(() => seen >= 40, 20_000, "40 records read by the consumer");
    await c.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups(["scanned-readers"]);
    await admin.disconnect();
    const t0 = Date.now();
    sampler.sample(t0);
    // A JSONata search reads the whole topic twice over: all console reads, none of it consumer traffic.
    for (let i = 0; i < 2; i++) {
      for await (const x of await env.viewer().messages.browse({ cluster: "embedded", topic: "scanned", start: { kind: "earliest" }, limit: 10, filters: { jsonata: "n > 1000" } })) void x;
    }
    sampler.sample(t0 + 1000);
    const live = await env.viewer().dashboard.throughput({ range: "15m", topic: "scanned" });
    const second = live.points.find((p) => p.t === t0 + 1000)!;
    expect(second).toMatchObject({ consoleRecords: 80, recordsOut: 0 });
    expect(second.consoleBytes).toBeGreaterThan(80 * 7);
    expect(second.bytesOut).toBe(0);
    // The consumer's earlier reads stay "out".
    expect(live.points.reduce((n, p) => n + p.recordsOut, 0)).toBeGreaterThanOrEqual(40);
    // The range runs up to now whatever the last sample.
    expect(live.to - live.from).toBe(15 * 60_000);
    expect(live.to).toBeGreaterThanOrEqual(t0);
  });

  it("shows disk per topic, connections, and total lag with the most lagging groups", async () => {
    const c = kafka.consumer({ groupId: "readers", maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topic: "clicks", fromBeginning: true });
    let seen = 0;
    await c.run({ autoCommitInterval: 50, eachMessage: () => Promise.resolve(void seen++) });
    await eventually(() => seen >= 100, 20_000, "100 clicks read");
    await eventually(async () => ((await env.viewer().groups.get({ groupId: "readers" })).lag === 0 ? true : undefined));
    await c.disconnect();
    await producer.send({ topic: "clicks", messages: Array.from({ length: 7 }, (_, i) => ({ value: `late-${i}` })) });

    env.services.lag = new LagSampler(env.clusters, 60_000);
    await env.services.lag.sample("embedded");
    sampler.sample(Date.now());
    const o = await env.viewer().dashboard.overview({});
    expect(o.lag).toMatchObject({ total: 7, groups: 1, error: null });
    expect(o.lag.top).toEqual([{ groupId: "readers", lag: 7, state: "Empty", members: 0 }]);
    expect(o.lag.series.at(-1)?.v).toBe(7);
    expect(o.disk!.map((d) => d.topic)).toEqual(expect.arrayContaining(["clicks", "views"]));
    expect(o.disk![0].topic).toBe("clicks");
    expect(o.disk![0].bytes).toBeGreaterThan(o.disk!.find((d) => d.topic === "views")!.bytes);
    expect(o.connections!.current).toBeGreaterThanOrEqual(1);
    expect(o.connections!.series.at(-1)!.v).toBeGreaterThanOrEqual(1);
  });

  it("lists CDC replication slots with the WAL they hold and flags a stale one", async () => {
    const held = { orders: 5 << 20, gone: 3 * 2 ** 30 };
    metrics.gauge(SLOT_LAG_METRIC, "slot lag", { source: "orders_cdc", slot: "orders" }, () => held.orders);
    metrics.gauge(SLOT_LAG_METRIC, "slot lag", { source: "old_cdc", slot: "gone" }, () => held.gone);
    try {
      sampler.sample(Date.now());
      const o = await env.viewer().dashboard.overview({});
      const bySlot = Object.fromEntries(o.cdcSlots.map((c) => [c.slot, c]));
      expect(bySlot.orders).toMatchObject({ source: "orders_cdc", lagBytes: 5 << 20, stale: false });
      expect(bySlot.gone).toMatchObject({ source: "old_cdc", lagBytes: 3 * 2 ** 30, stale: true });
    } finally {
      metrics.remove(SLOT_LAG_METRIC, { slot: "orders" });
      metrics.remove(SLOT_LAG_METRIC, { slot: "gone" });
    }
  });

  it("reports agents' event rates from their Flume counters", async () => {
    let accepted = 0;
    metrics.gauge("agent_EventAcceptedCount", "test", { agent: "embedded", flow: "web", component: "r1", kind: "source" }, () => accepted);
    const now = Date.now();
    sampler.sample(now - 2000);
    accepted = 500;
    sampler.sample(now - 1000);
    const o = await env.viewer().dashboard.overview({});
    expect(o.agents).toEqual([{ agent: "embedded", flow: "web", component: "r1", kind: "source", rate: 500 }]);
  });

  it("charts a cluster added on the Clusters page from the console's samples of it", async () => {
    const other = await startTestBroker({});
    try {
      await env.database.db.insert(clusters).values({ name: "remote", bootstrapServers: other.bootstrap, tls: false });
      const withoutSampler = env.services.lag;
      env.services.lag = undefined;
      const unsampled = await env.viewer().dashboard.throughput({ cluster: "remote" });
      expect(unsampled).toMatchObject({ available: false, points: [] });
      expect(unsampled.reason).toMatch(/does not sample other clusters/);
      env.services.lag = withoutSampler;

      const lag = new LagSampler(env.clusters, 10_000);
      lag.persistTo(env.database.db);
      env.services.lag = lag;
      const remote = other.kafka("dashboard-remote");
      const admin = remote.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "payments", numPartitions: 3 }] });
      await admin.disconnect();
      const m = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
      const p = remote.producer();
      await p.connect();
      const c = remote.consumer({ groupId: "ledger", maxWaitTimeInMs: 100 });
      await c.connect();
      await c.subscribe({ topic: "payments", fromBeginning: true });
      let seen = 0;
      await c.run({ autoCommitInterval: 50, eachMessage: () => Promise.resolve(void seen++) });
      const caughtUp = () => eventually(async () => ((await env.viewer().groups.get({ cluster: "remote", groupId: "ledger" })).lag === 0 ? true : undefined), 20_000, "the ledger group caught up");
      const produce = (n: number) => p.send({ topic: "payments", messages: Array.from({ length: n }, (_, i) => ({ value: `payment-${i}` })) });

      // The group has its partitions before the first sample, so it is in the base.
      await eventually(async () => ((await env.viewer().groups.get({ cluster: "remote", groupId: "ledger" })).partitions === 3 ? true : undefined), 20_000, "the ledger group assigned");
      await lag.sample("remote", m + 1000);
      await produce(300);
      await caughtUp();
      await lag.sample("remote", m + 11_000);
      await produce(200);
      await caughtUp();
      await lag.sample("remote", m + 21_000);
      await c.disconnect();
      await p.disconnect();
      expect(seen).toBe(500);

      const live = await env.viewer().dashboard.throughput({ cluster: "remote", range: "15m" });
      expect(live).toMatchObject({ available: true, sampledEveryMs: 10_000, stepMs: 10_000 });
      expect(live.available && live.scope).toMatch(/Sampled by the console every 10 s/);
      // What the group commits in an interval is what it read there; its partitions stood at their log start before its first commit.
      expect(live.points).toEqual([
        { t: m + 11_000, recordsIn: 30, recordsOut: 30, bytesIn: 0, bytesOut: 0, consoleRecords: 0, consoleBytes: 0 },
        { t: m + 21_000, recordsIn: 20, recordsOut: 20, bytesIn: 0, bytesOut: 0, consoleRecords: 0, consoleBytes: 0 },
      ]);
      const topic = await env.viewer().dashboard.throughput({ cluster: "remote", range: "15m", topic: "payments" });
      expect(topic.points.map((x) => x.recordsIn)).toEqual([30, 20]);
      // The embedded broker's charts are its own counters still.
      expect(await env.viewer().dashboard.throughput({ range: "15m" })).toMatchObject({ available: true, sampledEveryMs: null, stepMs: 1000 });

      // The finished minute is in the rollups, under this cluster only.
      await lag.sample("remote", m + 61_000);
      const hour = await env.viewer().dashboard.throughput({ cluster: "remote", range: "1h" });
      // The minute's average of its two samples.
      expect(hour.points).toEqual([expect.objectContaining({ t: m, recordsIn: 25, recordsOut: 25, bytesIn: 0 })]);
      expect(hour.topics).toEqual([expect.objectContaining({ topic: "payments", recordsIn: 25, recordsOut: 25 })]);
      const embeddedHour = await env.viewer().dashboard.throughput({ range: "1h" });
      expect(embeddedHour.points.some((x) => x.t === m)).toBe(false);
    } finally {
      await other.stop();
    }
  });
});
