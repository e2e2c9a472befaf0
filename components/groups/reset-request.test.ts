import { describe, expect, it } from "vitest";
import { buildRequest, fromParams, withForm } from "./reset-request";

const form = (q: string) => fromParams(new URLSearchParams(q));

describe("offset reset form", () => {
  it("reads a prepared reset from its link and writes it back", () => {
    const f = form("scope=topic&topic=orders&partitions=0,2&strategy=shift-by&value=-5");
    expect(f).toEqual({ scope: "topic", topic: "orders", partitions: "0,2", strategy: "shift-by", value: "-5" });
    expect(fromParams(withForm(new URLSearchParams("cluster=c1"), f))).toEqual(f);
    expect(withForm(new URLSearchParams("cluster=c1"), f).get("cluster")).toBe("c1");
    expect(form("strategy=to-somewhere")).toMatchObject({ scope: "all-topics", strategy: "to-earliest" });
  });

  it("keeps an uploaded CSV out of the link", () => {
    const link = withForm(new URLSearchParams("value=old"), { ...form(""), strategy: "from-file", value: "orders,0,1" });
    expect(link.get("strategy")).toBe("from-file");
    expect(link.has("value")).toBe(false);
  });

  it("builds the request for each strategy, or says what to fix", () => {
    expect(buildRequest(form("strategy=shift-by&value=-5&scope=topic&topic=%20orders%20&partitions=0,%202"), "")).toEqual({
      scope: { kind: "topic", topic: "orders", partitions: [0, 2] },
      strategy: { kind: "shift-by", by: -5 },
    });
    expect(buildRequest(form("strategy=to-latest"), "")).toEqual({ scope: { kind: "all-topics" }, strategy: { kind: "to-latest" } });
    expect(buildRequest(form("strategy=to-datetime&value=2024-05-01T10:00:00Z"), "")).toMatchObject({ strategy: { kind: "to-datetime", at: "2024-05-01T10:00:00.000Z" } });
    expect(buildRequest(form("strategy=from-file"), "orders,0,12\n")).toMatchObject({ strategy: { kind: "from-file", csv: "orders,0,12\n" } });
    expect(buildRequest(form("scope=topic"), "")).toBe("Choose the topic to reset.");
    expect(buildRequest(form("scope=topic&topic=t&partitions=1,x"), "")).toMatch(/^Partitions:/);
    expect(buildRequest(form("strategy=to-offset&value=-1"), "")).toMatch(/^Offset:/);
    expect(buildRequest(form("strategy=shift-by&value=1.5"), "")).toMatch(/^Shift:/);
    expect(buildRequest(form("strategy=by-duration"), "")).toMatch(/^Duration:/);
    expect(buildRequest(form("strategy=from-file"), " ")).toMatch(/^Paste or upload/);
  });
});
