import { describe, expect, it } from "vitest";
import { formatOffsetsCsv, parseDuration, parseOffsetsCsv, planReset, ResetError, strategyTimestamp, type PartitionState } from "./offset-reset";

const parts: PartitionState[] = [
  { topic: "orders", partition: 1, earliest: 100, latest: 500, committed: 400, atTimestamp: 250 },
  { topic: "orders", partition: 0, earliest: 0, latest: 1000, committed: 1000, atTimestamp: 600 },
  { topic: "audit", partition: 0, earliest: 10, latest: 20 },
];

describe("offset reset planning", () => {
  it("to-earliest counts the records re-read, sorted by topic and partition", () => {
    const plan = planReset({ kind: "to-earliest" }, parts);
    expect(plan.partitions).toEqual([
      { topic: "audit", partition: 0, current: null, next: 10, reread: 0, skipped: 0 },
      { topic: "orders", partition: 0, current: 1000, next: 0, reread: 1000, skipped: 0 },
      { topic: "orders", partition: 1, current: 400, next: 100, reread: 300, skipped: 0 },
    ]);
    expect(plan.totals).toEqual({ partitions: 3, reread: 1300, skipped: 0 });
    expect(plan.untouched).toEqual([]);
  });

  it("to-latest counts the records skipped; a partition without an offset skips from its log start", () => {
    const plan = planReset({ kind: "to-latest" }, parts);
    expect(plan.partitions.map((p) => [p.next, p.skipped])).toEqual([[20, 10], [1000, 0], [500, 100]]);
  });

  it("to-offset and shift-by clamp into [earliest, latest]", () => {
    expect(planReset({ kind: "to-offset", offset: 50 }, parts).partitions.map((p) => p.next)).toEqual([20, 50, 100]);
    const shift = planReset({ kind: "shift-by", by: -350 }, parts.slice(0, 2)).partitions;
    expect(shift.map((p) => p.next)).toEqual([650, 100]);
    expect(planReset({ kind: "shift-by", by: 10_000 }, parts.slice(0, 2)).partitions.map((p) => p.next)).toEqual([1000, 500]);
  });

  it("shift-by leaves a partition without a committed offset untouched and plans the others", () => {
    const plan = planReset({ kind: "shift-by", by: 1 }, parts);
    expect(plan.partitions.map((p) => [p.topic, p.partition, p.next])).toEqual([["orders", 0, 1000], ["orders", 1, 401]]);
    expect(plan.untouched).toEqual([{ topic: "audit", partition: 0, reason: expect.stringMatching(/no committed offset to shift from/) }]);
    expect(plan.totals.partitions).toBe(2);
  });

  it("to-current keeps committed offsets and commits none where there is none", () => {
    const plan = planReset({ kind: "to-current" }, parts);
    expect(plan.partitions.map((p) => p.next)).toEqual([1000, 400]);
    expect(plan.untouched.map((p) => `${p.topic}-${p.partition}`)).toEqual(["audit-0"]);
    expect(plan.totals).toMatchObject({ reread: 0, skipped: 0 });
  });

  it("time strategies use the offset found for the timestamp, else the log end", () => {
    const plan = planReset({ kind: "to-datetime", at: Date.UTC(2026, 0, 1) }, parts);
    expect(plan.partitions.map((p) => p.next)).toEqual([20, 600, 250]);
    expect(strategyTimestamp({ kind: "by-duration", ms: 3_600_000 }, 10_000_000)).toBe(6_400_000);
    expect(strategyTimestamp({ kind: "to-earliest" }, 1)).toBeUndefined();
  });

  it("from-file applies the file's offsets and names a partition it lacks", () => {
    const offsets = parseOffsetsCsv("topic,partition,offset\norders,0,10\norders,1,7\n");
    expect(planReset({ kind: "from-file", offsets }, parts.slice(0, 2)).partitions.map((p) => p.next)).toEqual([10, 100]);
    expect(() => planReset({ kind: "from-file", offsets }, parts)).toThrow(/no offset for audit-0/);
  });

  it("reads and writes the tool's CSV, naming the bad line", () => {
    const rows = [{ topic: "a,b", partition: 2, offset: 5 }, { topic: "c", partition: 0, offset: 0 }];
    expect(parseOffsetsCsv(formatOffsetsCsv(rows))).toEqual(rows);
    expect(() => parseOffsetsCsv("orders,0,10\norders;1;7")).toThrow(/Line 2: expected topic,partition,offset/);
  });

  it("parses ISO-8601 durations", () => {
    expect(parseDuration("PT1H")).toBe(3_600_000);
    expect(parseDuration("P1DT30M")).toBe(86_400_000 + 1_800_000);
    expect(parseDuration("pt1.5s")).toBe(1500);
    expect(() => parseDuration("1h")).toThrow(/PT1H/);
    expect(() => parseDuration("PT")).toThrow(ResetError);
  });
});
