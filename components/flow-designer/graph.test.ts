import { describe, expect, it } from "vitest";
import { checkFlow } from "../../server/control/flows";
import { fromFlow, pinIssues, toFlow, type FlowDefinition } from "./graph";
import { fillLevel, liveStats } from "./live";

const flow: FlowDefinition = {
  sources: { r1: { type: "http", port: 8080, channels: ["c1", "c2"], interceptors: [{ type: "host" }, { type: "timestamp", headerName: "ts" }], selector: { type: "multiplexing", header: "h", mapping: { a: ["c1"] }, default: ["c2"] } } },
  channels: { c1: { type: "memory" }, c2: { type: "file", capacity: 10 } },
  sinks: { k1: { type: "null", channel: "c1" }, k2: { type: "logger", channel: "c2", batchSize: 5 } },
};

describe("designer graph", () => {
  it("round-trips a flow through the canvas, interceptors in order", () => {
    const { nodes, edges } = fromFlow(flow);
    expect(nodes.map((n) => n.data.kind).sort()).toEqual(["channel", "channel", "interceptor", "interceptor", "selector", "sink", "sink", "source"]);
    const { definition, issues } = toFlow(nodes, edges);
    expect(issues).toEqual([]);
    const { layout, ...rest } = definition;
    expect(rest).toEqual(flow);
    expect(Object.keys(layout!)).toContain("source:r1");
    expect(checkFlow(rest)).toEqual([]);
  });

  it("names what only the graph shows: a sink on two channels, a source on none, a loose interceptor", () => {
    const { nodes, edges } = fromFlow(flow);
    const r1 = nodes.find((n) => n.data.name === "r1")!;
    const k1 = nodes.find((n) => n.data.name === "k1")!;
    const c2 = nodes.find((n) => n.data.name === "c2")!;
    const host = nodes.find((n) => n.data.type === "host")!;
    const cut = edges.filter((e) => e.source !== r1.id && e.source !== host.id);
    cut.push({ id: "x", source: c2.id, target: k1.id });
    const { issues } = toFlow(nodes, cut);
    expect(issues).toEqual(
      expect.arrayContaining([
        { nodeId: k1.id, property: null, message: expect.stringMatching(/exactly one channel/) },
        { nodeId: r1.id, property: null, message: "connect this source to at least one channel" },
        { nodeId: host.id, property: null, message: "connect this interceptor to a source" },
      ]),
    );
  });

  it("pins the server's issue paths to nodes and properties", () => {
    const bad = structuredClone(flow);
    bad.sinks.k2!.batchSize = 500;
    bad.channels.c2!.transactionCapacity = 10;
    (bad.sources.r1!.interceptors as Record<string, unknown>[])[1]!.preserveExisting = "yes";
    const { nodes, edges } = fromFlow(bad);
    const pinned = pinIssues(nodes, edges, checkFlow(bad));
    const k2 = nodes.find((n) => n.data.name === "k2")!;
    const ts = nodes.find((n) => n.data.type === "timestamp")!;
    expect(pinned).toEqual(
      expect.arrayContaining([
        { nodeId: k2.id, property: "batchSize", message: expect.stringMatching(/exceeds transactionCapacity 10/) },
        { nodeId: ts.id, property: "preserveExisting", message: expect.any(String) },
      ]),
    );
  });

  it("turns counter samples into rates, treating a counter reset as a restart", () => {
    const s = (at: number, acc: number) => [{ agent: "a", state: "running", at, components: {}, counters: { "SOURCE.r1": { EventReceivedCount: acc, EventAcceptedCount: acc, ChannelWriteFail: 0 } } }];
    expect(liveStats("source", "r1", s(2000, 300), s(1000, 100))).toMatchObject({ inRate: 200, outRate: 200, total: 300 });
    expect(liveStats("source", "r1", s(2000, 50), s(1000, 100))).toMatchObject({ outRate: 50 });
  });

  it("reports refused puts as back-pressure and colours channel fill as NiFi does", () => {
    const s = (at: number, fail: number, fill: number) => [
      { agent: "a", state: "running", at, components: { r1: { kind: "source", state: "running", lastError: null } }, counters: { "SOURCE.r1": { EventReceivedCount: 10, EventAcceptedCount: 10, ChannelWriteFail: fail }, "CHANNEL.c1": { ChannelFillPercentage: fill, EventPutSuccessCount: 0, EventTakeSuccessCount: 0 } } },
    ];
    expect(liveStats("source", "r1", s(2000, 7, 90), s(1000, 2, 80))?.refused).toBe(5);
    expect(liveStats("channel", "c1", s(2000, 7, 90), s(1000, 2, 80))?.fill).toBe(90);
    expect([fillLevel(10), fillLevel(60), fillLevel(85)]).toEqual(["ok", "warn", "full"]);
    expect(liveStats("interceptor", "host", s(2000, 0, 0), undefined)).toBeNull();
  });
});
