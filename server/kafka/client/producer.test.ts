import { describe, expect, it } from "vitest";
import { startTestProxy, withBrokerAndClient, type TestBroker } from "./testing";
import { readBatchHeader, forEachBatch } from "../records/batch";
import { captureLogs, eventually, kcat, startTestBroker } from "../../broker/compat/harness";
import { KafkaClient, KafkaClientError, KafkaProduceError } from "./index";
import { partitionForKey } from "./partitioner";
import { IsolationLevel, ListOffsetsTimestamp } from "../constants";

import { ApiKey } from "../messages";

let t: TestBroker;
let client: KafkaClient;
withBrokerAndClient({ numPartitions: 3 }, "producer-test", (env) => ({ t, client } = env));

async function readAll(topic: string, partition: number): Promise<{ key: string | null; value: string; headers: string }[]> {
  const out = await kcat(["-b", t.bootstrap, "-C", "-t", topic, "-p", String(partition), "-o", "beginning", "-e", "-f", "%k|%s|%h\\n"]);
  return out.split("\n").filter(Boolean).map((l) => {
    const [key, value, headers] = l.split("|");
    return { key: key === "" ? null : key, value, headers };
  });
}

describe("producer", () => {
  it("writes keyed records where Kafka's partitioner puts them, with headers, and kcat reads them back", async () => {
    await client.admin.createTopics([{ name: "keyed", numPartitions: 4 }]);
    const p = client.producer();
    const records = Array.from({ length: 200 }, (_, i) => ({ topic: "keyed", key: Buffer.from(`k${i % 17}`), value: Buffer.from(`v${i}`), headers: [{ key: "n", value: Buffer.from(String(i)) }] }));
    const meta = await p.send(records);
    await p.close();
    expect(meta).toHaveLength(200);
    meta.forEach((m, i) => expect(m.partition).toBe(partitionForKey(Buffer.from(`k${i % 17}`), 4)));
    const seen = new Map<string, { partition: number; key: string | null; headers: string }>();
    for (let part = 0; part < 4; part++) for (const r of await readAll("keyed", part)) seen.set(r.value, { partition: part, key: r.key, headers: r.headers });
    expect(seen.size).toBe(200);
    for (let i = 0; i < 200; i++) expect(seen.get(`v${i}`)).toEqual({ partition: meta[i].partition, key: `k${i % 17}`, headers: `n=${i}` });
    // Offsets reported are the offsets stored: per partition 0..n-1 in send order.
    const perPartition = new Map<number, number[]>();
    for (const m of meta) perPartition.set(m.partition, [...(perPartition.get(m.partition) ?? []), m.offset]);
    for (const offsets of perPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
  });

  it("compresses with every codec and kcat decodes each", async () => {
    for (const codec of ["gzip", "snappy", "lz4", "zstd"] as const) {
      const topic = `produced-${codec}`;
      await client.admin.createTopics([{ name: topic, numPartitions: 1 }]);
      const p = client.producer({ compression: codec });
      await p.send(Array.from({ length: 300 }, (_, i) => ({ topic, value: Buffer.from(`${codec}-${i}-${"y".repeat(40)}`) })));
      await p.close();
      const stored = await t.broker.logs.partition(topic, 0).read(0, 1 << 20);
      expect(readBatchHeader(stored.records).compression).toBe({ gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[codec]);
      expect((await readAll(topic, 0)).map((r) => r.value)).toEqual(Array.from({ length: 300 }, (_, i) => `${codec}-${i}-${"y".repeat(40)}`));
    }
  });

  it("bounds batches by batchSize and requests by maxRequestSize, and refuses a record no request can carry", async () => {
    await client.admin.createTopics([{ name: "bounded", numPartitions: 1 }]);
    const p = client.producer({ batchSize: 4096, maxRequestSize: 20_000 });
    await p.send(Array.from({ length: 400 }, (_, i) => ({ topic: "bounded", value: Buffer.alloc(100, i % 256) })));
    const stored = await t.broker.logs.partition("bounded", 0).read(0, 1 << 22);
    const sizes: number[] = [];
    forEachBatch(stored.records, (h) => sizes.push(h.size));
    expect(sizes.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    await expect(p.send([{ topic: "bounded", value: Buffer.alloc(30_000) }])).rejects.toThrow(/record 0 for bounded: MESSAGE_TOO_LARGE \(\d+ bytes, max.request.size allows \d+\)/);
    await p.close();
  });

  it("stamps idempotent batches with one producer id and consecutive sequences", async () => {
    await client.admin.createTopics([{ name: "idem", numPartitions: 1 }]);
    const p = client.producer({ batchSize: 2048 });
    await Promise.all([0, 1, 2].map((k) => p.send(Array.from({ length: 100 }, (_, i) => ({ topic: "idem", partition: 0, value: Buffer.from(`${k}-${i}-${"z".repeat(30)}`) })))));
    await p.close();
    const stored = await t.broker.logs.partition("idem", 0).read(0, 1 << 22);
    const headers: { producerId: number; baseSequence: number; count: number; baseOffset: number }[] = [];
    forEachBatch(stored.records, (h) => headers.push({ producerId: h.producerId, baseSequence: h.baseSequence, count: h.recordCount, baseOffset: h.baseOffset }));
    expect(new Set(headers.map((h) => h.producerId)).size).toBe(1);
    expect(headers[0].producerId).toBeGreaterThanOrEqual(0);
    let seq = 0;
    for (const h of headers) {
      expect(h.baseSequence).toBe(seq);
      expect(h.baseOffset).toBe(seq);
      seq += h.count;
    }
    expect(seq).toBe(300);
  });

  it("a batch the broker refuses (too large for the topic) fails alone: later batches get through in order under a new producer id", async () => {
    await client.admin.createTopics([{ name: "small-msgs", numPartitions: 1, configs: { "max.message.bytes": "2000" } }]);
    const p = client.producer({ lingerMs: 0 });
    await p.send([{ topic: "small-msgs", value: Buffer.from("first") }]);
    const big = p.send([{ topic: "small-msgs", value: Buffer.alloc(5000) }]);
    const after = Array.from({ length: 10 }, (_, i) => p.send([{ topic: "small-msgs", value: Buffer.from(`after-${i}`) }]));
    await expect(big).rejects.toThrow(/1 of 1 records were not written; the first: Produce to small-msgs-0: MESSAGE_TOO_LARGE.*raise the topic's max.message.bytes/);
    await Promise.all(after);
    // In one send, the refused record is named and the others' offsets are given.
    const mixed = await p.send([{ topic: "small-msgs", value: Buffer.from("ok-a") }, { topic: "small-msgs", value: Buffer.alloc(5000) }, { topic: "small-msgs", value: Buffer.from("ok-b") }]).catch((e: unknown) => e);
    expect(mixed).toBeInstanceOf(KafkaProduceError);
    const failure = mixed as KafkaProduceError;
    expect(failure.failures.map((f) => [f.index, (f.error as KafkaClientError).type])).toEqual([[1, "MESSAGE_TOO_LARGE"]]);
    expect(failure.results.map((r) => r?.offset)).toEqual([11, undefined, 12]);
    await p.close();
    const fetched = await client.fetch([{ topic: "small-msgs", partition: 0, offset: 0 }]);
    expect(fetched[0].records.map((r) => r.value!.toString())).toEqual(["first", ...Array.from({ length: 10 }, (_, i) => `after-${i}`), "ok-a", "ok-b"]);
    const stored = await t.broker.logs.partition("small-msgs", 0).read(0, 1 << 20);
    const ids: number[] = [];
    const sequences: number[] = [];
    forEachBatch(stored.records, (h) => {
      ids.push(h.producerId);
      sequences.push(h.baseSequence);
    });
    // The refused batch left a sequence gap: what followed went under a new id, from sequence 0.
    expect(ids[ids.length - 1]).not.toBe(ids[0]);
    expect(sequences[ids.indexOf(ids[ids.length - 1])]).toBe(0);
  });

  it("lingers: records sent within lingerMs share one batch", async () => {
    await client.admin.createTopics([{ name: "linger", numPartitions: 1 }]);
    const p = client.producer({ lingerMs: 200 });
    const sends = [p.send([{ topic: "linger", value: Buffer.from("a") }])];
    await new Promise((r) => setTimeout(r, 50));
    sends.push(p.send([{ topic: "linger", value: Buffer.from("b") }]), p.send([{ topic: "linger", value: Buffer.from("c") }]));
    await Promise.all(sends);
    await p.close();
    const stored = await t.broker.logs.partition("linger", 0).read(0, 1 << 20);
    const counts: number[] = [];
    forEachBatch(stored.records, (h) => counts.push(h.recordCount));
    expect(counts).toEqual([3]);
  });

  it("acks 0 and 1 deliver too (acks 0 reports no offsets)", async () => {
    await client.admin.createTopics([{ name: "acks", numPartitions: 1 }]);
    const p0 = client.producer({ acks: 0 });
    const m0 = await p0.send([{ topic: "acks", value: Buffer.from("zero") }]);
    expect(m0[0].offset).toBe(-1);
    await p0.close();
    const p1 = client.producer({ acks: 1 });
    const m1 = await p1.send([{ topic: "acks", value: Buffer.from("one") }]);
    await p1.close();
    await eventually(async () => (await readAll("acks", 0)).length === 2 || undefined, 10_000, "both records");
    expect(m1[0].offset).toBe(1);
  });

  it("retries a request whose connection drops mid-flight, in order and without duplicates", async () => {
    const proxy = await startTestProxy();
    // The broker advertises the proxy, so bootstrap and leader connections all go through it.
    const behind = await startTestBroker({ advertisedPort: proxy.port });
    proxy.target(`127.0.0.1:${behind.broker.address().port}`);
    const viaProxy = new KafkaClient({ bootstrap: [proxy.address], clientId: "drop-test", retryBackoffMs: 20 });
    try {
      await viaProxy.admin.createTopics([{ name: "dropped", numPartitions: 1 }]);
      const p = viaProxy.producer({ lingerMs: 0 });
      await p.send([{ topic: "dropped", value: Buffer.from("before") }]);
      // The next Produce reaches the broker and is written; its answer never arrives.
      proxy.dropOnNext(ApiKey.Produce);
      const sends = Array.from({ length: 20 }, (_, i) => p.send([{ topic: "dropped", value: Buffer.from(`r${i}`) }]));
      await Promise.all(sends);
      await p.close();
      expect(proxy.dropped).toBe(1);
      const fetched = await viaProxy.fetch([{ topic: "dropped", partition: 0, offset: 0 }]);
      expect(fetched[0].records.map((r) => r.value!.toString())).toEqual(["before", ...Array.from({ length: 20 }, (_, i) => `r${i}`)]);
    } finally {
      await viaProxy.close();
      await proxy.close();
      await behind.stop();
    }
  });

  it("says which topic is missing when auto-creation is off, and a refused send gives its buffer room back", async () => {
    const p = client.producer({ autoCreateTopics: false, maxBufferedBytes: 4096 });
    for (let i = 0; i < 3; i++) await expect(p.send([{ topic: "no-such-topic", value: Buffer.alloc(3000) }])).rejects.toThrow(/topic no-such-topic: UNKNOWN_TOPIC_OR_PARTITION \(the cluster has no such topic\); create the topic/);
    // Were the refused bytes still counted, this send would wait for room forever.
    await p.send([{ topic: "keyed", partition: 0, value: Buffer.alloc(3000) }]);
    await p.close();
    const [latest] = await client.admin.listOffsets([{ topic: "keyed", partition: 0, timestamp: ListOffsetsTimestamp.LATEST }]);
    expect(latest.offset).toBeGreaterThan(0);
  });
});

describe("producer closing", () => {
  it("stops for good once closed after a refused batch: the producer id it would renew is nobody's any more", async () => {
    const own = await startTestBroker();
    const c = new KafkaClient({ bootstrap: [own.bootstrap], clientId: "closing-test" });
    const logs = captureLogs();
    try {
      await c.admin.createTopics([{ name: "tiny", numPartitions: 1, configs: { "max.message.bytes": "1000" } }]);
      const p = c.producer({ lingerMs: 0 });
      await expect(p.send([{ topic: "tiny", value: Buffer.alloc(5000) }])).rejects.toBeInstanceOf(KafkaProduceError);
      await p.close();
      await c.close();
      await new Promise((r) => setTimeout(r, 1500));
      expect(logs.lines.filter((l) => l.msg === "producer drain failed; retrying after a back-off")).toEqual([]);
    } finally {
      logs.stop();
      await c.close();
      await own.stop();
    }
  });
});

describe("transactional producer", () => {
  const values = async (topic: string, isolationLevel: number) => {
    const fetched = await client.fetch([0, 1].map((partition) => ({ topic, partition, offset: 0 })), { isolationLevel });
    return fetched.flatMap((f) => f.records.map((r) => r.value!.toString())).sort();
  };

  it("commits records on two partitions and a group's offsets at once, aborts others unseen by read_committed, and is fenced by a newer producer with its id", async () => {
    await client.admin.createTopics([{ name: "txn-out", numPartitions: 2 }]);
    const p = client.producer({ transactionalId: "txn-test" });
    await expect(p.send([{ topic: "txn-out", value: Buffer.from("x") }])).rejects.toThrow(/beginTransaction/);
    await p.beginTransaction();
    await p.send([0, 1].map((partition) => ({ topic: "txn-out", partition, value: Buffer.from(`committed-${partition}`) })));
    await p.sendOffsetsToTransaction("txn-group", [{ topic: "txn-out", partition: 0, offset: 7 }]);
    // Open: read_committed sees nothing yet, nor the group its offset.
    expect(await values("txn-out", IsolationLevel.READ_COMMITTED)).toEqual([]);
    await p.commitTransaction();
    expect(await values("txn-out", IsolationLevel.READ_COMMITTED)).toEqual(["committed-0", "committed-1"]);
    expect(await client.admin.fetchOffsets("txn-group")).toMatchObject([{ topic: "txn-out", partition: 0, offset: 7 }]);

    await p.beginTransaction();
    await p.send([0, 1].map((partition) => ({ topic: "txn-out", partition, value: Buffer.from(`aborted-${partition}`) })));
    await p.sendOffsetsToTransaction("txn-group", [{ topic: "txn-out", partition: 0, offset: 9 }]);
    await p.abortTransaction();
    expect(await values("txn-out", IsolationLevel.READ_COMMITTED)).toEqual(["committed-0", "committed-1"]);
    expect(await values("txn-out", IsolationLevel.READ_UNCOMMITTED)).toEqual(["aborted-0", "aborted-1", "committed-0", "committed-1"]);
    expect(await client.admin.fetchOffsets("txn-group")).toMatchObject([{ offset: 7 }]);

    // The zombie has a transaction open when its successor starts: the successor's InitProducerId aborts it and fences it.
    await p.beginTransaction();
    await p.send([{ topic: "txn-out", partition: 0, value: Buffer.from("zombie") }]);
    const next = client.producer({ transactionalId: "txn-test" });
    await next.initTransactions();
    await expect(p.commitTransaction()).rejects.toThrow(/PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/);
    await next.beginTransaction();
    await next.send([{ topic: "txn-out", partition: 1, value: Buffer.from("successor") }]);
    await next.commitTransaction();
    expect(await values("txn-out", IsolationLevel.READ_COMMITTED)).toEqual(["committed-0", "committed-1", "successor"]);
    await next.close();
  });
});
