import { describe, expect, it } from "vitest";
import { summarize } from "../lib/stats";
import { boundBy, evaluateTargets, type SystemResult } from "./report";

function system(id: string, produce: number, consume: number, p99: number, cpu?: { client: number; server: number }): SystemResult {
  const s = (v: number) => summarize([v * 0.9, v, v * 1.1]);
  return {
    id,
    name: id.toUpperCase(),
    client: "c",
    server: "s",
    durability: "d",
    settings: "x",
    failures: [],
    produceRecords: s(produce),
    produceMB: s((produce * 100) / 1e6),
    consumeRecords: s(consume),
    consumeMB: s((consume * 100) / 1e6),
    p50: s(p99 / 4),
    p99: s(p99),
    latencyAchievedRate: s(50_000),
    produceClientCpu: cpu ? summarize([cpu.client]) : null,
    produceServerCpu: cpu ? summarize([cpu.server]) : null,
    consumeClientCpu: null,
    consumeServerCpu: null,
  };
}

describe("evaluateTargets", () => {
  it("compares Tributary's medians with each peer's and marks pass or miss", () => {
    const rows = evaluateTargets([
      system("tributary", 300_000, 900_000, 10),
      system("nats", 100_000, 200_000, 20),
      system("redis", 250_000, 400_000, 5),
    ]);
    const byTarget = Object.fromEntries(rows.map((r) => [r.target, r]));
    expect(byTarget["produce records/s vs NATS"]).toMatchObject({ ratio: 3, verdict: "pass" });
    expect(byTarget["produce records/s vs REDIS"]).toMatchObject({ ratio: 1.2, verdict: "miss" });
    expect(byTarget["consume records/s vs NATS"]).toMatchObject({ ratio: 4.5, verdict: "pass" });
    expect(byTarget["consume records/s vs REDIS"]).toMatchObject({ ratio: 2.25, verdict: "miss" });
    expect(byTarget["p99 latency at the paced rate vs NATS"]).toMatchObject({ ratio: 0.5, verdict: "pass" });
    expect(byTarget["p99 latency at the paced rate vs REDIS"]).toMatchObject({ ratio: 2, verdict: "miss" });
  });

  it("says 'not measured' when Tributary or the peer was skipped", () => {
    const skipped = { ...system("tributary", 1, 1, 1), skipped: "broker not ready" };
    const rows = evaluateTargets([skipped, system("nats", 100_000, 200_000, 20)]);
    expect(rows.every((r) => r.verdict === "not measured" && r.ratio === null)).toBe(true);
    expect(rows[0].peer).toBe(100_000);
  });
});

describe("boundBy", () => {
  it("names the side that saturated a core, or the whole machine", () => {
    expect(boundBy(system("a", 1, 1, 1, { client: 0.95, server: 0.3 }), 2)).toMatch(/^client;/);
    expect(boundBy(system("a", 1, 1, 1, { client: 0.3, server: 1.1 }), 2)).toMatch(/^server;/);
    expect(boundBy(system("a", 1, 1, 1, { client: 0.9, server: 0.9 }), 2)).toMatch(/^machine/);
    expect(boundBy(system("a", 1, 1, 1, { client: 0.4, server: 0.3 }), 2)).toMatch(/^neither/);
  });
});
