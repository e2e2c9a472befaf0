import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventually } from "../../broker/compat/harness";
import { KafkaClient } from "../../kafka/client";
import { IsolationLevel } from "../../kafka/constants";
import { FileChannel, fileChannelSchema } from "../channels/file";
import { FlowConfigError, parseFlow } from "../flow";
import { FlowRuntime } from "../runtime";
import { brokerAndDir, committed, createTopics, produce, readTopics } from "../testing/topics";

const flow = (bootstrap: string, over: { source?: Record<string, unknown>; sink?: Record<string, unknown>; channels?: Record<string, unknown>; sinks?: Record<string, unknown> } = {}) => ({
  name: "eos",
  sources: { r1: { type: "topic", channels: ["c1"], bootstrapServers: bootstrap, topics: ["in"], groupId: "eos-relay", batchSize: 100, ...over.source } },
  channels: { c1: { type: "file", transactionCapacity: 100, minimumRequiredSpace: 0 }, ...over.channels },
  sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: bootstrap, topic: "out", allowTopicOverride: false, batchSize: 100, transactionalId: "eos-relay-k1", ...over.sink }, ...over.sinks },
});

function problems(f: unknown): string[] {
  try {
    parseFlow(f);
    return [];
  } catch (e) {
    return (e as FlowConfigError).problems;
  }
}

describe("exactly-once flow checks", () => {
  const b = "127.0.0.1:9092";
  it("accepts a topic source → channel → transactional topic sink", () => {
    expect(problems(flow(b))).toEqual([]);
  });

  it("refuses, naming transactionalId, flows whose transactions could not cover every record", () => {
    const eos = "sinks.k1.transactionalId: exactly-once (transactionalId, Kafka's kafka.producer.transactional.id)";
    expect(problems({ ...flow(b), sources: { r1: { type: "seq", channels: ["c1"] } } })).toEqual([`${eos} needs exactly one source putting into channel "c1", a topic source; it has r1 (seq)`]);
    expect(problems(flow(b, { sinks: { k2: { type: "null", channel: "c1" } } }))).toEqual([`${eos} needs this sink to be the only one taking from channel "c1"; k2 take from it too`]);
    expect(problems(flow(b, { source: { channels: ["c1", "c2"] }, channels: { c2: { type: "memory" } } }))).toEqual([`${eos} needs source r1 to put into channel "c1" only, as the sink commits the offsets of everything it reads; it also puts into c2`]);
    expect(problems(flow(b, { sink: { bootstrapServers: "127.0.0.1:9093" } }))).toEqual([`${eos} needs source r1 and this sink on the same brokers (bootstrapServers), as one transaction holds the records and the source group's offsets`]);
    expect(problems(flow(b, { sink: { acks: 1 } }))).toEqual([`${eos} needs acks "all"`]);
    expect(problems(flow(b, { source: { setTopicHeader: false } }))).toEqual([`${eos} needs setTopicHeader on source r1: the header says which topic each record's offset belongs to`]);
    expect(problems(flow(b, { sink: { allowTopicOverride: true } }))).toEqual([`${eos} would write every record back to its input topic (the "topic" header the source sets chooses the topic); set allowTopicOverride = false or another topicHeader`]);
  });
});

describe("on a real broker", () => {
  const env = brokerAndDir("tributary-topic-eos-");

  const describeSinkTransaction = async () => {
    const client = new KafkaClient({ bootstrap: [env.broker.bootstrap], clientId: "test-admin" });
    return (await client.admin.describeTransactions(["eos-relay-k1"]).finally(() => client.close()))[0];
  };

  it("delivers every input once in transactions, commits the source's offsets in them, and drops copies a crash left in the channel", async () => {
    await createTopics(env.broker.bootstrap, [{ name: "in", numPartitions: 3 }, { name: "out", numPartitions: 2 }]);
    await produce(env.broker.bootstrap, Array.from({ length: 900 }, (_, i) => ({ topic: "in", partition: i % 3, value: Buffer.from(`v${i}`) })));
    const values = async (isolation: number = IsolationLevel.READ_COMMITTED) => (await readTopics(env.broker.bootstrap, ["out"], isolation)).map((r) => r.value!.toString());

    const rt = new FlowRuntime(flow(env.broker.bootstrap), { agent: "a1", dataDir: env.dir });
    await rt.start();
    try {
      await eventually(async () => ((await values()).length >= 900 ? true : undefined), 30_000, "900 records committed");
      await eventually(async () => ((await committed(env.broker.bootstrap, "eos-relay", "in")) === 900 ? true : undefined), 10_000, "the group's offsets at the end");
    } finally {
      await rt.stop();
    }
    const txn = await describeSinkTransaction();
    expect(txn).toMatchObject({ state: "CompleteCommit", producerEpoch: 0 });
    const first = await values();
    expect(first.sort()).toEqual(Array.from({ length: 900 }, (_, i) => `v${i}`).sort());
    const out = await readTopics(env.broker.bootstrap, ["out"]);
    // The records carry where they came from, which is how a copy is recognised.
    expect(Object.fromEntries(out[0].headers.map((h) => [h.key, h.value?.toString()]))).toMatchObject({ topic: "in", partition: expect.stringMatching(/^[0-2]$/), offset: expect.stringMatching(/^\d+$/) });

    // What a SIGKILL between EndTxn(commit) and the channel's commit leaves: the delivered events still in the channel.
    const ch = new FileChannel("c1", fileChannelSchema.parse({ type: "file", dataDir: join(env.dir, "eos", "c1"), minimumRequiredSpace: 0, transactionCapacity: 100 }));
    await ch.start();
    const tx = ch.begin();
    tx.put(Array.from({ length: 50 }, (_, i) => ({ headers: { topic: "in", partition: "1", offset: String(i) }, body: Buffer.from(`copy${i}`) })));
    await tx.commit();
    await ch.stop();
    await produce(env.broker.bootstrap, Array.from({ length: 30 }, (_, i) => ({ topic: "in", partition: 0, value: Buffer.from(`w${i}`) })));

    const again = new FlowRuntime(flow(env.broker.bootstrap), { agent: "a1", dataDir: env.dir });
    await again.start();
    try {
      await eventually(async () => ((await values()).length >= 930 ? true : undefined), 30_000, "the 30 new records");
      await eventually(() => again.flumeMetrics()["SINK.k1"].EventDuplicateCount === 50 || undefined, 10_000, "the 50 copies dropped");
      expect(again.flumeMetrics()["CHANNEL.c1"].ChannelSize).toBe(0);
    } finally {
      await again.stop();
    }
    const all = await values();
    expect(all).toHaveLength(930);
    expect(all.filter((v) => v.startsWith("copy"))).toEqual([]);
    expect(new Set(all).size).toBe(930);
    expect(await committed(env.broker.bootstrap, "eos-relay", "in")).toBe(930);
    // The restarted sink's InitProducerId bumped the epoch, fencing the first incarnation.
    expect(await describeSinkTransaction()).toMatchObject({ state: "CompleteCommit", producerId: txn.producerId, producerEpoch: 1 });
    // Each take was a transaction: read_uncommitted sees the same data records, control markers never.
    expect((await values(IsolationLevel.READ_UNCOMMITTED)).sort()).toEqual(all.sort());
  }, 60_000);
});
