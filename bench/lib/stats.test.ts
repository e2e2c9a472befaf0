import { describe, expect, it } from "vitest";
import { formatNumber, formatSummary, markdownTable } from "./markdown";
import { LatencyRecorder, median, percentile, percentileOfSorted, summarize } from "./stats";
import { barChartSvg, escapeXml } from "./svg";

describe("median / summarize", () => {
  it("takes the middle of an odd count and the mean of the two middles of an even count", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("reports median, min, max and keeps runs in run order", () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] });
  });

  it("refuses an empty set instead of returning NaN", () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => summarize([])).toThrow(/at least once/);
  });
});

describe("percentile (nearest rank)", () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose

  it("returns observed values at the nearest rank", () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 51)).toBe(30);
  });

  it("sorts numerically, not as strings", () => {
    expect(percentile([9, 100, 25], 50)).toBe(25);
  });

  it("rejects out-of-range p and empty input", () => {
    expect(() => percentileOfSorted([1, 2], 101)).toThrow(/0..100/);
    expect(() => percentileOfSorted([], 50)).toThrow(RangeError);
  });
});

describe("LatencyRecorder", () => {
  it("computes p50/p99/max over what was recorded and fails loudly when full", () => {
    const r = new LatencyRecorder(1000);
    for (let i = 1000; i >= 1; i--) r.record(i / 10);
    expect(r.snapshot()).toEqual({ p50: 50, p99: 99, max: 100, samples: 1000 });
    expect(() => r.record(1)).toThrow(/full \(1000 samples\)/);
  });
});

describe("markdown", () => {
  it("writes a table with right-aligned columns and escaped pipes", () => {
    const table = markdownTable(["System", "Records/s"], [["a|b", "1,000"]], ["left", "right"]);
    expect(table).toBe("| System | Records/s |\n|---|---:|\n| a\\|b | 1,000 |");
  });

  it("rejects a row with the wrong number of cells", () => {
    expect(() => markdownTable(["a", "b"], [["only one"]])).toThrow(/row 0 has 1 cells but the table has 2 columns/);
  });

  it("formats figures as median (min–max)", () => {
    expect(formatNumber(123456.7)).toBe("123,457");
    expect(formatNumber(12.345)).toBe("12.3");
    expect(formatNumber(1.2345)).toBe("1.23");
    expect(formatSummary(summarize([100, 300, 200]), "MB/s")).toBe("200 MB/s (100–300)");
    expect(formatSummary(summarize([42]))).toBe("42.0");
  });
});

describe("SVG bar chart", () => {
  const svg = barChartSvg({ title: "Peers & <limits>", subtitle: "3 runs" }, [
    {
      title: "Produce",
      unit: "records/s",
      bars: [
        { label: "A", value: 200, min: 100, max: 400 },
        { label: "B", value: 100 },
        { label: "C", value: null, note: "skipped" },
      ],
    },
  ]);

  it("is a standalone SVG document with escaped text", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("Peers &amp; &lt;limits&gt;");
    expect(escapeXml(`"a"&'`)).toBe("&quot;a&quot;&amp;'");
  });

  it("scales bars to the largest whisker and notes missing systems", () => {
    // Plot width is 760 - 170 - 150 = 440 px; the scale maximum is A's max (400).
    const widths = [...svg.matchAll(/<rect x="170" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([220, 110]);
    expect(svg).toContain("M280.0 "); // A's whisker starts at min 100 → 170 + 110
    expect(svg).toContain("H610.0"); // and ends at max 400 → 170 + 440
    expect(svg).toContain(">skipped</text>");
    expect(svg).toContain(">200</text>");
  });
});
