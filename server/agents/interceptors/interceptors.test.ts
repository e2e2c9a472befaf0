import { describe, expect, it } from "vitest";
import { interceptorTypes, lookup } from "../registry";
import type { FlumeEvent } from "../model";

function create(config: Record<string, unknown>) {
  const e = lookup(interceptorTypes, String(config.type))!;
  return e.create({ ...config, type: e.types[0] }, { name: "i", put: async () => {} });
}
/** The Flume interceptors work synchronously. */
const run = (config: Record<string, unknown>, events: FlumeEvent[]) => create(config).intercept(events) as FlumeEvent[];
const runAsync = async (config: Record<string, unknown>, events: FlumeEvent[]) => create(config).intercept(events);
const ev = (body: string, headers: Record<string, string> = {}): FlumeEvent => ({ headers, body: Buffer.from(body) });

describe("interceptors", () => {
  it("timestamp, host, static, uuid and remove_header set and remove headers as Flume does", () => {
    const [e] = run({ type: "timestamp" }, [ev("x")]);
    expect(Math.abs(Number(e.headers.timestamp) - Date.now())).toBeLessThan(5000);
    expect(run({ type: "org.apache.flume.interceptor.StaticInterceptor$Builder", key: "dc", value: "eu" }, [ev("x", { dc: "us" }), ev("y")]).map((x) => x.headers.dc)).toEqual(["us", "eu"]);
    expect(run({ type: "host", hostHeader: "h" }, [ev("x")])[0].headers.h).toMatch(/.+/);
    expect(run({ type: "uuid" }, [ev("x")])[0].headers.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run({ type: "remove_header", fromList: "a, b", matching: "^tmp" }, [ev("x", { a: "1", b: "2", c: "3", tmpx: "4" })])[0].headers).toEqual({ c: "3" });
  });

  it("regex_filter keeps or drops, regex_extractor fills headers, search_replace rewrites bodies", () => {
    const evs = () => [ev("ERROR disk"), ev("INFO ok")];
    expect(run({ type: "regex_filter", regex: "^ERROR" }, evs()).map((e) => e.body.toString())).toEqual(["ERROR disk"]);
    expect(run({ type: "regex_filter", regex: "^ERROR", excludeEvents: true }, evs()).map((e) => e.body.toString())).toEqual(["INFO ok"]);
    expect(run({ type: "regex_extractor", regex: "^(\\w+) (\\w+)", headers: ["level", "what"] }, evs())[0].headers).toEqual({ level: "ERROR", what: "disk" });
    expect(run({ type: "search_replace", searchPattern: "(\\d{4})-\\d{4}", replaceString: "$1-XXXX" }, [ev("card 1234-5678")])[0].body.toString()).toBe("card 1234-XXXX");
  });
});

describe("transform interceptor (JSONata)", () => {
  const bodies = (es: FlumeEvent[]) => es.map((e) => e.body.toString());

  it("filters, reshapes and enriches JSON bodies, with headers as $headers", async () => {
    const events = [
      ev(JSON.stringify({ path: "/a", status: 200, ms: 12 }), { host: "web-1" }),
      ev(JSON.stringify({ path: "/b", status: 503, ms: 950 }), { host: "web-2" }),
      ev(JSON.stringify({ path: "/c", status: 500, ms: 30 }), { host: "web-1" }),
    ];
    const out = await runAsync({
      type: "transform",
      expression: 'status >= 500 ? {"path": path, "slow": ms > 500, "host": $headers.host}',
      headers: { status_class: '$string($floor(status / 100)) & "xx"' },
    }, events);
    expect(bodies(out).map((b) => JSON.parse(b) as unknown)).toEqual([{ path: "/b", slow: true, host: "web-2" }, { path: "/c", slow: false, host: "web-1" }]);
    expect(out.map((e) => e.headers.status_class)).toEqual(["5xx", "5xx"]);
  });

  it("keeps or drops events whose body is not JSON, as onError says", async () => {
    const events = () => [ev("not json"), ev('{"a":1}')];
    expect(bodies(await runAsync({ type: "transform", expression: "a + 1" }, events()))).toEqual(["not json", "2"]);
    expect(bodies(await runAsync({ type: "transform", expression: "a + 1", onError: "drop" }, events()))).toEqual(["2"]);
  });

  it("sets only headers when there is no expression, and a text result stays text", async () => {
    const out = await runAsync({ type: "transform", headers: { user: "user.id" } }, [ev('{"user":{"id":"u7"}}')]);
    expect(out[0].headers.user).toBe("u7");
    expect(bodies(out)).toEqual(['{"user":{"id":"u7"}}']);
    expect(bodies(await runAsync({ type: "transform", expression: '"user " & user.id' }, [ev('{"user":{"id":"u7"}}')]))).toEqual(["user u7"]);
  });

  it("rejects an expression that does not compile, naming the problem", () => {
    const e = lookup(interceptorTypes, "transform")!;
    const r = e.schema.safeParse({ type: "transform", expression: "status >= (" });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/not a JSONata expression/);
  });
});
