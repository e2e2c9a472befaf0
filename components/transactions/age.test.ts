import { describe, expect, it } from "vitest";
import { heldBack, nearTimeout, partitionCount } from "./age";

describe("transaction age", () => {
  it("flags a transaction past 80% of its timeout, and none without a timeout", () => {
    expect(nearTimeout(47_999, 60_000)).toBe(false);
    expect(nearTimeout(48_000, 60_000)).toBe(true);
    expect(nearTimeout(10_000, 0)).toBe(false);
  });

  it("counts partitions across topics", () => {
    expect(partitionCount([{ partitions: [0, 1] }, { partitions: [3] }])).toBe(3);
  });

  it("sums the records past each partition's last stable offset", () => {
    expect(heldBack([{ lastStableOffset: 2, highWatermark: 7 }, { lastStableOffset: 4, highWatermark: 4 }])).toBe(5);
    expect(heldBack([])).toBe(0);
  });
});
