import { describe, expect, it } from "vitest";
import type { GraphNode } from "./graph";
import { advanceLive, fillLevel, HISTORY_POINTS, liveStats, NO_LIVE, type AgentLive } from "./live";

describe("live numbers", () => {
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

  it("shows a recovered sink without a current error, its past errors in the history", () => {
    const recovered = [{ agent: "edge-1", state: "running", at: 2000, counters: {}, components: { k1: { kind: "sink", state: "running", lastError: null, errors: [{ message: "broker down", firstAt: 1000, lastAt: 1500, count: 3 }] } } }];
    expect(liveStats("sink", "k1", recovered, undefined)).toMatchObject({ state: "running", errors: [], history: [{ where: "edge-1", message: "broker down", count: 3 }] });
    // An agent older than the history reports only its current error.
    const old = [{ agent: "edge-2", state: "running", at: 2000, counters: {}, components: { k1: { kind: "sink", state: "backing_off", lastError: "broker down" } } }];
    expect(liveStats("sink", "k1", old, undefined)).toMatchObject({ errors: [{ agent: "edge-2", message: "broker down" }], history: [] });
  });

  it("advances the view once per sample: rates for the nodes drawn, one chart point each, history capped", () => {
    const node = (id: string, kind: GraphNode["data"]["kind"], name: string): GraphNode => ({ id, position: { x: 0, y: 0 }, data: { kind, name, type: "x", props: {} } });
    const nodes = [node("n1", "source", "r1"), node("n2", "interceptor", "host")];
    const sample = (at: number, acc: number) => ({ at, agents: [{ agent: "a", state: "running", at, components: {}, counters: { "SOURCE.r1": { EventReceivedCount: acc, EventAcceptedCount: acc } } }] satisfies AgentLive[] });
    const first = advanceLive(NO_LIVE, sample(1000, 100), nodes);
    expect(first.byNode.n1).toMatchObject({ inRate: 0, total: 100 });
    expect(first.byNode.n2).toBeUndefined();
    const second = advanceLive(first, sample(2000, 300), nodes);
    expect(second.byNode.n1).toMatchObject({ inRate: 200, outRate: 200, total: 300 });
    expect(second.charts["source:r1"]).toEqual([
      { t: 1000, in: 0, out: 0 },
      { t: 2000, in: 200, out: 200 },
    ]);
    let view = second;
    for (let i = 0; i < HISTORY_POINTS + 5; i++) view = advanceLive(view, sample(3000 + i * 1000, 300 + i), nodes);
    expect(view.charts["source:r1"]).toHaveLength(HISTORY_POINTS);
    expect(view.charts["source:r1"].at(-1)?.t).toBe(3000 + (HISTORY_POINTS + 4) * 1000);
  });

  it("counts a sink's dead letters over all agents", () => {
    const s = (agent: string, dead: number | undefined) => ({ agent, state: "running", at: 1000, components: {}, counters: { "SINK.k1": { EventDrainAttemptCount: 5, EventDrainSuccessCount: 5, ...(dead === undefined ? {} : { EventDeadLetterCount: dead }) } } });
    expect(liveStats("sink", "k1", [s("a", 2), s("b", 3), s("c", undefined)], undefined)?.deadLetters).toBe(5);
  });
});
