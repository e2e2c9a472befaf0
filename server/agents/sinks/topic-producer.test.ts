import { createServer } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { kcat, startTestBroker } from "../../broker/compat/harness";
import { ConfigResourceType } from "../../kafka/constants";
import { KafkaClient, type ProducerRecord, murmur2 } from "../../kafka/client";
import { TopicProducer, type TopicProducerOptions } from "./topic-producer";

const options = (bootstrap: string, o: Partial<TopicProducerOptions> = {}): TopicProducerOptions => ({
  client: { bootstrap: [bootstrap], clientId: "t" }, acks: -1, autoCreateTopics: true, batchBytes: 16_384, maxRequestBytes: 1_048_576, ...o,
});
const sized = (topic: string, n: number, bytes: number): ProducerRecord => ({ topic, key: null, value: Buffer.from(`${n}:`.padEnd(bytes, "x")), headers: [] });

let broker: Awaited<ReturnType<typeof startTestBroker>>;
let admin: KafkaClient;
beforeAll(async () => {
  broker = await startTestBroker();
  admin = new KafkaClient({ bootstrap: [broker.bootstrap], clientId: "admin" });
  await admin.admin.createTopics([{ name: "p3", numPartitions: 3 }]);
});
afterAll(async () => {
  await admin.close();
  await broker.stop();
});

/** Runs `use` with a producer of its own on the shared broker, closed however `use` ends. */
async function withProducer<T>(o: Partial<TopicProducerOptions>, use: (producer: TopicProducer) => Promise<T>): Promise<T> {
  const producer = new TopicProducer(options(broker.bootstrap, o));
  try {
    return await use(producer);
  } finally {
    await producer.close();
  }
}

/** Reads a topic back to its end with kcat (a client we did not write): one line per record, as `format` says. */
async function readBack(topic: string, format = "%s\n"): Promise<string[]> {
  const out = await kcat(["-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format]);
  return out.split("\n").filter(Boolean);
}

it("murmur2 matches Kafka's own test vectors", () => {
  const vectors: [string, number][] = [["21", -973932308], ["foobar", -790332482], ["a-little-bit-long-string", -985981536], ["a-little-bit-longer-string", -1486304829], ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971], ["abc", 479470107]];
  for (const [k, h] of vectors) expect(murmur2(Buffer.from(k))).toBe(h);
});

it("produces keyed, unkeyed and pinned records that kcat reads back with keys, headers and partitions", async () => {
  await withProducer({ autoCreateTopics: false }, async (producer) => {
    const records: ProducerRecord[] = Array.from({ length: 300 }, (_, i) => ({
      topic: "p3",
      key: i % 3 === 0 ? null : Buffer.from(`k${i % 10}`),
      value: Buffer.from(`v${i}`),
      headers: [{ key: "n", value: Buffer.from(String(i)) }],
      ...(i % 50 === 1 ? { partition: 2 } : {}),
    }));
    for (let i = 0; i < 300; i += 100) expect(await producer.send(records.slice(i, i + 100))).toEqual([]);
    await expect(producer.send([{ ...records[0], topic: "nope" }])).rejects.toThrow(/topic nope: UNKNOWN_TOPIC_OR_PARTITION.*Create the topic, check the name, or turn on allowAutoTopicCreation/);
  });
  const got = new Map((await readBack("p3", "%p|%k|%h|%s\n")).map((l) => {
    const [partition, key, headers, value] = l.split("|");
    return [value, { partition: Number(partition), key, headers }];
  }));
  expect(got.size).toBe(300);
  for (let i = 0; i < 300; i++) {
    const g = got.get(`v${i}`)!;
    expect(g.headers).toBe(`n=${i}`);
    if (i % 50 === 1) expect(g.partition).toBe(2);
    else if (i % 3 !== 0) expect(g.partition).toBe((murmur2(Buffer.from(`k${i % 10}`)) & 0x7fffffff) % 3);
    expect(g.key).toBe(i % 3 === 0 ? "" : `k${i % 10}`);
  }
}, 60_000);

it("a broker that accepts the connection but never answers fails the send after the request timeout, naming it", async () => {
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const port = (silent.address() as { port: number }).port;
  try {
    await withProducer({ client: { bootstrap: [`127.0.0.1:${port}`], requestTimeoutMs: 300, retries: 0 } }, async (producer) => {
      const t0 = Date.now();
      await expect(producer.send([sized("t", 1, 10)])).rejects.toThrow(/127\.0\.0\.1:\d+.*REQUEST_TIMED_OUT \(no answer within 300 ms\)/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    });
  } finally {
    silent.close();
  }
}, 30_000);

it("lets the broker create a topic it does not know, as the Java producer does; and says why when the broker will not", async () => {
  expect(await withProducer({}, (producer) => producer.send([sized("made-on-first-send", 1, 10)]))).toEqual([]);
  expect(await readBack("made-on-first-send")).toEqual(["1:xxxxxxxx"]);
  const strict = await startTestBroker({ autoCreateTopics: false });
  try {
    await withProducer({ client: { bootstrap: [strict.bootstrap], clientId: "t" } }, async (producer) => {
      await expect(producer.send([sized("missing", 1, 10)])).rejects.toThrow(/topic missing: UNKNOWN_TOPIC_OR_PARTITION.*The brokers did not create it \(auto\.create\.topics\.enable is off\)/);
    });
  } finally {
    await strict.stop();
  }
}, 60_000);

it("sends 10,000 190-byte records of one take as batches within batch.size, all arriving in order", async () => {
  const records = Array.from({ length: 10_000 }, (_, i) => sized("one-take", i, 190));
  expect(await withProducer({}, (producer) => producer.send(records))).toEqual([]);
  expect(await readBack("one-take")).toEqual(records.map((r) => r.value!.toString()));
}, 60_000);

it("learns the topic's max.message.bytes and returns only the records too large for it, delivering the rest", async () => {
  await admin.admin.createTopics([{ name: "small-limit", numPartitions: 1, configs: { "max.message.bytes": "2000" } }]);
  const records = [sized("small-limit", 0, 100), sized("small-limit", 1, 1500), sized("small-limit", 2, 5000), sized("small-limit", 3, 1500), sized("small-limit", 4, 100)];
  const tooLarge = await withProducer({}, (producer) => producer.send(records));
  expect(tooLarge).toEqual([{ record: records[2], reason: expect.stringMatching(/^a record batch of \d+ bytes exceeds the topic's max\.message\.bytes 2000$/) as unknown }]);
  expect(await readBack("small-limit")).toEqual([0, 1, 3, 4].map((i) => records[i].value!.toString()));
}, 60_000);

it("a topic whose max.message.bytes was lowered after the producer learned it: the refused batches are split and sent again, in order", async () => {
  await admin.admin.createTopics([{ name: "lowered", numPartitions: 1 }]);
  await withProducer({}, async (producer) => {
    expect(await producer.send([sized("lowered", 0, 10)])).toEqual([]);
    await admin.admin.alterConfigs([{ type: ConfigResourceType.TOPIC, name: "lowered", configs: { "max.message.bytes": "3000" } }]);
    const records = [...Array.from({ length: 20 }, (_, i) => sized("lowered", i + 1, 1000)), sized("lowered", 99, 4000)];
    const tooLarge = await producer.send(records);
    expect(tooLarge).toEqual([{ record: records[20], reason: expect.stringMatching(/^a record batch of 40\d\d bytes exceeds the topic's max\.message\.bytes 3000$/) as unknown }]);
  });
  const got = await readBack("lowered");
  expect(got.map((v) => Number(v.split(":")[0]))).toEqual(Array.from({ length: 21 }, (_, i) => i));
}, 60_000);

it("compresses the record batches with kafka.producer.compression.type, which kcat decodes", async () => {
  const records = Array.from({ length: 1000 }, (_, i) => sized("zstd-out", i, 1000));
  expect(await withProducer({ compression: "zstd" }, (producer) => producer.send(records))).toEqual([]);
  expect(await readBack("zstd-out")).toEqual(records.map((r) => r.value!.toString()));
  // A megabyte of repetitive values takes a small fraction of it on disk.
  const [dir] = await admin.admin.describeLogDirs([{ topic: "zstd-out", partitions: [0] }]);
  expect(dir.partitions[0].sizeBytes).toBeLessThan(100_000);
}, 60_000);
