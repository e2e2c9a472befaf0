import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { eventually } from "../../broker/compat/harness";
import { FlowRuntime } from "../runtime";
import { createTopics, readTopics } from "../testing/topics";

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
    while (rt.components().k1.state !== "backing_off" && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(rt.components().k1).toMatchObject({ state: "backing_off", lastError: expect.stringMatching(/connect|ECONNREFUSED/i) });
    expect(rt.components().r1.state).toBe("running");
    while ((rt.flumeMetrics()["SOURCE.r1"].EventAcceptedCount as number) < 50 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(rt.flumeMetrics()["CHANNEL.c1"].ChannelSize).toBe(50);
    expect(rt.flumeMetrics()["SINK.k1"].ConnectionFailedCount).toBeGreaterThan(0);
  } finally {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);

it("produces to the real broker with key and partition from headers, the event's headers as record headers, and the topic header overriding the topic", async () => {
  const { startTestBroker } = await import("../../broker/compat/harness");
  const broker = await startTestBroker();
  const dir = await mkdtemp(join(tmpdir(), "tributary-topic-sink-"));
  await createTopics(broker.bootstrap, [{ name: "main", numPartitions: 3 }, { name: "other", numPartitions: 1 }]);
  const rt = new FlowRuntime({
    name: "t",
    sources: {
      r1: { type: "seq", channels: ["c1"], totalEvents: 30, batchSize: 10, interceptors: [{ type: "static", key: "user", value: "u-7" }, { type: "static", key: "p", value: "2" }] },
      r2: { type: "seq", channels: ["c1"], totalEvents: 5, batchSize: 5, interceptors: [{ type: "static", key: "topic", value: "other" }] },
    },
    channels: { c1: { type: "memory" } },
    sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: broker.bootstrap, topic: "main", keyHeader: "user", partitionHeader: "p" } },
  }, { agent: "a1", dataDir: dir });
  try {
    await rt.start();
    const got = (await eventually(async () => {
      const records = await readTopics(broker.bootstrap, ["main", "other"]);
      return records.length >= 35 ? records : undefined;
    }, 30_000, "35 records")).map((r) => ({ topic: r.topic, partition: r.partition, key: r.key?.toString(), value: r.value!.toString(), headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ""])) }));
    const main = got.filter((g) => g.topic === "main");
    expect(main).toHaveLength(30);
    expect(main.every((g) => g.partition === 2 && g.key === "u-7" && g.headers.user === "u-7")).toBe(true);
    expect(main.map((g) => Number(g.value)).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(got.filter((g) => g.topic === "other")).toHaveLength(5);
  } finally {
    await rt.stop();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);

it("with a dead-letter topic, an event too large for its topic goes there with the reason in its headers; one too large for both goes to the file", async () => {
  const { startTestBroker, kcat } = await import("../../broker/compat/harness");
  const broker = await startTestBroker();
  const dir = await mkdtemp(join(tmpdir(), "tributary-topic-sink-"));
  await createTopics(broker.bootstrap, [{ name: "dl-main" }, { name: "dl-dlq", configs: { "max.message.bytes": "5000000" } }]);
  const rt = new FlowRuntime({
    name: "t",
    sources: {},
    channels: { c1: { type: "memory" } },
    // Requests may carry 5 MB, so the dead-letter topic can take what dl-main (1 MiB) cannot.
    sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: broker.bootstrap, topic: "dl-main", deadLetterTopic: "dl-dlq", maxRequestBytes: 5_000_000 } },
  }, { agent: "a1", dataDir: dir });
  try {
    await rt.start();
    const tx = rt.channel("c1")!.begin();
    tx.put(["small1", "a".repeat(2_000_000), "small2", "b".repeat(6_000_000)].map((body) => ({ headers: { app: "x" }, body: Buffer.from(body) })));
    await tx.commit();
    const end = Date.now() + 30_000;
    while ((rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount as number) < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(rt.flumeMetrics()["SINK.k1"]).toMatchObject({ EventDrainSuccessCount: 4, EventDeadLetterCount: 2 });
    const main = await kcat(["-b", broker.bootstrap, "-C", "-t", "dl-main", "-o", "beginning", "-e", "-q"]);
    expect(main.split("\n").filter(Boolean)).toEqual(["small1", "small2"]);
    const dlq = await kcat(["-b", broker.bootstrap, "-C", "-t", "dl-dlq", "-o", "beginning", "-e", "-q", "-f", "%h|%S\n"]);
    expect(dlq).toMatch(/^app=x,deadletter\.topic=dl-main,deadletter\.reason=a record batch of 2000\d+ bytes exceeds the topic's max\.message\.bytes 1048588\|2000000\n$/);
    const file = (await readFile(join(dir, "t", "k1", "dead-letters.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { topic: string; reason: string; body: string });
    expect(file).toHaveLength(1);
    expect(file[0]).toMatchObject({ topic: "dl-main", reason: expect.stringMatching(/^a record batch of 6000\d+ bytes exceeds the topic's max\.message\.bytes 1048588; the dead-letter topic dl-dlq refused it too \(a record batch of 6000\d+ bytes exceeds the topic's max\.message\.bytes 5000000\)$/) });
    expect(Buffer.from(file[0].body, "base64").toString()).toBe("b".repeat(6_000_000));
  } finally {
    await rt.stop();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
