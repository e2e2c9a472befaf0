/**
 * Batches made by real Kafka clients — librdkafka (through kcat) and kafkajs — sent over the wire
 * to the broker and read back from the partition log as stored: their CRCs validate, they decode
 * to what was sent, and our encoder reproduces every byte the format fixes (all of an
 * uncompressed batch; the record bytes inside a compressed one, whose compressed form depends on
 * the compressor's settings).
 */
import { CompressionTypes } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kcat, startTestBroker } from "../../broker/compat/harness";
import { decodeRecordBatch, encodeRecordBatch, forEachBatch, HEADER_SIZE, LEADER_EPOCH, validateBatch, type BatchHeader } from "./batch";
import { codecName, decompress } from "./compression";

let t: Awaited<ReturnType<typeof startTestBroker>>;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(() => t.stop());

/** Every batch of partition 0 exactly as the log stores it. */
async function storedBatches(topic: string): Promise<{ header: BatchHeader; bytes: Buffer }[]> {
  const log = t.broker.logs.partition(topic, 0);
  const { records } = await log.read(0, 64 << 20);
  const out: { header: BatchHeader; bytes: Buffer }[] = [];
  forEachBatch(records, (header, pos) => out.push({ header, bytes: records.subarray(pos, pos + header.size) }));
  return out;
}

/** Our encoding of the same records with the same header fields. */
function reencode(stored: Buffer): Buffer {
  const { header, records } = decodeRecordBatch(stored);
  const ours = encodeRecordBatch(
    records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
    { baseOffset: header.baseOffset, compression: codecName(header.compression) as never, producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence },
  );
  ours.writeInt32BE(stored.readInt32BE(LEADER_EPOCH), LEADER_EPOCH); // the broker's, outside the CRC
  return ours;
}

/** The uncompressed record section of our encoding: what a compressed batch must decompress to. */
function ourRecordBytes(stored: Buffer): Buffer {
  const { records } = decodeRecordBatch(stored);
  return encodeRecordBatch(records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }))).subarray(HEADER_SIZE);
}

describe("batches from librdkafka (kcat)", () => {
  // librdkafka up to 2.11 compresses with gzip, snappy or lz4 only when the broker advertises
  // Produce v0; ours starts at v3, so kcat sends those codecs uncompressed and only zstd arrives compressed.
  for (const codec of ["none", "zstd"] as const) {
    it(`stores, decodes and re-encodes a ${codec} batch byte for byte where the format fixes the bytes`, async () => {
      const topic = `kcat-bytes-${codec}`;
      const lines = Array.from({ length: 300 }, (_, i) => `key-${i % 17}:value-${i}-${"v".repeat(i % 40)}`);
      await kcat(["-b", t.bootstrap, "-P", "-t", topic, "-p", "0", "-z", codec, "-X", "linger.ms=200", "-K", ":", "-H", "origin=kcat", "-H", `codec=${codec}`], `${lines.join("\n")}\n`);
      const batches = await storedBatches(topic);
      expect(batches.every((b) => codecName(b.header.compression) === codec)).toBe(true);
      const seen: string[] = [];
      for (const { header, bytes } of batches) {
        expect(validateBatch(bytes, 0, 1 << 20)).toBe(bytes.length);
        const { records } = decodeRecordBatch(bytes);
        for (const r of records) {
          seen.push(`${String(r.key)}:${String(r.value)}`);
          expect(r.headers.map((h) => `${h.key}=${String(h.value)}`)).toEqual(["origin=kcat", `codec=${codec}`]);
        }
        if (header.compression === 0) {
          expect(reencode(bytes).equals(bytes)).toBe(true);
        } else {
          // The records inside are fixed by the format; the compressed stream is the compressor's choice.
          expect(decompress(header.compression, bytes.subarray(HEADER_SIZE)).equals(ourRecordBytes(bytes))).toBe(true);
          const ours = reencode(bytes);
          validateBatch(ours, 0, 1 << 20);
          expect(decodeRecordBatch(ours).records).toEqual(records);
        }
      }
      expect(seen).toEqual(lines);
    });
  }
});

describe("batches from kafkajs", () => {
  for (const [name, compression] of [
    ["none", CompressionTypes.None],
    ["gzip", CompressionTypes.GZIP],
  ] as const) {
    it(`stores, decodes and re-encodes an idempotent ${name} batch byte for byte where the format fixes the bytes`, async () => {
      const topic = `kafkajs-bytes-${name}`;
      const producer = t.kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const messages = Array.from({ length: 120 }, (_, i) => ({ key: i % 4 ? `k${i % 9}` : null, value: `kafkajs-${i}-${"w".repeat(i % 30)}`, headers: i % 2 ? { trace: `t${i}` } : undefined, timestamp: String(1_700_000_000_000 + i * 3) }));
      await producer.send({ topic, compression, messages: messages.slice(0, 60) });
      await producer.send({ topic, compression, messages: messages.slice(60) });
      await producer.disconnect();
      const batches = await storedBatches(topic);
      expect(batches).toHaveLength(2);
      const seen: string[] = [];
      for (const { header, bytes } of batches) {
        expect(validateBatch(bytes, 0, 1 << 20)).toBe(bytes.length);
        expect(header.producerId).toBeGreaterThanOrEqual(0); // idempotent: producer id, epoch and sequence are in the bytes
        const { records } = decodeRecordBatch(bytes);
        for (const r of records) seen.push(`${String(r.key)}|${String(r.value)}|${r.timestamp}|${r.headers.map((h) => `${h.key}=${String(h.value)}`).join(",")}`);
        if (name === "none") expect(reencode(bytes).equals(bytes)).toBe(true);
        else expect(decompress(header.compression, bytes.subarray(HEADER_SIZE)).equals(ourRecordBytes(bytes))).toBe(true);
      }
      expect(batches.map((b) => b.header.baseSequence)).toEqual([0, 60]);
      expect(seen).toEqual(messages.map((m) => `${m.key}|${m.value}|${m.timestamp}|${m.headers ? `trace=${m.headers.trace}` : ""}`));
    });
  }
});
