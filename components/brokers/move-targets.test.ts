import { describe, expect, it } from "vitest";
import { formatTargets, parseTargets } from "./move-targets";

describe("reassign form lines", () => {
  it("reads topic, partition and target brokers per line, skipping blanks and comments", () => {
    expect(parseTargets("orders 0 3,2\n\n# keep\n  payments.eu 12 1, 2 ,4  ")).toEqual([
      { topic: "orders", partition: 0, replicas: [3, 2] },
      { topic: "payments.eu", partition: 12, replicas: [1, 2, 4] },
    ]);
  });

  it("names the line that is wrong and how to write it", () => {
    expect(parseTargets("orders 0 3,2\norders one 2")).toMatch(/^Line 2: write the topic, the partition and the target brokers.*found "orders one 2"/);
    expect(parseTargets("  \n")).toMatch(/at least one partition/);
  });

  it("writes a topic's current replicas as lines the parser reads back", () => {
    const text = formatTargets("orders", [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 3] }]);
    expect(text).toBe("orders 0 1,2\norders 1 2,3");
    expect(parseTargets(text)).toEqual([{ topic: "orders", partition: 0, replicas: [1, 2] }, { topic: "orders", partition: 1, replicas: [2, 3] }]);
  });
});
