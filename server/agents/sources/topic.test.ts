import { createServer } from "node:net";
import { expect, it } from "vitest";
import { eventually, startTestBroker } from "../../broker/compat/harness";
import { FlowRuntime } from "../runtime";
import { brokerAndDir, committed, createTopics, produce, readTopics } from "../testing/topics";

const env = brokerAndDir("tributary-topic-source-");

it("topic → file channel → topic: every record arrives with its headers; offsets are committed only for records the channel took", async () => {
  await createTopics(env.broker.bootstrap, [{ name: "in", numPartitions: 2 }, { name: "out", numPartitions: 1 }]);
  await produce(env.broker.bootstrap, Array.from({ length: 1000 }, (_, i) => ({ topic: "in", key: Buffer.from(`k${i % 7}`), value: Buffer.from(`v${i}`), headers: [{ key: "app", value: Buffer.from("shop") }] })));

  // A port nothing listens on: the sink fails, the channel fills, the source must stop committing.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const deadPort = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));

  const flow = (sink: Record<string, unknown>) => ({
    name: "relay",
    sources: { r1: { type: "topic", channels: ["c1"], bootstrapServers: env.broker.bootstrap, topics: ["in"], groupId: "relay", batchSize: 100 } },
    channels: { c1: { type: "file", capacity: 300, transactionCapacity: 100, minimumRequiredSpace: 0 } },
    sinks: { k1: { type: "topic", channel: "c1", topic: "out", allowTopicOverride: false, batchSize: 100, ...sink } },
  });
  const stalled = new FlowRuntime(flow({ bootstrapServers: `127.0.0.1:${deadPort}` }), { agent: "a1", dataDir: env.dir });
  await stalled.start();
  await eventually(() => stalled.flumeMetrics()["CHANNEL.c1"].ChannelSize === 300 || undefined, 30_000, "a full channel");
  await new Promise((r) => setTimeout(r, 500));
  expect(stalled.flumeMetrics()["SOURCE.r1"]).toMatchObject({ EventAcceptedCount: 300 });
  expect(stalled.flumeMetrics()["SOURCE.r1"].ChannelWriteFail).toBeGreaterThan(0);
  expect(await committed(env.broker.bootstrap, "relay", "in")).toBe(300);
  await stalled.stop();

  // Restarted with a working sink: the file channel's 300 go out, and the group resumes after them.
  const rt = new FlowRuntime(flow({ bootstrapServers: env.broker.bootstrap }), { agent: "a1", dataDir: env.dir });
  await rt.start();
  try {
    const seen = await eventually(async () => {
      const got = new Map((await readTopics(env.broker.bootstrap, ["out"])).map((r) => [r.value!.toString(), { key: r.key?.toString(), headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ""])) }]));
      return got.size >= 1000 ? got : undefined;
    }, 30_000, "1000 records in out");
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: 1000 }, (_, i) => `v${i}`).sort());
    expect(seen.get("v8")).toMatchObject({ key: "k1", headers: { app: "shop", topic: "in", key: "k1", partition: expect.stringMatching(/^[01]$/) } });
    await eventually(async () => (await committed(env.broker.bootstrap, "relay", "in")) === 1000 || undefined, 30_000, "1000 committed");
  } finally {
    await rt.stop();
  }
}, 90_000);

it("a topic source whose brokers are unreachable backs off with the reason instead of failing the flow", async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const deadPort = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const rt = new FlowRuntime({
    name: "down",
    sources: { r1: { type: "topic", channels: ["c1"], bootstrapServers: `127.0.0.1:${deadPort}`, topics: ["in"] } },
    channels: { c1: { type: "memory" } },
    sinks: { k1: { type: "null", channel: "c1" } },
  }, { agent: "a1", dataDir: env.dir });
  await rt.start();
  try {
    await eventually(() => rt.components().r1.state === "backing_off" || undefined, 30_000, "the source to back off");
    expect(rt.components().r1.lastError).toMatch(/cannot join group flume at 127\.0\.0\.1:\d+: .*retrying/);
    expect(rt.components().k1.state).toBe("running");
  } finally {
    const t0 = Date.now();
    await rt.stop();
    expect(Date.now() - t0).toBeLessThan(5000);
  }
}, 60_000);

it("a topic source retargeted to another topic or cluster reads it from the start, and resumes each where it was: positions are the cluster's committed offsets per group, topic and partition", async () => {
  const other = await startTestBroker();
  const produceTo = (b: typeof env.broker, topic: string, from: number, n: number) => produce(b.bootstrap, Array.from({ length: n }, (_, i) => ({ topic, value: Buffer.from(`${topic}-${from + i}`) })));
  const consume = async (b: typeof env.broker, topics: string[], want: number) => {
    const rt = new FlowRuntime({
      name: "retarget",
      sources: { r1: { type: "topic", channels: ["c1"], bootstrapServers: b.bootstrap, topics, groupId: "retarget" } },
      channels: { c1: { type: "memory", capacity: 1000, transactionCapacity: 1000 } },
      sinks: {},
    }, { agent: "a1", dataDir: env.dir });
    await rt.start();
    try {
      await eventually(() => rt.channel("c1")!.size() >= want || undefined, 30_000, `${want} events in the channel`);
      await new Promise((r) => setTimeout(r, 500));
      const tx = rt.channel("c1")!.begin();
      const got = tx.take(1000).map((e) => e.body.toString());
      await tx.commit();
      return got.sort();
    } finally {
      await rt.stop();
    }
  };
  try {
    await produceTo(env.broker, "ra", 0, 10);
    await produceTo(env.broker, "rb", 0, 5);
    await produceTo(other, "ra", 100, 3);
    expect(await consume(env.broker, ["ra"], 10)).toHaveLength(10);
    expect(await consume(env.broker, ["rb"], 5)).toEqual(["rb-0", "rb-1", "rb-2", "rb-3", "rb-4"]);
    expect(await consume(other, ["ra"], 3)).toEqual(["ra-100", "ra-101", "ra-102"]);
    await produceTo(env.broker, "ra", 10, 2);
    expect(await consume(env.broker, ["ra"], 2)).toEqual(["ra-10", "ra-11"]);
  } finally {
    await other.stop();
  }
}, 120_000);
