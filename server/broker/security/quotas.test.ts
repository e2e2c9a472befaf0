import { describe, expect, it } from "vitest";
import { QuotaManager, resolveQuota, SampledRate, type QuotaEntry } from "./quotas";

describe("quota precedence", () => {
  const entries: QuotaEntry[] = [
    { entity: { clientId: null }, values: { producer_byte_rate: 8 } },
    { entity: { clientId: "app" }, values: { producer_byte_rate: 7 } },
    { entity: { user: null }, values: { producer_byte_rate: 6 } },
    { entity: { user: "alice" }, values: { producer_byte_rate: 3, consumer_byte_rate: 30 } },
    { entity: { user: "alice", clientId: "app" }, values: { producer_byte_rate: 1 } },
  ];

  it("picks the most specific entity per quota key, as Kafka does", () => {
    expect(resolveQuota(entries, "producer_byte_rate", "alice", "app")?.limit).toBe(1);
    expect(resolveQuota(entries, "consumer_byte_rate", "alice", "app")?.limit).toBe(30);
    expect(resolveQuota(entries, "producer_byte_rate", "alice", "other")?.limit).toBe(3);
    expect(resolveQuota(entries, "producer_byte_rate", "bob", "app")?.limit).toBe(6);
    expect(resolveQuota(entries.slice(0, 2), "producer_byte_rate", "bob", "app")?.limit).toBe(7);
    expect(resolveQuota(entries.slice(0, 2), "producer_byte_rate", "bob", "x")?.limit).toBe(8);
    expect(resolveQuota(entries, "request_percentage", "bob", "x")).toBeUndefined();
  });

  it("shares a named entity's quota among its clients and gives each a default's own", () => {
    expect(resolveQuota(entries, "producer_byte_rate", "alice", "a")?.shareKey).toBe(resolveQuota(entries, "producer_byte_rate", "alice", "b")?.shareKey);
    expect(resolveQuota(entries, "producer_byte_rate", "bob", "a")?.shareKey).not.toBe(resolveQuota(entries, "producer_byte_rate", "carol", "a")?.shareKey);
  });
});

describe("SampledRate", () => {
  it("counts a starting client over ten windows and throttles by how far it is over", () => {
    const r = new SampledRate();
    r.record(5_000, 0);
    expect(r.rate(0)).toBe(500); // 5000 bytes over the minimum 10 s
    expect(r.throttleMs(1000, 0)).toBe(0);
    r.record(15_000, 500);
    expect(r.rate(500)).toBe(2000);
    // 2000/s against 1000/s over 10 s: 10 s without sending brings it back.
    expect(r.throttleMs(1000, 500)).toBe(10_000);
  });

  it("forgets samples older than the window", () => {
    const r = new SampledRate();
    r.record(100_000, 0);
    expect(r.rate(13_000)).toBe(0);
  });

  it("keeps a steady sender at its limit", () => {
    const m = new QuotaManager(() => [{ entity: { user: "p" }, values: { producer_byte_rate: 1000 } }]);
    let now = 0;
    let sent = 0;
    // A client that sends 100 bytes whenever it is not throttled, every 10 ms, for 60 s.
    let until = 0;
    for (; now < 60_000; now += 10) {
      if (now < until) continue;
      const t = m.record("producer_byte_rate", "p", "c", 100, now);
      sent += 100;
      until = now + t;
    }
    const perSecond = sent / 60;
    expect(perSecond).toBeGreaterThan(900);
    expect(perSecond).toBeLessThan(1300); // the first burst of ten windows is allowed
  });
});
