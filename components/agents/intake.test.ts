import { describe, expect, it } from "vitest";
import { advanceIntake, NO_INTAKE, type AgentReport } from "./intake";

const report = (at: number, accepted: number): AgentReport[] => [
  { id: 1, lastHeartbeatAt: new Date(at).toISOString(), metrics: { web: { "SOURCE.r1": { EventAcceptedCount: accepted }, "SINK.k1": { EventAcceptedCount: 999 } } } },
];

describe("agent intake", () => {
  it("rates sources' accepted events between heartbeats, and keeps the rate while no new heartbeat arrives", () => {
    const first = advanceIntake(NO_INTAKE, report(10_000, 100));
    expect(first.rates.has(1)).toBe(false);
    const second = advanceIntake(first, report(12_000, 300));
    expect(second.rates.get(1)).toBe(100);
    const again = advanceIntake(second, report(12_000, 300));
    expect(again.rates.get(1)).toBe(100);
    expect(advanceIntake(again, report(13_000, 50)).rates.get(1)).toBe(0);
  });
});
