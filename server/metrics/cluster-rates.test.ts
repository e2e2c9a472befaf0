import { afterEach, describe, expect, it } from "vitest";
import { metricRollups } from "../../db/schema";
import { databaseFor } from "../../db/test-suite";
import { testDatabases } from "../../db/testing";
import { ClusterConnections, EMBEDDED_CLUSTER } from "../admin/clusters";
import { startTestBroker } from "../broker/compat/harness";
import { SAMPLED } from "./cluster-rates";
import { LagSampler } from "./lag";
import { metrics, type Counter } from "./registry";
import { readHistory } from "./rollups";

const cleanups: (() => Promise<void>)[] = [];
const opened = databaseFor(testDatabases()[0]);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A broker with topics, the console's connections to it, and a sampler whose pass is only run by the test. */
async function sampled(topics: { topic: string; partitions: number }[], capacity?: number) {
  const t = await startTestBroker({});
  cleanups.push(() => t.stop());
  const clusters = new ClusterConnections(opened.database.db, t.bootstrap, t.broker.internalCredential);
  cleanups.push(() => clusters.close());
  const client = await clusters.client(EMBEDDED_CLUSTER);
  await client.admin.createTopics(topics.map((x) => ({ name: x.topic, numPartitions: x.partitions, replicationFactor: 1 })));
  const produce = async (topic: string, perPartition: number, partitions: number) => {
    const p = client.producer();
    await p.send(Array.from({ length: partitions * perPartition }, (_, i) => ({ topic, partition: i % partitions, value: Buffer.from(`r${i}`) })));
    await p.close();
  };
  return { t, client, produce, lag: new LagSampler(clusters, 10_000, capacity) };
}

const listOffsetsServed = (): number => (metrics.list("tributary_broker_requests_total").find((m) => m.labels.api === "ListOffsets") as Counter | undefined)?.value ?? 0;

describe("cluster rates", () => {
  it("measures records in from log ends and out from committed offsets, with one ListOffsets per broker for each of start and end", async () => {
    const { client, produce, lag } = await sampled([
      { topic: "orders", partitions: 8 },
      { topic: "quiet", partitions: 1 },
    ]);
    await produce("orders", 5, 8);
    await lag.sample(EMBEDDED_CLUSTER, 100_000);
    // The first pass only sets the base.
    expect(lag.rates.live(EMBEDDED_CLUSTER, undefined, 0)).toEqual([]);

    await produce("orders", 25, 8);
    // A consumer group acknowledges 30 of the 40 records on two partitions, and nothing on the others yet.
    await client.admin.commitOffsets("billing", [
      { topic: "orders", partition: 0, offset: 20 },
      { topic: "orders", partition: 1, offset: 10 },
    ]);
    const before = listOffsetsServed();
    await lag.sample(EMBEDDED_CLUSTER, 110_000);
    // Nine partitions on one broker: one request for the log starts and one for the log ends.
    expect(listOffsetsServed() - before).toBe(2);
    expect(lag.rates.brokers(EMBEDDED_CLUSTER)).toBe(1);
    expect(lag.rates.live(EMBEDDED_CLUSTER, undefined, 0)).toEqual([{ t: 110_000, recordsIn: 20, recordsOut: 0 }]);

    await client.admin.commitOffsets("billing", [
      { topic: "orders", partition: 0, offset: 30 },
      { topic: "orders", partition: 1, offset: 30 },
    ]);
    await lag.sample(EMBEDDED_CLUSTER, 115_000);
    // 30 more records acknowledged over 5 s; none produced.
    expect(lag.rates.live(EMBEDDED_CLUSTER, "orders", 0)).toEqual([
      { t: 110_000, recordsIn: 20, recordsOut: 0 },
      { t: 115_000, recordsIn: 0, recordsOut: 6 },
    ]);
    expect(lag.rates.live(EMBEDDED_CLUSTER, "quiet", 0).map((p) => p.recordsIn)).toEqual([0, 0]);
    // A reset backwards is not negative traffic.
    await client.admin.commitOffsets("billing", [{ topic: "orders", partition: 0, offset: 0 }]);
    await lag.sample(EMBEDDED_CLUSTER, 120_000);
    expect(lag.rates.live(EMBEDDED_CLUSTER, "orders", 116_000)).toEqual([{ t: 120_000, recordsIn: 0, recordsOut: 0 }]);
    expect(lag.rates.topics(EMBEDDED_CLUSTER, 0).find((x) => x.topic === "orders")).toEqual({ topic: "orders", recordsIn: 20 / 3, recordsOut: 2 });
    // Internal topics (the commits' own log) are not traffic.
    expect(lag.rates.topics(EMBEDDED_CLUSTER, 0).map((x) => x.topic).sort()).toEqual(["orders", "quiet"]);
  });

  it("keeps a bounded ring per series", async () => {
    const { produce, lag } = await sampled([{ topic: "t", partitions: 1 }], 3);
    for (let i = 0; i < 6; i++) {
      await produce("t", i, 1);
      await lag.sample(EMBEDDED_CLUSTER, 10_000 * (i + 1));
    }
    // Five rates measured, the last three kept: 3, 4 and 5 records over 10 s each.
    expect(lag.rates.live(EMBEDDED_CLUSTER, "t", 0)).toEqual([
      { t: 40_000, recordsIn: 0.3, recordsOut: 0 },
      { t: 50_000, recordsIn: 0.4, recordsOut: 0 },
      { t: 60_000, recordsIn: 0.5, recordsOut: 0 },
    ]);
    expect(lag.rates.live(EMBEDDED_CLUSTER, undefined, 0)).toHaveLength(3);
  });

  it("skips a pass while the previous one is still running", async () => {
    const { produce, lag } = await sampled([{ topic: "t", partitions: 1 }]);
    await lag.sample(EMBEDDED_CLUSTER, 1000);
    await produce("t", 10, 1);
    const before = listOffsetsServed();
    await Promise.all([lag.sampleAll(11_000), lag.sampleAll(12_000)]);
    expect(lag.rates.live(EMBEDDED_CLUSTER, undefined, 0)).toEqual([{ t: 11_000, recordsIn: 1, recordsOut: 0 }]);
    expect(listOffsetsServed() - before).toBe(2);
  });

  it("rolls each finished minute into the metric rollups under the cluster's name", async () => {
    const { produce, lag } = await sampled([
      { topic: "busy", partitions: 2 },
      { topic: "idle", partitions: 1 },
    ]);
    lag.persistTo(opened.database.db);
    const m = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    await lag.sample(EMBEDDED_CLUSTER, m + 1000);
    await produce("busy", 50, 2);
    await lag.sample(EMBEDDED_CLUSTER, m + 11_000);
    await produce("busy", 150, 2);
    await lag.sample(EMBEDDED_CLUSTER, m + 21_000);
    // Not written before the minute is over.
    expect(await opened.database.db.select().from(metricRollups)).toEqual([]);
    await lag.sample(EMBEDDED_CLUSTER, m + 61_000);

    const rows = await opened.database.db.select().from(metricRollups);
    expect(rows.filter((r) => r.metric === SAMPLED.recordsIn).map((r) => [r.cluster, r.labels, r.minute.getTime(), r.avg, r.max]).sort()).toEqual([
      ["embedded", "", m, 20, 30],
      ["embedded", "topic=busy", m, 20, 30],
    ]);
    // The idle topic's minute is not stored; its out is all zeros, so only the total's row is.
    expect(rows.filter((r) => r.metric === SAMPLED.recordsOut).map((r) => [r.labels, r.avg])).toEqual([["", 0]]);
    const hour = await readHistory(opened.database.db, EMBEDDED_CLUSTER, SAMPLED.recordsIn, "topic=busy", "1h", m + 5 * 60_000);
    expect(hour).toEqual([{ t: m, v: 20, max: 30 }]);
    expect(await readHistory(opened.database.db, "another", SAMPLED.recordsIn, "topic=busy", "1h", m + 5 * 60_000)).toEqual([]);
  });
});
