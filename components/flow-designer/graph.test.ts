import { describe, expect, it } from "vitest";
import { checkFlow } from "@/server/control/flows";
import { emptyFlowProblem, fromFlow, pinIssues, toFlow, type FlowDefinition } from "./graph";

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
    bad.sinks.k2.batchSize = 500;
    bad.channels.c2.transactionCapacity = 10;
    (bad.sources.r1.interceptors as Record<string, unknown>[])[1].preserveExisting = "yes";
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

  const grouped: FlowDefinition = {
    sources: { r1: { type: "http", port: 8080, channels: ["c1"], interceptors: [] } },
    channels: { c1: { type: "memory" } },
    sinks: { k2: { type: "null", channel: "c1" }, k1: { type: "logger", channel: "c1" }, k3: { type: "null", channel: "c1" } },
    sinkgroups: { g1: { sinks: ["k1", "k2"], processor: { type: "failover", priority: { k1: 10, k2: 5 }, maxpenalty: 10_000 } } },
  };

  it("round-trips a failover sink group, its sinks in their order and its processor's settings", () => {
    const { nodes, edges } = fromFlow(grouped);
    const g1 = nodes.find((n) => n.data.kind === "sinkgroup")!;
    expect(g1.data).toEqual({ kind: "sinkgroup", name: "g1", type: "failover", props: { priority: { k1: 10, k2: 5 }, maxpenalty: 10_000 } });
    const { definition, issues } = toFlow(nodes, edges);
    expect(issues).toEqual([]);
    const { layout, ...rest } = definition;
    expect(rest).toEqual(grouped);
    expect(layout!["sinkgroup:g1"]).toEqual(g1.position);
    expect(checkFlow(rest)).toEqual([]);
    // A saved position brings the group back where it was drawn.
    expect(fromFlow({ ...grouped, layout: { "sinkgroup:g1": { x: 7, y: 9 } } }).nodes.find((n) => n.data.kind === "sinkgroup")!.position).toEqual({ x: 7, y: 9 });
  });

  it("pins sink group problems: a group with no sinks, a sink in two groups, a processor setting", () => {
    const { nodes, edges } = fromFlow(grouped);
    const k1 = nodes.find((n) => n.data.name === "k1")!;
    const g2 = { id: "sinkgroup-x", position: { x: 0, y: 0 }, data: { kind: "sinkgroup" as const, name: "g2", type: "load_balance", props: {} } };
    const g3 = { id: "sinkgroup-y", position: { x: 0, y: 200 }, data: { kind: "sinkgroup" as const, name: "g3", type: "failover", props: {} } };
    const all = [...nodes, g2, g3];
    const twice = [...edges, { id: "k1->g2", source: k1.id, target: g2.id }];
    const { definition, issues } = toFlow(all, twice);
    expect(issues).toEqual([
      { nodeId: k1.id, property: null, message: "a sink belongs to at most one sink group; remove 1 of its 2 group connections" },
      { nodeId: g3.id, property: null, message: "connect the sinks of this group to it" },
    ]);
    const server = checkFlow(definition);
    expect(pinIssues(all, twice, server)).toEqual(
      expect.arrayContaining([
        { nodeId: g2.id, property: "sinks", message: 'sink "k1" is already in sink group "g1"; a sink belongs to at most one group' },
        { nodeId: g3.id, property: "sinks", message: expect.stringMatching(/>=1/) },
      ]),
    );

    const bad = structuredClone(grouped);
    bad.sinkgroups!.g1.processor = { type: "failover", priority: { k3: 1 }, maxpenalty: -1 };
    const b = fromFlow(bad);
    const g1 = b.nodes.find((n) => n.data.kind === "sinkgroup")!;
    expect(pinIssues(b.nodes, b.edges, checkFlow(bad))).toEqual(
      expect.arrayContaining([
        { nodeId: g1.id, property: "maxpenalty", message: expect.any(String) },
        { nodeId: g1.id, property: "priority", message: 'sink "k3" is not in this group' },
      ]),
    );
  });
});

describe("an empty flow", () => {
  it("is not valid: it parses, but there is nothing to run", () => {
    const empty: FlowDefinition = { sources: {}, channels: {}, sinks: {} };
    expect(checkFlow({ name: "nothing", ...empty }).filter((i) => !i.warning)).toEqual([]);
    expect(emptyFlowProblem(empty)).toMatch(/^Empty: drag a source, a channel and a sink/);
    expect(emptyFlowProblem({ ...empty, channels: { c1: { type: "memory" } } })).toBeNull();
  });
});
