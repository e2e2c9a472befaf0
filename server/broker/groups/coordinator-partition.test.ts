import { describe, expect, it } from "vitest";
import { coordinatorPartition, javaStringHash } from "./coordinator-partition";

// The expected hashes are what Java's String.hashCode returns for these strings.
describe("coordinator partition (Kafka's partitionFor)", () => {
  it("hashes as Java's String.hashCode, overflow and UTF-16 included", () => {
    expect(javaStringHash("")).toBe(0);
    expect(javaStringHash("hello")).toBe(99162322);
    expect(javaStringHash("console-consumer-12345")).toBe(158455506);
    expect(javaStringHash("analytics-etl-job-7")).toBe(-982767504);
    expect(javaStringHash("polygenelubricants")).toBe(-2147483648);
    expect(javaStringHash("é✓😀")).toBe(18327085);
  });

  it("places keys with Utils.abs(hash) % partitions, Integer.MIN_VALUE at partition 0", () => {
    expect(coordinatorPartition("hello", 50)).toBe(22);
    expect(coordinatorPartition("analytics-etl-job-7", 50)).toBe(4);
    expect(coordinatorPartition("polygenelubricants", 50)).toBe(0);
    expect(coordinatorPartition("anything", 1)).toBe(0);
  });
});
