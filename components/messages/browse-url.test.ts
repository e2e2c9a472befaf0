import { describe, expect, it } from "vitest";
import { decodePositions, encodePositions, inputFromUrl, previousPage, QUICK_RANGES, toLocalInput } from "./browse-url";

const parse = (q: string) => inputFromUrl(new URLSearchParams(q), "embedded", "orders");

describe("message browser URL", () => {
  it("reads a search from the query string, with filters and a clamped page size", () => {
    expect(parse("p=0,2&start=offset&at=42&limit=9999&key=k1&hname=trace&text=paid&expr=amount%3E1").input).toEqual({
      cluster: "embedded",
      topic: "orders",
      partitions: [0, 2],
      start: { kind: "offset", offset: 42 },
      limit: 500,
      isolation: "read_committed",
      filters: { key: "k1", header: { name: "trace", value: undefined }, text: "paid", jsonata: "amount>1" },
    });
    expect(parse("").input).toMatchObject({ partitions: undefined, start: { kind: "earliest" }, limit: 50 });
    expect(parse("start=timestamp&at=2024-05-01T10:00:00.000Z").input?.start).toEqual({ kind: "timestamp", timestamp: Date.parse("2024-05-01T10:00:00.000Z") });
    // Epoch milliseconds, as Kafka writes timestamps, work in a link too.
    expect(parse("start=timestamp&at=1714557600000").input?.start).toEqual({ kind: "timestamp", timestamp: 1714557600000 });
    expect(toLocalInput("1714557600000")).toBe(toLocalInput("2024-05-01T10:00:00.000Z"));
  });

  it("reads read_committed unless the link asks for read_uncommitted", () => {
    expect(parse("").input?.isolation).toBe("read_committed");
    expect(parse("iso=uncommitted").input?.isolation).toBe("read_uncommitted");
    expect(parse("iso=bogus").input?.isolation).toBe("read_committed");
  });

  it("says what is wrong in a link instead of scanning", () => {
    expect(parse("p=0,x")).toEqual({ problem: "Partitions: use numbers separated by commas." });
    expect(parse("start=offset&at=-1").problem).toBe("Offset: enter a whole number.");
    expect(parse("start=timestamp&at=yesterday").problem).toBe("Timestamp: pick a date and time.");
    expect(parse("pos=0:1,zz").problem).toMatch(/page position in the link is malformed/);
  });

  it("lets a page position win over the start it was paged from", () => {
    expect(parse("start=offset&at=5&pos=0:10,1:7").input?.start).toEqual({ kind: "positions", positions: { "0": 10, "1": 7 } });
    expect(decodePositions(encodePositions({ "0": 10, "3": 0 }))).toEqual({ "0": 10, "3": 0 });
    expect(decodePositions("")).toBeUndefined();
  });

  it("steps back a page's worth per partition, never before the log start", () => {
    expect(previousPage({ "0": 100, "1": 30 }, { "0": 0, "1": 20 }, 50)).toEqual({ "0": 75, "1": 20 });
  });

  it("starts quick ranges where they say", () => {
    const now = new Date(2026, 4, 1, 14, 30).getTime();
    expect(QUICK_RANGES.map((r) => now - r.since(now))).toEqual([15 * 60_000, 3_600_000, 86_400_000, (14 * 60 + 30) * 60_000]);
  });
});
