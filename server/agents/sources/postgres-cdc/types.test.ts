import { describe, expect, it } from "vitest";
import { decodeText, formatLsn, keyOf, parseLsn } from "./types";

describe("Postgres text → JSON values", () => {
  it("keeps what JSON cannot hold exactly as text", () => {
    expect(decodeText(20, "9007199254740991")).toBe(9007199254740991);
    expect(decodeText(20, "9007199254740993")).toBe("9007199254740993");
    expect(decodeText(701, "NaN")).toBe("NaN");
    expect(decodeText(701, "-Infinity")).toBe("-Infinity");
    expect(decodeText(1700, "123456789012345678901234567890.000000001")).toBe("123456789012345678901234567890.000000001");
  });

  it("writes timestamps as ISO-8601, zoned ones in UTC as Z, and leaves infinity and BC dates as Postgres prints them", () => {
    expect(decodeText(1184, "2024-03-04 03:06:07.123456+00")).toBe("2024-03-04T03:06:07.123456Z");
    expect(decodeText(1184, "2024-03-04 08:36:07+05:30")).toBe("2024-03-04T08:36:07+05:30");
    expect(decodeText(1114, "2024-03-04 05:06:07")).toBe("2024-03-04T05:06:07");
    expect(decodeText(1184, "infinity")).toBe("infinity");
    expect(decodeText(1114, "0044-03-15 12:00:00 BC")).toBe("0044-03-15T12:00:00 BC");
  });

  it("maps arrays element by element, including nested arrays, NULLs and bytea", () => {
    expect(decodeText(1007, "{{1,2},{3,NULL}}")).toEqual([[1, 2], [3, null]]);
    expect(decodeText(1001, '{"\\\\x0102"}')).toEqual([Buffer.from([1, 2]).toString("base64")]);
    expect(decodeText(3807, '{"{\\"a\\": 1}"}')).toEqual([{ a: 1 }]);
    expect(decodeText(1009, '{"a,b","c\\"d"}')).toEqual(["a,b", 'c"d']);
  });

  it("keys rows by their key columns in key order", () => {
    expect(keyOf(["b", "a"], { a: 1, b: "x", c: true })).toBe('{"b":"x","a":1}');
    expect(keyOf([], { a: 1 })).toBeUndefined();
  });

  it("reads and writes LSNs", () => {
    expect(parseLsn("16/B374D848")).toBe(0x16b374d848n);
    expect(formatLsn(0x16b374d848n)).toBe("16/B374D848");
  });
});
