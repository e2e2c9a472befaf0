import { describe, expect, it } from "vitest";
import { nearTimeout, partitionCount } from "./age";

describe("transaction age", () => {
  it("flags a transaction past 80% of its timeout, and none without a timeout", () => {
    expect(nearTimeout(47_999, 60_000)).toBe(false);
    expect(nearTimeout(48_000, 60_000)).toBe(true);
    expect(nearTimeout(10_000, 0)).toBe(false);
  });

  it("counts partitions across topics", () => {
    expect(partitionCount([{ partitions: [0, 1] }, { partitions: [3] }])).toBe(3);
  });
});
