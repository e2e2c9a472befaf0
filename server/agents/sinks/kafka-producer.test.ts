import { Partitioners } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestBroker } from "../../broker/compat/harness";
import { KafkaProducer, type ProducerOptions, murmur2 } from "./kafka-producer";
import type { ProducerRecord } from "./produce-batches";

const options = (bootstrap: string, o: Partial<ProducerOptions> = {}): ProducerOptions => ({
  bootstrap: [bootstrap], clientId: "t", acks: -1, timeoutMs: 5000, allowAutoTopicCreation: true, batchBytes: 16_384, maxRequestBytes: 1_048_576, ...o,
});
const sized = (n: number, bytes: number): ProducerRecord => ({ key: null, value: Buffer.from(`${n}:`.padEnd(bytes, "x")), headers: [] });

it("murmur2 matches Kafka's (its own test vectors) and kafkajs's default partitioner", () => {
  const vectors: [string, number][] = [["21", -973932308], ["foobar", -790332482], ["a-little-bit-long-string", -985981536], ["a-little-bit-longer-string", -1486304829], ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971], ["abc", 479470107]];
  for (const [k, h] of vectors) expect(murmur2(Buffer.from(k))).toBe(h);
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  for (let i = 0; i < 200; i++) {
    const key = Buffer.from(`user-${i * 7919}`);
    expect((murmur2(key) & 0x7fffffff) % 7).toBe(partitioner({ topic: "t", partitionMetadata, message: { key, value: null } }));
  }
});

let broker: Awaited<ReturnType<typeof startTestBroker>>;
beforeAll(async () => {
  broker = await startTestBroker();
  const admin = broker.kafka("admin").admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "p3", numPartitions: 3 }] });
  await admin.disconnect();
});
afterAll(() => broker.stop());

it("produces keyed, unkeyed and pinned records that a kafkajs consumer reads back with keys, headers and partitions", async () => {
  const producer = new KafkaProducer(options(broker.bootstrap, { allowAutoTopicCreation: false }));
  try {
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: i % 3 === 0 ? null : Buffer.from(`k${i % 10}`),
      value: Buffer.from(`v${i}`),
      headers: [{ key: "n", value: Buffer.from(String(i)) }],
      ...(i % 50 === 1 ? { partition: 2 } : {}),
    }));
    for (let i = 0; i < 300; i += 100) await producer.send(new Map([["p3", records.slice(i, i + 100)]]));
    await expect(producer.send(new Map([["nope", records.slice(0, 1)]]))).rejects.toThrow(/topic nope: UNKNOWN_TOPIC_OR_PARTITION; create the topic, check the name, or turn on allowAutoTopicCreation/);
  } finally {
    producer.close();
  }
  const got = new Map<string, { partition: number; key: string | null; n: string }>();
  const consumer = broker.kafka("c").consumer({ groupId: "producer-check" });
  await consumer.connect();
  await consumer.subscribe({ topics: ["p3"], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => {
    got.set(message.value!.toString(), { partition, key: message.key?.toString() ?? null, n: String(message.headers!.n) });
  } });
  const end = Date.now() + 30_000;
  while (got.size < 300 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();
  expect(got.size).toBe(300);
  for (let i = 0; i < 300; i++) {
    const g = got.get(`v${i}`)!;
    expect(g.n).toBe(String(i));
    if (i % 50 === 1) expect(g.partition).toBe(2);
    else if (i % 3 !== 0) expect(g.partition).toBe((murmur2(Buffer.from(`k${i % 10}`)) & 0x7fffffff) % 3);
    expect(g.key).toBe(i % 3 === 0 ? null : `k${i % 10}`);
  }
  // Unkeyed records of one send share a partition (sticky), and successive sends move on.
  const unkeyed = (from: number) => new Set(Array.from({ length: 100 }, (_, j) => from + j).filter((i) => i % 3 === 0 && i % 50 !== 1).map((i) => got.get(`v${i}`)!.partition));
  expect([unkeyed(0).size, unkeyed(100).size, unkeyed(200).size]).toEqual([1, 1, 1]);
  expect(new Set([...unkeyed(0), ...unkeyed(100), ...unkeyed(200)]).size).toBe(3);
}, 60_000);

it("a broker that accepts the connection but never answers fails the send after the timeout, naming it", async () => {
  const { createServer } = await import("node:net");
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const port = (silent.address() as { port: number }).port;
  const producer = new KafkaProducer(options(`127.0.0.1:${port}`, { timeoutMs: 100 }));
  try {
    const t0 = Date.now();
    await expect(producer.send(new Map([["t", [{ key: null, value: Buffer.from("x"), headers: [] }]]]))).rejects.toThrow(/cannot reach any broker of 127\.0\.0\.1:\d+ \(no answer from 127\.0\.0\.1:\d+ within 5100 ms\)/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  } finally {
    producer.close();
    silent.close();
  }
}, 30_000);

/** Reads a topic back to its end with kcat: one line per record value. */
async function readBack(bootstrap: string, topic: string): Promise<string[]> {
  const { kcat } = await import("../../broker/compat/harness");
  const out = await kcat(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
  return out.split("\n").filter(Boolean);
}

it("lets the broker create a topic it does not know, as the Java producer does; and says why when the broker will not", async () => {
  const producer = new KafkaProducer(options(broker.bootstrap));
  try {
    expect(await producer.send(new Map([["made-on-first-send", [sized(1, 10)]]]))).toEqual([]);
  } finally {
    producer.close();
  }
  expect(await readBack(broker.bootstrap, "made-on-first-send")).toEqual(["1:xxxxxxxx"]);
  const strict = await startTestBroker({ autoCreateTopics: false });
  const p2 = new KafkaProducer(options(strict.bootstrap));
  try {
    await expect(p2.send(new Map([["missing", [sized(1, 10)]]]))).rejects.toThrow(/topic missing: UNKNOWN_TOPIC_OR_PARTITION and the brokers did not create it \(auto\.create\.topics\.enable is off\)/);
  } finally {
    p2.close();
    await strict.stop();
  }
}, 60_000);

it("sends 10,000 190-byte records of one take as batches within batch.size, all arriving in order", async () => {
  const producer = new KafkaProducer(options(broker.bootstrap));
  const records = Array.from({ length: 10_000 }, (_, i) => sized(i, 190));
  try {
    expect(await producer.send(new Map([["one-take", records]]))).toEqual([]);
  } finally {
    producer.close();
  }
  const got = await readBack(broker.bootstrap, "one-take");
  expect(got).toEqual(records.map((r) => r.value.toString()));
}, 60_000);

it("learns the topic's max.message.bytes and returns only the records too large for it, delivering the rest", async () => {
  const admin = broker.kafka("admin").admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "small-limit", numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "2000" }] }] });
  await admin.disconnect();
  const producer = new KafkaProducer(options(broker.bootstrap));
  const records = [sized(0, 100), sized(1, 1500), sized(2, 5000), sized(3, 1500), sized(4, 100)];
  try {
    const tooLarge = await producer.send(new Map([["small-limit", records]]));
    expect(tooLarge).toEqual([{ topic: "small-limit", record: records[2], reason: expect.stringMatching(/^a record batch of \d+ bytes exceeds the topic's max\.message\.bytes 2000$/) }]);
  } finally {
    producer.close();
  }
  expect(await readBack(broker.bootstrap, "small-limit")).toEqual([0, 1, 3, 4].map((i) => records[i].value.toString()));
}, 60_000);

it("a topic whose max.message.bytes was lowered after the producer learned it: the refused batches are cut smaller and sent again, once", async () => {
  const admin = broker.kafka("admin").admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "lowered", numPartitions: 1 }] });
  const producer = new KafkaProducer(options(broker.bootstrap));
  try {
    expect(await producer.send(new Map([["lowered", [sized(0, 10)]]]))).toEqual([]);
    const { ConfigResourceTypes } = await import("kafkajs");
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "lowered", configEntries: [{ name: "max.message.bytes", value: "3000" }] }] });
    const records = [...Array.from({ length: 20 }, (_, i) => sized(i + 1, 1000)), sized(99, 4000)];
    const tooLarge = await producer.send(new Map([["lowered", records]]));
    expect(tooLarge.map((t) => t.record)).toEqual([records[20]]);
  } finally {
    producer.close();
    await admin.disconnect();
  }
  const got = await readBack(broker.bootstrap, "lowered");
  expect(got.map((v) => Number(v.split(":")[0]))).toEqual(Array.from({ length: 21 }, (_, i) => i));
}, 60_000);
