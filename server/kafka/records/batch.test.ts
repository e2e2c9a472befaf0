import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { KafkaError } from "../errors";
import { decodeRecordBatch, encodeRecordBatch, HEADER_SIZE, LEADER_EPOCH, LOG_OVERHEAD, retainRecords, rewriteCrc, validateBatch } from "./batch";
import { ErrorCode } from "../errors";

const require = createRequire(import.meta.url);
// kafkajs's own encoders (internals it ships without types): the reference for bytes the format fixes.
const KafkajsRecordBatch = (require("kafkajs/src/protocol/recordBatch/v0") as { RecordBatch: (batch: object) => Promise<{ buffer: Buffer }> }).RecordBatch;
const KafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0") as (record: object) => unknown;
const Long = require("kafkajs/src/utils/long") as { fromInt: (n: number) => unknown };

const records = Array.from({ length: 25 }, (_, i) => ({
  key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
  value: Buffer.from(`value-${i}-${"x".repeat(i * 3)}`),
  headers: i % 2 ? [{ key: "trace", value: Buffer.from(`t${i}`) }] : [],
  timestamp: 1_700_000_000_000 + i * 7,
}));

describe("RecordBatch v2", () => {
  it("encodes byte for byte what kafkajs encodes (uncompressed)", async () => {
    const base = records[0].timestamp;
    const theirs = (await KafkajsRecordBatch({
      firstOffset: Long.fromInt(0),
      firstTimestamp: base,
      maxTimestamp: records[records.length - 1].timestamp,
      lastOffsetDelta: records.length - 1,
      producerEpoch: 0,
      firstSequence: 0,
      records: records.map((r, i) =>
        KafkajsRecord({ offsetDelta: i, timestampDelta: r.timestamp - base, key: r.key, value: r.value, headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value])) }),
      ),
    })).buffer;
    const ours = encodeRecordBatch(records, { producerEpoch: 0, baseSequence: 0 });
    ours.writeInt32BE(0, LEADER_EPOCH); // kafkajs writes epoch 0, we -1; the CRC does not cover it
    expect(ours.equals(theirs)).toBe(true);
  });

  for (const compression of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    it(`round-trips records with ${compression}`, () => {
      const batch = encodeRecordBatch(records, { compression, baseOffset: 100 });
      expect(validateBatch(batch, 0, 1 << 20)).toBe(batch.length);
      const { header, records: back } = decodeRecordBatch(batch);
      expect(header.compression).toBe(["none", "gzip", "snappy", "lz4", "zstd"].indexOf(compression));
      expect(header.recordCount).toBe(records.length);
      expect(back.map((r) => r.offset)).toEqual(records.map((_, i) => 100 + i));
      expect(back.map((r) => [r.key?.toString() ?? null, r.value!.toString(), r.timestamp, r.headers.map((h) => `${h.key}=${String(h.value)}`)])).toEqual(
        records.map((r) => [r.key?.toString() ?? null, r.value.toString(), r.timestamp, r.headers.map((h) => `${h.key}=${String(h.value)}`)]),
      );
    });
  }

  it("decodes batches kafkajs compressed with gzip", async () => {
    const { Types } = require("kafkajs/src/protocol/message/compression") as { Types: { GZIP: number } };
    const theirs = (await KafkajsRecordBatch({
      compression: Types.GZIP,
      firstTimestamp: records[0].timestamp,
      maxTimestamp: records[0].timestamp,
      lastOffsetDelta: 1,
      records: [KafkajsRecord({ offsetDelta: 0, key: Buffer.from("a"), value: Buffer.from("one") }), KafkajsRecord({ offsetDelta: 1, key: Buffer.from("b"), value: Buffer.from("two") })],
    })).buffer;
    validateBatch(theirs, 0, 1 << 20);
    expect(decodeRecordBatch(theirs).records.map((r) => r.value!.toString())).toEqual(["one", "two"]);
  });

  it("rejects a bad CRC, a wrong magic, an impossible length and an oversized batch", () => {
    const good = encodeRecordBatch(records);
    const code = (buf: Buffer, max = 1 << 20) => {
      try {
        validateBatch(buf, 0, max);
        return 0;
      } catch (err) {
        return (err as KafkaError).code;
      }
    };
    const crc = Buffer.from(good);
    crc[crc.length - 3] ^= 1;
    expect(code(crc)).toBe(ErrorCode.CORRUPT_MESSAGE);
    const magic = Buffer.from(good);
    magic[16] = 1;
    expect(code(magic)).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    const length = Buffer.from(good);
    length.writeInt32BE(good.length * 10, 8);
    expect(code(length)).toBe(2);
    expect(code(good.subarray(0, 30))).toBe(2);
    expect(code(good, 100)).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });
});

describe("retainRecords (the cleaner's rewrite)", () => {
  for (const compression of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    it(`keeps the chosen records with their offsets, timestamps and producer fields (${compression})`, () => {
      const batch = encodeRecordBatch(records, { compression, baseOffset: 500, producerId: 9, producerEpoch: 2, baseSequence: 40 });
      const { batch: out, kept, removed } = retainRecords(batch, 0, (r) => r.offset % 3 === 0);
      expect([kept, removed]).toEqual([8, 17]); // offsets 501, 504, … 522
      expect(validateBatch(out, 0, 1 << 20)).toBe(out.length);
      const { header, records: back } = decodeRecordBatch(out);
      expect(header).toMatchObject({ baseOffset: 500, lastOffsetDelta: 24, producerId: 9, producerEpoch: 2, baseSequence: 40, recordCount: 8, compression: ["none", "gzip", "snappy", "lz4", "zstd"].indexOf(compression) });
      expect(header.maxTimestamp).toBe(records[22].timestamp); // the newest kept record
      const expected = decodeRecordBatch(batch).records.filter((r) => r.offset % 3 === 0);
      expect(back).toEqual(expected);
    });
  }

  it("returns the stored bytes untouched when every record stays", () => {
    const batch = encodeRecordBatch(records, { compression: "gzip" });
    const { batch: out, removed } = retainRecords(batch, 0, () => true);
    expect(removed).toBe(0);
    expect(out.equals(batch)).toBe(true);
  });

  it("empties a batch but keeps its header's offsets when no record stays", () => {
    const batch = encodeRecordBatch(records, { compression: "lz4", baseOffset: 7 });
    const { batch: out, kept } = retainRecords(batch, 0, () => false);
    expect(kept).toBe(0);
    validateBatch(out, 0, 1 << 20);
    expect(decodeRecordBatch(out)).toMatchObject({ header: { baseOffset: 7, lastOffsetDelta: 24, recordCount: 0 }, records: [] });
  });
});

describe("snappy as Java clients frame it", () => {
  it("decodes xerial-framed snappy (magic header, then length-prefixed blocks)", async () => {
    const snappy = (await import("snappy")).default;
    const plain = encodeRecordBatch(records, { baseOffset: 3 });
    const body = plain.subarray(HEADER_SIZE);
    const half = body.length >> 1;
    const blocks = [body.subarray(0, half), body.subarray(half)].map((b) => snappy.compressSync(b));
    const head = Buffer.alloc(16);
    Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]).copy(head);
    head.writeInt32BE(1, 8); // xerial version
    head.writeInt32BE(1, 12); // minimum compatible version
    const lengthOf = (b: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeInt32BE(b.length);
      return len;
    };
    const framed = Buffer.concat([head, ...blocks.flatMap((b) => [lengthOf(b), b])]);
    const batch = Buffer.concat([plain.subarray(0, HEADER_SIZE), framed]);
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8);
    batch.writeInt16BE(2, 21); // attributes: snappy
    rewriteCrc(batch, 0, batch.length);
    expect(validateBatch(batch, 0, 1 << 20)).toBe(batch.length);
    expect(decodeRecordBatch(batch).records).toEqual(decodeRecordBatch(plain).records);
  });
});
