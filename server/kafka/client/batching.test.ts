import { expect, it } from "vitest";
import { encodeRecordBatch, HEADER_SIZE } from "../records/batch";
import { groupIntoRequests, maxRecordSize, recordSize, splitIntoBatches } from "./batching";

const rec = (n: number, key?: string) => ({ key: key === undefined ? null : Buffer.from(key), value: Buffer.alloc(n, 7), headers: [{ key: "h", value: Buffer.from("v") }] });

it("estimates a record's size at or above what the encoder writes", () => {
  for (const n of [0, 1, 100, 1000, 70_000]) {
    const records = Array.from({ length: 50 }, (_, i) => rec(n, `k${i}`));
    const encoded = encodeRecordBatch(records, { baseOffset: 0 }).length;
    const estimate = HEADER_SIZE + records.reduce((s, r) => s + recordSize(r), 0);
    expect(estimate).toBeGreaterThanOrEqual(encoded);
    // Timestamp and offset deltas are counted at up to 7 bytes; small ones take 2.
    expect(estimate - encoded).toBeLessThanOrEqual(50 * 6);
  }
});

it("cuts records into batches of at most batchSize, a larger record alone, and continues an open batch", () => {
  const records = [rec(100), rec(100), rec(5000), rec(100), rec(100), rec(100)];
  const batches = splitIntoBatches(records, 300);
  expect(batches.map((b) => [b.start, b.end])).toEqual([[0, 2], [2, 3], [3, 5], [5, 6]]);
  for (const b of batches) if (b.end - b.start > 1) expect(b.bytes).toBeLessThanOrEqual(300);
  // An open batch already holding 250 bytes takes nothing more of 100-byte records: its range is empty.
  const cont = splitIntoBatches([rec(100)], 300, 250);
  expect(cont.map((b) => [b.start, b.end])).toEqual([[0, 0], [0, 1]]);
  expect(splitIntoBatches([rec(10)], 300, 100).map((b) => [b.start, b.end])).toEqual([[0, 1]]);
});

it("groups batches into requests within maxRequestSize, one oversize batch per request", () => {
  const groups = groupIntoRequests([{ bytes: 400 }, { bytes: 400 }, { bytes: 400 }, { bytes: 2000 }, { bytes: 10 }], 1000);
  expect(groups.map((g) => g.map((b) => b.bytes))).toEqual([[400, 400], [400], [2000], [10]]);
  expect(maxRecordSize(1_048_576)).toBeLessThan(1_048_576 - HEADER_SIZE);
});
