import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "./registry";
import { SeriesSampler } from "./series";

describe("per-second series", () => {
  it("sums a topic over its partitions and leaves other topics out", () => {
    const registry = new MetricsRegistry();
    const p0 = registry.counter("records_in_total", "records", { topic: "orders", partition: "0" });
    const p1 = registry.counter("records_in_total", "records", { topic: "orders", partition: "1" });
    const other = registry.counter("records_in_total", "records", { topic: "clicks", partition: "0" });
    const sampler = new SeriesSampler(registry);
    sampler.sample(1000);
    p0.inc(30);
    p1.inc(12);
    other.inc(500);
    sampler.sample(2000);
    p0.inc(5);
    sampler.sample(3000);
    expect(sampler.sum("records_in_total", { topic: "orders" }).filter((p) => p.t >= 2000)).toEqual([
      { t: 2000, v: 42 },
      { t: 3000, v: 5 },
    ]);
    expect(sampler.sum("records_in_total", { topic: "none" })).toEqual([]);
  });
});
