import { describe, expect, it } from "vitest";
import { topicNameProblem } from "@/server/admin/topic-name";
import { hexDump, prettyJson, preview, toUint8 } from "./messages/bytes";
import { jsonProblem, parseLine } from "./messages/records";
import { describeValue, diffOverrides } from "./topics/topic-configs";

describe("topic names follow Kafka's rules", () => {
  it("accepts legal names and says what is wrong with the others", () => {
    expect(topicNameProblem("orders.v2_eu-west")).toBeUndefined();
    expect(topicNameProblem("")).toBe("enter a name");
    expect(topicNameProblem("..")).toMatch(/not allowed/);
    expect(topicNameProblem("a".repeat(250))).toMatch(/249/);
    expect(topicNameProblem("with space")).toMatch(/ASCII letters/);
    expect(topicNameProblem("ünïcode")).toMatch(/ASCII letters/);
  });
});

describe("config diffs", () => {
  it("lists changed, added and removed overrides, and nothing else", () => {
    expect(diffOverrides({ "retention.ms": "1", "cleanup.policy": "delete", "segment.bytes": "9" }, { "retention.ms": "2", "cleanup.policy": "delete", "max.message.bytes": "5" })).toEqual([
      { name: "max.message.bytes", before: null, after: "5" },
      { name: "retention.ms", before: "1", after: "2" },
      { name: "segment.bytes", before: "9", after: null },
    ]);
    expect(diffOverrides({ a: "1" }, { a: "1" })).toEqual([]);
  });
  it("reads durations and sizes as people do", () => {
    const fmt = { duration: (ms: number) => `${ms / 1000}s`, bytes: (n: number) => `${n}B` };
    expect(describeValue("retention.ms", "-1", fmt)).toBe("forever");
    expect(describeValue("retention.bytes", "-1", fmt)).toBe("no limit");
    expect(describeValue("retention.ms", "5000", fmt)).toBe("5s");
    expect(describeValue("retention.ms", "604800000", fmt)).toBe("7 d");
    expect(describeValue("retention.ms", "7200000", fmt)).toBe("2 h");
    expect(describeValue("segment.bytes", "1024", fmt)).toBe("1024B");
    expect(describeValue("cleanup.policy", "delete", fmt)).toBeNull();
  });
});

describe("produce input", () => {
  it("validates text that looks like JSON and leaves other text alone", () => {
    expect(jsonProblem('{"a": 1}')).toBeUndefined();
    expect(jsonProblem("plain text")).toBeUndefined();
    expect(jsonProblem('{"a": ')).toBeTypeOf("string");
  });
  it("reads upload lines as records or as bare values", () => {
    expect(parseLine('{"key": "k", "value": {"n": 1}, "headers": {"h": "v", "n": 2}, "partition": 3}', 1)).toEqual({
      key: "k",
      value: '{"n":1}',
      headers: [
        { key: "h", value: "v" },
        { key: "n", value: "2" },
      ],
      partition: 3,
    });
    expect(parseLine('{"n": 1}', 2)).toEqual({ key: null, value: '{"n":1}', headers: [] });
    expect(parseLine('"text"', 3)).toEqual({ key: null, value: "text", headers: [] });
    expect(() => parseLine("{oops", 7)).toThrow(/Line 7 is not JSON/);
    expect(() => parseLine('{"value": 1, "partition": -1}', 8)).toThrow(/Line 8: "partition"/);
  });
});

describe("record display", () => {
  it("dumps bytes as hex with printable ASCII", () => {
    const dump = hexDump(toUint8({ data: "AAH/", encoding: "base64" }));
    expect(dump).toBe("00000000  00 01 ff" + " ".repeat(47 - 8) + "  ...");
    expect(hexDump(toUint8({ data: "ab", encoding: "utf8" }))).toMatch(/61 62 .* ab$/);
  });
  it("pretty-prints JSON and previews bytes that are not UTF-8 in hex", () => {
    expect(prettyJson('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyJson("{nope")).toBeUndefined();
    expect(preview({ data: "AAH/", encoding: "base64" })).toBe("00 01 ff (3 bytes, not UTF-8)");
    expect(preview({ data: "AAH/AAH/", encoding: "base64" }, 9)).toBe("00 01 ff … (6 bytes, not UTF-8)");
    expect(preview(null)).toBe("null");
    expect(preview({ data: "x".repeat(200), encoding: "utf8" }, 10)).toBe("xxxxxxxxxx…");
  });
});
