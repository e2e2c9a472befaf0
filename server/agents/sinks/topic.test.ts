import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FlowRuntime } from "../runtime";

it("a topic sink whose brokers are unreachable backs off with its error while the flow keeps running and the events stay in the channel", async () => {
  // A port that was just free: nothing listens there.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const dir = await mkdtemp(join(tmpdir(), "tributary-topic-sink-"));
  const rt = new FlowRuntime({
    name: "t",
    sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 50, batchSize: 10 } },
    channels: { c1: { type: "memory", capacity: 100, transactionCapacity: 100 } },
    sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: `127.0.0.1:${port}`, topic: "t1" } },
  }, { agent: "a1", dataDir: dir });
  try {
    await rt.start();
    const end = Date.now() + 30_000;
    while (rt.components().k1!.state !== "backing_off" && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(rt.components().k1).toMatchObject({ state: "backing_off", lastError: expect.stringMatching(/connect|ECONNREFUSED/i) });
    expect(rt.components().r1!.state).toBe("running");
    while ((rt.flumeMetrics()["SOURCE.r1"]!.EventAcceptedCount as number) < 50 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(rt.flumeMetrics()["CHANNEL.c1"]!.ChannelSize).toBe(50);
    expect(rt.flumeMetrics()["SINK.k1"]!.ConnectionFailedCount).toBeGreaterThan(0);
  } finally {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
