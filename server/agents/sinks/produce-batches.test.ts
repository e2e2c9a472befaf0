import { describe, expect, it } from "vitest";
import { Writer } from "../../kafka/codec";
import { APIS, ApiKey } from "../../kafka/messages";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { encodeStruct } from "../../kafka/schema";
import { type PartitionBatch, type ProducerRecord, planRequests, singleRecordBatchBytes, splitIntoBatches } from "./produce-batches";

const line = (i: number, bytes = 190): ProducerRecord => ({ key: null, value: Buffer.from(`${i}:`.padEnd(bytes, "x")), headers: [] });
const limits = { batchBytes: 16_384, maxBatchBytes: 1_048_588 };

/** The Produce v7 request a plan's request becomes, encoded as the sink sends it (header included). */
function encodedRequestBytes(request: PartitionBatch[], clientId: string): number {
  const byTopic = new Map<string, PartitionBatch[]>();
  for (const b of request) (byTopic.get(b.topic) ?? byTopic.set(b.topic, []).get(b.topic)!).push(b);
  const topicData = [...byTopic].map(([name, bs]) => ({ name, partitionData: bs.map((b) => ({ index: b.partition, records: encodeRecordBatch(b.records) })) }));
  const w = new Writer(512);
  w.int16(ApiKey.Produce);
  w.int16(7);
  w.int32(1);
  w.int16(Buffer.byteLength(clientId));
  w.bytes(Buffer.from(clientId));
  encodeStruct(w, APIS.get(ApiKey.Produce)!.request.fields, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData }, 7, false);
  return w.frame().reduce((n, c) => n + c.length, 0);
}

describe("splitIntoBatches", () => {
  it("knows each batch's encoded size exactly, with keys, null keys and multi-byte header names", () => {
    const records: ProducerRecord[] = Array.from({ length: 300 }, (_, i) => ({
      key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
      value: Buffer.alloc((i * 37) % 500, 1),
      headers: i % 2 ? [{ key: "fichier-é", value: Buffer.from(`/var/log/${i}`) }, { key: "n", value: null }] : [],
    }));
    const { batches } = splitIntoBatches("t", 0, records, { batchBytes: 4096, maxBatchBytes: 1 << 20 });
    expect(batches.length).toBeGreaterThan(5);
    for (const b of batches) expect(encodeRecordBatch(b.records).length).toBe(b.bytes);
  });

  it("cuts 10,000 190-byte lines (one Flume take) into full batches of at most batch.size, keeping every line in order", () => {
    const records = Array.from({ length: 10_000 }, (_, i) => line(i));
    const { batches, tooLarge } = splitIntoBatches("t", 0, records, limits);
    expect(tooLarge).toEqual([]);
    expect(batches.flatMap((b) => b.records)).toEqual(records);
    for (const [i, b] of batches.entries()) {
      expect(b.bytes).toBeLessThanOrEqual(16_384);
      // Full: the next record would not have fitted.
      if (i < batches.length - 1) expect(encodeRecordBatch([...b.records, batches[i + 1].records[0]]).length).toBeGreaterThan(16_384);
    }
    expect(batches.length).toBe(Math.ceil(10_000 / batches[0].records.length));
  });

  it("sends a record larger than batch.size alone, and sets aside only the records too large for the topic", () => {
    const big = line(1, 50_000);
    const huge = line(2, 2_000_000);
    const records = [line(0), big, huge, line(3)];
    const { batches, tooLarge } = splitIntoBatches("t", 0, records, limits);
    expect(tooLarge).toEqual([huge]);
    expect(batches.map((b) => b.records)).toEqual([[records[0]], [big], [records[3]]]);
  });

  it("never grows a batch past the topic's limit when that is below batch.size", () => {
    const records = Array.from({ length: 50 }, (_, i) => line(i, 700));
    const { batches } = splitIntoBatches("t", 0, records, { batchBytes: 16_384, maxBatchBytes: 2000 });
    expect(batches.flatMap((b) => b.records)).toEqual(records);
    for (const b of batches) expect(encodeRecordBatch(b.records).length).toBeLessThanOrEqual(2000);
    expect(batches.every((b) => b.records.length === 2)).toBe(true);
  });

  it("measures a record against the topic's limit as the broker does: the whole batch of one", () => {
    const r = line(0, 1000);
    const exact = encodeRecordBatch([r]).length;
    expect(singleRecordBatchBytes(r)).toBe(exact);
    expect(splitIntoBatches("t", 0, [r], { batchBytes: 16_384, maxBatchBytes: exact }).tooLarge).toEqual([]);
    expect(splitIntoBatches("t", 0, [r], { batchBytes: 16_384, maxBatchBytes: exact - 1 }).tooLarge).toEqual([r]);
  });
});

describe("planRequests", () => {
  const perPartition = (topic: string, partitions: number, lines: number) =>
    Array.from({ length: partitions }, (_, p) => splitIntoBatches(topic, p, Array.from({ length: lines }, (_, i) => line(p * lines + i)), limits).batches);

  it("puts each partition at most once in a request, keeps its batches in order and every request within max.request.size", () => {
    const queues = [...perPartition("logs", 6, 3000), ...perPartition("other-topic", 2, 500)];
    const requests = planRequests(queues, 100_000, "tributary-agent".length);
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) {
      expect(new Set(r.map((b) => `${b.topic}/${b.partition}`)).size).toBe(r.length);
      expect(encodedRequestBytes(r, "tributary-agent")).toBeLessThanOrEqual(100_000);
    }
    for (const q of queues) {
      const sent = requests.flat().filter((b) => b.topic === q[0].topic && b.partition === q[0].partition);
      expect(sent).toEqual(q);
    }
  });

  it("fills requests: with the default 1 MiB, 10,000 lines for one partition take as many requests as batches", () => {
    const queues = perPartition("t", 1, 10_000);
    expect(planRequests(queues, 1_048_576, 15)).toHaveLength(queues[0].length);
    const spread = perPartition("t", 60, 1000);
    const requests = planRequests(spread, 1_048_576, 15);
    expect(requests.length).toBe(Math.max(...spread.map((q) => q.length)));
    for (const r of requests) expect(encodedRequestBytes(r, "x".repeat(15))).toBeLessThanOrEqual(1_048_576);
  });

  it("sends a batch larger than max.request.size on its own rather than never", () => {
    const big: PartitionBatch = { topic: "t", partition: 0, records: [line(0, 5000)], bytes: singleRecordBatchBytes(line(0, 5000)) };
    const small = splitIntoBatches("t", 1, [line(1)], limits).batches;
    expect(planRequests([[big], small], 1000, 1)).toEqual([[big], small]);
  });
});
