import { describe, expect, it } from "vitest";
import { random, schedule, type ScheduleOptions } from "./faults";

const options: ScheduleOptions = { seed: 7, durationMs: 120_000, nodeIds: [1, 2, 3], sessionTimeoutMs: 2_000, meanGapMs: 2_000 };

describe("the chaos fault schedule", () => {
  it("replays exactly from its seed, and differs for another seed", () => {
    expect(schedule(options)).toEqual(schedule(options));
    expect(schedule({ ...options, seed: 8 })).not.toEqual(schedule(options));
    const a = random(1);
    const b = random(1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it("draws every kind of fault on every broker, each over before the run ends", () => {
    const faults = schedule(options);
    expect(faults.length).toBeGreaterThanOrEqual(20);
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(["kill", "pause", "terminate"]));
    expect(new Set(faults.map((f) => f.nodeId))).toEqual(new Set([1, 2, 3]));
    for (const f of faults) expect(f.atMs + f.downMs).toBeLessThanOrEqual(options.durationMs);
  });

  it("pauses a broker past its lease", () => {
    for (const f of schedule(options).filter((f) => f.kind === "pause")) expect(f.downMs).toBeGreaterThan(options.sessionTimeoutMs);
  });

  it("has one broker down at a time, however close the faults come", () => {
    const faults = schedule({ ...options, meanGapMs: 500 });
    for (const f of faults) expect(faults.filter((g) => g.atMs <= f.atMs && g.atMs + g.downMs > f.atMs)).toEqual([f]);
  });
});
