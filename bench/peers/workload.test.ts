import { describe, expect, it } from "vitest";
import { LatencyCollector, type Workload } from "./workload";

describe("LatencyCollector.pacedRun", () => {
  it("sends every record the workload schedules, flushes the producer, and measures what arrived after the warm-up", async () => {
    const w: Workload = { records: 0, latencyRate: 2_000, latencyMs: 250, warmupMs: 50 };
    const collector = new LatencyCollector(w);
    let sent = 0;
    let finished = false;
    // A loopback producer: each value arrives the moment it is sent.
    const result = await collector.pacedRun(
      {
        send: (values) => {
          sent += values.length;
          for (const v of values) collector.onValue(v);
          return Promise.resolve();
        },
        finish: () => {
          finished = true;
          return Promise.resolve();
        },
      },
      10_000,
    );
    expect(collector.total).toBe(500);
    expect(sent).toBe(500);
    expect(finished).toBe(true);
    expect(result.achievedRate).toBeGreaterThan(0);
  });

  it("fails naming how many records arrived when some never do", async () => {
    const collector = new LatencyCollector({ records: 0, latencyRate: 1_000, latencyMs: 20, warmupMs: 0 });
    await expect(collector.pacedRun({ send: () => Promise.resolve(), finish: () => Promise.resolve() }, 200)).rejects.toThrow(/only 0 of 20 records arrived within 200 ms/);
  });
});
