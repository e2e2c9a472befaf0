import { describe, expect, it } from "vitest";
import { GrowthRates } from "./growth-rates";

const ends = (o: Record<string, number>) => new Map(Object.entries(o));

describe("rates of growing totals (log-end offsets, delivered events)", () => {
  it("needs two reads some seconds apart, then answers records per second per topic and cluster", () => {
    const r = new GrowthRates();
    expect(r.observe("prod", 10_000, ends({ orders: 100 }))).toEqual(new Map([["orders", null]]));
    // Too close to the first read to say anything.
    expect(r.observe("prod", 11_000, ends({ orders: 110 })).get("orders")).toBeNull();
    expect(r.observe("prod", 15_000, ends({ orders: 350, clicks: 5 }))).toEqual(
      new Map([
        ["orders", 60],
        ["clicks", null],
      ]),
    );
    // The base moves on to the newest read old enough: 15 000 by now.
    expect(r.observe("prod", 20_000, ends({ orders: 600, clicks: 25 }))).toEqual(
      new Map([
        ["orders", 50],
        ["clicks", 4],
      ]),
    );
    expect(r.observe("staging", 16_000, ends({ orders: 1 })).get("orders")).toBeNull();
  });

  it("forgets reads too old to say what happens now, and a topic whose offsets went back", () => {
    const r = new GrowthRates();
    r.observe("prod", 0, ends({ orders: 500 }));
    expect(r.observe("prod", 600_000, ends({ orders: 900 })).get("orders")).toBeNull();
    expect(r.observe("prod", 610_000, ends({ orders: 3 })).get("orders")).toBeNull();
    expect(r.observe("prod", 620_000, ends({ orders: 103 })).get("orders")).toBe(10);
  });
});
