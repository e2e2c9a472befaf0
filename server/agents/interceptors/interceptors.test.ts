import { describe, expect, it } from "vitest";
import { interceptorTypes, lookup } from "../registry";
import type { FlumeEvent } from "../model";

function run(config: Record<string, unknown>, events: FlumeEvent[]): FlumeEvent[] {
  const e = lookup(interceptorTypes, String(config.type))!;
  return e.create("i", e.schema.parse({ ...config, type: e.types[0] }), async () => {}).intercept(events) as FlumeEvent[];
}
const ev = (body: string, headers: Record<string, string> = {}): FlumeEvent => ({ headers, body: Buffer.from(body) });

describe("interceptors", () => {
  it("timestamp, host, static, uuid and remove_header set and remove headers as Flume does", () => {
    const [e] = run({ type: "timestamp" }, [ev("x")]);
    expect(Math.abs(Number(e!.headers.timestamp) - Date.now())).toBeLessThan(5000);
    expect(run({ type: "org.apache.flume.interceptor.StaticInterceptor$Builder", key: "dc", value: "eu" }, [ev("x", { dc: "us" }), ev("y")]).map((x) => x.headers.dc)).toEqual(["us", "eu"]);
    expect(run({ type: "host", hostHeader: "h" }, [ev("x")])[0]!.headers.h).toMatch(/.+/);
    expect(run({ type: "uuid" }, [ev("x")])[0]!.headers.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run({ type: "remove_header", fromList: "a, b", matching: "^tmp" }, [ev("x", { a: "1", b: "2", c: "3", tmpx: "4" })])[0]!.headers).toEqual({ c: "3" });
  });

  it("regex_filter keeps or drops, regex_extractor fills headers, search_replace rewrites bodies", () => {
    const evs = () => [ev("ERROR disk"), ev("INFO ok")];
    expect(run({ type: "regex_filter", regex: "^ERROR" }, evs()).map((e) => e.body.toString())).toEqual(["ERROR disk"]);
    expect(run({ type: "regex_filter", regex: "^ERROR", excludeEvents: true }, evs()).map((e) => e.body.toString())).toEqual(["INFO ok"]);
    expect(run({ type: "regex_extractor", regex: "^(\\w+) (\\w+)", headers: ["level", "what"] }, evs())[0]!.headers).toEqual({ level: "ERROR", what: "disk" });
    expect(run({ type: "search_replace", searchPattern: "(\\d{4})-\\d{4}", replaceString: "$1-XXXX" }, [ev("card 1234-5678")])[0]!.body.toString()).toBe("card 1234-XXXX");
  });
});
