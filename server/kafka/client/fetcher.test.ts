import { expect, it } from "vitest";
import { ATTRIBUTES, encodeRecordBatch, rewriteCrc } from "../records/batch";
import { decodeBatches } from "./fetcher";

const TRANSACTIONAL = 0x10;

/** A batch of values at baseOffset; transactional batches carry the producer id. */
function batch(baseOffset: number, values: string[], o: { producerId?: number; transactional?: boolean; control?: boolean; compression?: "zstd" } = {}): Buffer {
  const b = encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v) })), { baseOffset, producerId: o.producerId ?? -1, control: o.control, compression: o.compression });
  if (o.transactional) {
    b.writeInt16BE(b.readInt16BE(ATTRIBUTES) | TRANSACTIONAL, ATTRIBUTES);
    rewriteCrc(b, 0, b.length);
  }
  return b;
}

it("read_committed: drops an aborted producer's records up to its abort marker, keeps the others and skips control batches", () => {
  const buf = Buffer.concat([
    batch(0, ["plain-0", "plain-1"]),
    batch(2, ["aborted-2", "aborted-3"], { producerId: 7, transactional: true }),
    batch(4, ["committed-4"], { producerId: 8, transactional: true }),
    batch(5, ["marker"], { producerId: 7, transactional: true, control: true }),
    batch(6, ["after-6"], { producerId: 7, transactional: true, compression: "zstd" }),
  ]);
  const { records, nextOffset } = decodeBatches(buf, 1, [{ producerId: 7, firstOffset: 2 }]);
  expect(records.map((r) => `${r.offset}:${r.value!.toString()}`)).toEqual(["1:plain-1", "4:committed-4", "6:after-6"]);
  expect(nextOffset).toBe(7);
});

it("a fetch that ends inside a batch stops before it, and control batches alone still move the position", () => {
  const whole = batch(0, ["a", "b"]);
  const cut = batch(2, ["c"]).subarray(0, 30);
  expect(decodeBatches(Buffer.concat([whole, cut]), 0, []).nextOffset).toBe(2);
  expect(decodeBatches(batch(10, ["m"], { control: true }), 10, [])).toEqual({ records: [], nextOffset: 11 });
});
