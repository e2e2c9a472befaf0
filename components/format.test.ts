import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatDuration, formatRate, formatTimestamp, timeAgo, zoneLabel } from "./format";

describe("human numbers", () => {
  it("scales counts with SI prefixes", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1234)).toBe("1.23 k");
    expect(formatCount(1_200_000)).toBe("1.20 M");
    expect(formatCount(45_600_000)).toBe("45.6 M");
    expect(formatCount(-2500)).toBe("-2.50 k");
    expect(formatRate(3_400_000)).toBe("3.40 M rec/s");
  });

  it("scales bytes with binary prefixes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(3.4 * 1024 ** 3)).toBe("3.40 GiB");
  });

  it("says how long ago", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(timeAgo(now - 2000, now)).toBe("just now");
    expect(timeAgo(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatDuration(26 * 3600_000)).toBe("26 h 0 min");
    expect(formatDuration(3 * 86400_000)).toBe("3 d 0 h");
  });

  it("writes every time one way, naming its zone", () => {
    const at = Date.UTC(2026, 4, 1, 14, 3, 7, 250);
    expect(formatTimestamp(at, "utc")).toBe("2026-05-01 14:03:07.250 UTC");
    expect(formatTimestamp(at, "local")).toMatch(/^2026-05-0[12] \d\d:\d3:07\.250 UTC[+-]\d\d:\d\d$/);
    expect(zoneLabel("utc")).toBe("UTC");
  });
});
