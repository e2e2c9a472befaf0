import { describe, expect, it } from "vitest";
import { metricRollups } from "@/db/schema";
import { databaseFor } from "@/db/test-suite";
import { testDatabases } from "@/db/testing";
import { EMBEDDED_CLUSTER } from "../admin/clusters";
import { MetricsRegistry } from "./registry";
import { historyByLabels, MetricRollups, readHistory } from "./rollups";
import { SeriesSampler } from "./series";

const MIN = 60_000;

for (const target of testDatabases()) {
  describe(`metric rollups on ${target.name}`, () => {
    const opened = databaseFor(target);

    it("folds each finished minute into one row per series plus the family total, and buckets them per range", async () => {
      const registry = new MetricsRegistry();
      const a = registry.counter("tributary_broker_records_in_total", "", { topic: "a" });
      const b = registry.counter("tributary_broker_records_in_total", "", { topic: "b" });
      const sampler = new SeriesSampler(registry);
      const start = Math.floor(Date.now() / MIN) * MIN - 12 * MIN;
      // Eleven minutes at 1 s: topic a at 10/s, topic b at 2/s, with one burst second of 100/s for a in minute 3.
      sampler.sample(start);
      for (let s = 1; s < 11 * 60; s++) {
        a.inc(s === 3 * 60 + 5 ? 100 : 10);
        b.inc(2);
        sampler.sample(start + s * 1000);
      }
      const rollups = new MetricRollups(opened.database.db, sampler, start);
      const written = await rollups.tick(start + 11 * MIN + 1);
      // 11 minutes × (a, b, total); the very first sample is the counters' baseline (0).
      expect(written).toBe(33);
      expect(await rollups.tick(start + 11 * MIN + 2)).toBe(0);

      const hour = await readHistory(opened.database.db, EMBEDDED_CLUSTER, "tributary_broker_records_in_total", "topic=a", "1h", start + 12 * MIN);
      expect(hour).toHaveLength(11);
      expect(hour[3]).toEqual({ t: start + 3 * MIN, v: (59 * 10 + 100) / 60, max: 100 });
      expect(hour[5]).toEqual({ t: start + 5 * MIN, v: 10, max: 10 });
      const total = await readHistory(opened.database.db, EMBEDDED_CLUSTER, "tributary_broker_records_in_total", "", "1h", start + 12 * MIN);
      expect(total[5].v).toBe(12);

      // A day in 10-minute buckets: the 11 minutes fall into one or two buckets whose average stays near 12/s.
      const day = await readHistory(opened.database.db, EMBEDDED_CLUSTER, "tributary_broker_records_in_total", "", "24h", start + 12 * MIN);
      expect(day.length).toBeGreaterThanOrEqual(1);
      expect(day.length).toBeLessThanOrEqual(2);
      for (const p of day) expect(p.t % (600 * 1000)).toBe(0);

      const byTopic = await historyByLabels(opened.database.db, EMBEDDED_CLUSTER, "tributary_broker_records_in_total", "7d", start + 12 * MIN);
      expect([...byTopic.keys()].sort()).toEqual(["topic=a", "topic=b"]);
      expect(byTopic.get("topic=b")).toBeCloseTo(2, 1);
    });

    it("stores no rows for an idle member's minutes and reads them back as 0", async () => {
      const registry = new MetricsRegistry();
      const busy = registry.counter("tributary_broker_bytes_out_total", "", { topic: "busy" });
      registry.counter("tributary_broker_bytes_out_total", "", { topic: "idle" });
      const sampler = new SeriesSampler(registry);
      const start = Math.floor(Date.now() / MIN) * MIN - 5 * MIN;
      sampler.sample(start);
      // busy sends 60 bytes/s in minutes 0 and 2 only.
      for (let s = 1; s < 4 * 60; s++) {
        if (s < 60 || (s >= 120 && s < 180)) busy.inc(60);
        sampler.sample(start + s * 1000);
      }
      await new MetricRollups(opened.database.db, sampler, start - MIN).tick(start + 4 * MIN + 1);
      const rows = await opened.database.db.select().from(metricRollups);
      const mine = rows.filter((r) => r.metric === "tributary_broker_bytes_out_total");
      expect(mine.filter((r) => r.labels === "topic=idle")).toEqual([]);
      expect(mine.filter((r) => r.labels === "topic=busy")).toHaveLength(2);
      expect(mine.filter((r) => r.labels === "")).toHaveLength(4);

      const busySeries = await readHistory(opened.database.db, EMBEDDED_CLUSTER, "tributary_broker_bytes_out_total", "topic=busy", "1h", start + 5 * MIN);
      expect(busySeries.map((p) => [p.t - start, Math.round(p.v)])).toEqual([
        [0, 59],
        [MIN, 0],
        [2 * MIN, 60],
      ]);
      const top = await historyByLabels(opened.database.db, EMBEDDED_CLUSTER, "tributary_broker_bytes_out_total", "1h", start + 5 * MIN);
      // (59 + 60) per-minute averages over the 4 recorded minutes.
      expect(top.get("topic=busy")).toBeCloseTo((59 + 60) / 4, 5);
      expect(top.has("topic=idle")).toBe(false);
    });

    it("drops rows older than the longest range", async () => {
      const old = new Date(Date.now() - 9 * 86_400_000);
      await opened.database.db.insert(metricRollups).values({ metric: "tributary_broker_connections", labels: "", minute: old, avg: 1, max: 1 });
      const rollups = new MetricRollups(opened.database.db, new SeriesSampler(new MetricsRegistry()));
      await rollups.tick();
      const left = await opened.database.db.select().from(metricRollups);
      expect(left.some((r) => r.minute.getTime() === old.getTime())).toBe(false);
      expect(left.length).toBeGreaterThan(0);
    });
  });
}
