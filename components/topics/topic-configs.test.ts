import { describe, expect, it } from "vitest";
import { controlOf, parseWithUnit } from "./topic-configs";

describe("config values with units", () => {
  it("reads durations and sizes as people write them, as the numbers Kafka stores", () => {
    expect(parseWithUnit("ms", "7d")).toEqual({ value: "604800000" });
    expect(parseWithUnit("ms", "12 h")).toEqual({ value: "43200000" });
    expect(parseWithUnit("ms", "30min")).toEqual({ value: "1800000" });
    expect(parseWithUnit("ms", "1500")).toEqual({ value: "1500" });
    expect(parseWithUnit("ms", "forever")).toEqual({ value: "-1" });
    expect(parseWithUnit("bytes", "1 GiB")).toEqual({ value: "1073741824" });
    expect(parseWithUnit("bytes", "500MB")).toEqual({ value: "500000000" });
    expect(parseWithUnit("bytes", "1.5 KiB")).toEqual({ value: "1536" });
    expect(parseWithUnit("bytes", "-1")).toEqual({ value: "-1" });
  });

  it("says what it expected instead of guessing", () => {
    expect(parseWithUnit("ms", "7 days")).toEqual({ value: "604800000" });
    expect(parseWithUnit("ms", "2 fortnights")).toEqual({ error: expect.stringMatching(/"2 fortnights" is not a duration; write e.g. 7d/) });
    expect(parseWithUnit("bytes", "lots")).toEqual({ error: expect.stringMatching(/not a size; write e.g. 1 GiB/) });
  });
});

describe("config controls", () => {
  it("picks the control by the config's type", () => {
    expect(controlOf("cleanup.policy")).toEqual({ kind: "enum", choices: ["delete", "compact", "compact,delete"] });
    expect(controlOf("unclean.leader.election.enable")).toEqual({ kind: "boolean" });
    expect(controlOf("retention.ms")).toEqual({ kind: "ms" });
    expect(controlOf("segment.bytes")).toEqual({ kind: "bytes" });
    expect(controlOf("min.insync.replicas")).toEqual({ kind: "text" });
  });
});
