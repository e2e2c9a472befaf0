import { connect, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { FlowConfigError, parseFlow } from "./flow";
import { FlowRuntime } from "./runtime";
import { AgentHost } from "./host";
import type { NetcatSource } from "./sources/netcat";
import { Counter, Gauge, metrics } from "../metrics/registry";
import { renderPrometheus } from "../metrics/prometheus";
import { eventually } from "@/server/testing/eventually";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("flow");

describe("flow schema", () => {
  it("names the component and property of every problem", () => {
    let err: FlowConfigError | undefined;
    try {
      parseFlow({
        sources: { r1: { type: "seq", channels: ["c1", "nope"], batchSize: 500 } },
        channels: { c1: { type: "memory", transactionCapacity: 100 } },
        sinks: { k1: { type: "null", channel: "c2" }, k2: { type: "bogus", channel: "c1" }, k3: { type: "logger", channel: "c1", colour: "red" } },
      });
    } catch (e) {
      err = e as FlowConfigError;
    }
    expect(err).toBeInstanceOf(FlowConfigError);
    expect(err!.problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^sources\.r1\.channels: channel "nope" is not defined/),
      expect.stringMatching(/^sources\.r1\.batchSize: batchSize 500 exceeds transactionCapacity 100/),
      expect.stringMatching(/^sinks\.k1\.channel: channel "c2" is not defined/),
      expect.stringMatching(/^sinks\.k2\.type: unknown sink type "bogus"/),
      expect.stringMatching(/^sinks\.k3\.colour: unknown property/),
    ]));
  });
});

describe("flow runtime", () => {
  it("seq → memory → null moves every event and reports Flume counters", async () => {
    const rt = new FlowRuntime({
      name: "f1",
      sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 10_000, batchSize: 100, interceptors: [{ type: "static", key: "k", value: "v" }] } },
      channels: { c1: { type: "memory", capacity: 1000, transactionCapacity: 100 } },
      sinks: { k1: { type: "null", channel: "c1", batchSize: 100 } },
    }, { agent: "a1", dataDir: tempDir() });
    await rt.start();
    await eventually(() => (rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount as number) === 10_000);
    const m = rt.flumeMetrics();
    expect(m["SOURCE.r1"]).toMatchObject({ EventReceivedCount: 10_000, EventAcceptedCount: 10_000 });
    expect(m["CHANNEL.c1"]).toMatchObject({ EventPutSuccessCount: 10_000, EventTakeSuccessCount: 10_000, ChannelSize: 0, ChannelCapacity: 1000 });
    // Counters (so the console charts per-second rates) and gauges, under Flume's names.
    const drained = metrics.list("agent_EventDrainSuccessCount").find((x) => x.labels.flow === "f1" && x.labels.component === "k1");
    expect(drained).toBeInstanceOf(Counter);
    expect((drained as Counter).value).toBe(10_000);
    const size = metrics.list("agent_ChannelCapacity").find((x) => x.labels.flow === "f1" && x.labels.component === "c1");
    expect(size instanceof Gauge ? size.get() : -1).toBe(1000);
    expect(renderPrometheus(metrics)).toMatch(/agent_EventDrainSuccessCount\{[^}]*flow="f1"[^}]*\} 10000/);
    expect(rt.components().k1.state).toBe("running");
    await rt.stop();
    expect(metrics.list("agent_EventDrainSuccessCount").some((x) => x.labels.flow === "f1")).toBe(false);
  });

  it("netcat → file channel: replies OK per line, and a restart keeps undrained events", async () => {
    const dataDir = tempDir();
    const flow = {
      name: "nc",
      sources: { r1: { type: "netcat", bind: "127.0.0.1", port: 0, channels: ["c1"] } },
      channels: { c1: { type: "file", minimumRequiredSpace: 0 } },
      sinks: { k1: { type: "logger", channel: "c1" } },
    };
    // The first run has no sink, so the events are still in the channel when it stops.
    const rt = new FlowRuntime({ ...flow, sinks: {} }, { agent: "a1", dataDir });
    await rt.start();
    const port = (rt.source("r1") as NetcatSource).port;
    const sock = connect(port, "127.0.0.1");
    let replies = "";
    sock.on("data", (d) => (replies += d.toString()));
    sock.write(Array.from({ length: 250 }, (_, i) => `line ${i}`).join("\n") + "\n");
    await eventually(() => replies.length === 250 * 3);
    expect(replies).toBe("OK\n".repeat(250));
    sock.end();
    expect(rt.flumeMetrics()["CHANNEL.c1"].ChannelSize).toBe(250);
    await rt.stop();
    const rt2 = new FlowRuntime(flow, { agent: "a1", dataDir });
    await rt2.start();
    await eventually(() => rt2.flumeMetrics()["SINK.k1"].EventDrainSuccessCount === 250);
    await rt2.stop();
  });
});

describe("a source that cannot start", () => {
  it("stops what the flow had started, so nothing keeps running (or keeps a process alive) after the failed start", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as { port: number }).port;
    const rt = new FlowRuntime({
      name: "half",
      sources: {
        r1: { type: "seq", channels: ["c1"], totalEvents: 1_000_000_000, batchSize: 10 },
        web: { type: "http", bind: "127.0.0.1", port, channels: ["c1"] },
      },
      channels: { c1: { type: "memory", capacity: 1000 } },
      sinks: { k1: { type: "null", channel: "c1" } },
    }, { agent: "a1", dataDir: tempDir() });
    try {
      await expect(rt.start()).rejects.toThrow(/source web failed to start: listen EADDRINUSE/);
      expect(Object.fromEntries(Object.entries(rt.components()).map(([n, c]) => [n, c.state]))).toEqual({ c1: "stopped", k1: "stopped", r1: "stopped", web: "failed" });
      const drained = () => rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount;
      const before = drained();
      await new Promise((r) => setTimeout(r, 300));
      expect(drained()).toBe(before);
    } finally {
      taken.close();
    }
  });

  it("fails its flow with the component named and what to do, and the agent reports it while other flows run", async () => {
    const dataDir = tempDir();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as { port: number }).port;
    const host = new AgentHost({ agent: "a1", dataDir });
    try {
      const bad = await host.deploy("bad", 1, {
        name: "bad",
        sources: { web: { type: "http", bind: "127.0.0.1", port, channels: ["c1"] } },
        channels: { c1: { type: "memory" } },
        sinks: { k1: { type: "null", channel: "c1" } },
      });
      expect(bad).toMatchObject({ state: "failed", error: expect.stringMatching(/^source web failed to start: listen EADDRINUSE.*pick another port or stop it$/) });
      const good = await host.deploy("good", 1, { name: "good", sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 5 } }, channels: { c1: { type: "memory" } }, sinks: { k1: { type: "null", channel: "c1" } } });
      expect(good.state).toBe("running");
      expect(host.healthy()).toBe(false);
      // Once the port is free, reconciling the same version starts it.
      await new Promise<void>((r) => taken.close(() => r()));
      await host.reconcile([{ id: "bad", version: 1, definition: { name: "bad", sources: { web: { type: "http", bind: "127.0.0.1", port, channels: ["c1"] } }, channels: { c1: { type: "memory" } }, sinks: { k1: { type: "null", channel: "c1" } } } }, { id: "good", version: 1, definition: {} }]);
      expect(host.status().map((s) => [s.id, s.state])).toEqual([["bad", "running"], ["good", "running"]]);
    } finally {
      await host.close();
      taken.close();
    }
  });
});
