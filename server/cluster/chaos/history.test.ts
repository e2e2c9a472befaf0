import { describe, expect, it } from "vitest";
import { checkHistory, describeViolations, type Ack, type Read } from "./history";

const log = (partition: number, values: string[], from = 0): Read[] => values.map((value, i) => ({ partition, offset: from + i, value }));
const acked = (reads: Read[]): Ack[] => reads.map((r, i) => ({ ...r, sent: i }));

describe("the chaos history checker", () => {
  it("passes a history where every acknowledged write is read back where it was acknowledged", () => {
    const final = [...log(0, ["a", "b", "c"]), ...log(1, ["x", "y"])];
    const result = checkHistory(acked(final), final.slice(0, 2), final);
    expect(result.violations).toEqual([]);
    expect(result).toMatchObject({ acknowledged: 5, finalRecords: 5, liveReads: 2 });
  });

  it("tolerates unacknowledged writes that landed (a timeout is not a failure)", () => {
    const final = log(0, ["a", "b", "c"]);
    expect(checkHistory(acked(final.slice(0, 1)), [], final).violations).toEqual([]);
  });

  it("finds an acknowledged write that is missing or was overwritten by a truncation", () => {
    const acks = acked(log(0, ["a", "b", "c"]));
    const final = log(0, ["a", "z"]);
    const result = checkHistory(acks, [], final);
    expect(result.violations).toEqual([
      { kind: "lost", partition: 0, offset: 1, value: "b", found: "z" },
      { kind: "lost", partition: 0, offset: 2, value: "c", found: null },
    ]);
  });

  it("finds a value written twice, in one partition or across two", () => {
    const final = [...log(0, ["a", "b", "a"]), ...log(1, ["b"])];
    const kinds = checkHistory([], [], final).violations;
    expect(kinds).toEqual([
      { kind: "duplicate", value: "a", at: [{ partition: 0, offset: 0 }, { partition: 0, offset: 2 }] },
      { kind: "duplicate", value: "b", at: [{ partition: 0, offset: 1 }, { partition: 1, offset: 0 }] },
    ]);
  });

  it("finds offsets that go backwards in a partition's log", () => {
    const final: Read[] = [
      { partition: 0, offset: 5, value: "a" },
      { partition: 0, offset: 5, value: "b" },
      { partition: 0, offset: 4, value: "c" },
    ];
    expect(checkHistory([], [], final).violations.filter((v) => v.kind === "non-monotonic")).toHaveLength(2);
  });

  it("finds acknowledged writes of one partition stored out of their send order", () => {
    const acks: Ack[] = [
      { partition: 0, offset: 1, value: "first", sent: 0 },
      { partition: 0, offset: 0, value: "second", sent: 1 },
    ];
    const final = log(0, ["second", "first"]);
    expect(checkHistory(acks, [], final).violations).toEqual([{ kind: "reordered", partition: 0, value: "second", offset: 0, earlier: "first", earlierOffset: 1 }]);
  });

  it("finds a live read of a record the final log does not have (read past the high watermark)", () => {
    const final = log(0, ["a"]);
    const live = log(0, ["a", "ghost"]);
    expect(checkHistory([], live, final).violations).toEqual([{ kind: "phantom-read", partition: 0, offset: 1, value: "ghost", found: null }]);
  });

  it("describes violations by kind with examples", () => {
    const text = describeViolations(checkHistory(acked(log(0, ["a", "b"])), [], []).violations, 1);
    expect(text).toBe('lost: 2 (e.g. {"kind":"lost","partition":0,"offset":0,"value":"a","found":null})');
  });
});
