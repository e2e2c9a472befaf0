import { describe, expect, it } from "vitest";
import { jsonataPath } from "./json-path";

describe("JSON paths", () => {
  it("are written as JSONata reads them", () => {
    expect(jsonataPath([])).toBe("$");
    expect(jsonataPath(["order", "items", 0, "sku"])).toBe("order.items[0].sku");
    expect(jsonataPath(["user id", "a`b"])).toBe("`user id`.`a\\`b`");
  });
});
