import { TRPCError } from "@trpc/server";
import { crc32c } from "@node-rs/crc32";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kcat } from "../broker/compat/harness";
import { ATTRIBUTES, BATCH_LENGTH, CRC, HEADER_SIZE, LOG_OVERHEAD, forEachBatch } from "../kafka/records/batch";
import { codecName } from "../kafka/records/compression";
import type { BrowseResult, BrowsedRecord } from "../admin/browse";
import { startRouterEnv } from "./testing";

const CODECS = ["gzip", "snappy", "lz4", "zstd"] as const;

async function page(it: AsyncIterable<unknown>): Promise<BrowseResult> {
  let last: unknown;
  for await (const ev of it) last = ev;
  if (!last || typeof last !== "object" || !("result" in last)) throw new Error("browse ended without a result");
  return (last as { result: BrowseResult }).result;
}

const values = (r: { records: BrowsedRecord[] }) => r.records.map((m) => m.value?.data);

/** librdkafka sends a batch uncompressed when compressing does not make it smaller; values like these compress. */
const compressible = (s: string) => `${s} ${"and again ".repeat(20)}`;

/**
 * Topics whose batches kcat (librdkafka) compressed with each codec browse, filter and tail like
 * uncompressed ones: the console decodes every codec the broker stores.
 */
describe("compressed topics in the console", () => {
  let env: Awaited<ReturnType<typeof startRouterEnv>>;

  const segment = (topic: string) => join(env.broker.dataDir, "log", `${topic}-0`, "00000000000000000000.log");
  /** The codec of each batch as the broker stored it: proof the test reads what it means to. */
  async function codecsOnDisk(topic: string): Promise<string[]> {
    const out: string[] = [];
    forEachBatch(await readFile(segment(topic)), (h) => out.push(codecName(h.compression)));
    return out;
  }

  beforeAll(async () => {
    env = await startRouterEnv();
    for (const codec of CODECS) {
      // One kcat run: its records travel in compressed batches of several records, as a producer's usually do.
      const lines = Array.from({ length: 20 }, (_, i) => `k${i % 4}:${JSON.stringify({ n: i, codec, amount: i * 10, note: compressible("x") })}`).join("\n");
      await kcat(["-P", "-b", env.broker.bootstrap, "-t", `z-${codec}`, "-p", "0", "-z", codec, "-K:", "-H", `codec=${codec}`], `${lines}\n`);
    }
  });

  afterAll(async () => {
    await env?.stop();
  });

  it.each(CODECS)("%s: browses from earliest, by offset and from latest, and filters by key, header, text and JSONata", async (codec) => {
    const viewer = env.viewer();
    const browse = async (start: Parameters<ReturnType<typeof env.viewer>["messages"]["browse"]>[0]["start"], filters = {}, limit = 50) =>
      page(await viewer.messages.browse({ cluster: "embedded", topic: `z-${codec}`, start, limit, filters }));

    expect(new Set(await codecsOnDisk(`z-${codec}`))).toEqual(new Set([codec]));
    const all = await browse({ kind: "earliest" });
    expect(all.records.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(all.records[3]).toMatchObject({ key: { data: "k3", encoding: "utf8" }, headers: [{ key: "codec", value: { data: codec } }] });
    expect(JSON.parse(all.records[3].value!.data)).toMatchObject({ n: 3, codec, amount: 30 });

    // An offset inside the compressed batch: the records before it are dropped, not shown.
    expect((await browse({ kind: "offset", offset: 17 })).records.map((m) => m.offset)).toEqual([17, 18, 19]);
    expect((await browse({ kind: "latest" }, {}, 2)).records.map((m) => m.offset)).toEqual([18, 19]);

    expect((await browse({ kind: "earliest" }, { key: "k1" })).records.map((m) => m.offset)).toEqual([1, 5, 9, 13, 17]);
    expect((await browse({ kind: "earliest" }, { header: { name: "codec", value: codec } })).records).toHaveLength(20);
    expect((await browse({ kind: "earliest" }, { header: { name: "codec", value: "none" } })).records).toHaveLength(0);
    expect((await browse({ kind: "earliest" }, { text: '"amount":190' })).records.map((m) => m.offset)).toEqual([19]);
    const byExpr = await browse({ kind: "earliest" }, { jsonata: "amount >= 150 and n % 2 = 0" });
    expect(byExpr.records.map((m) => m.offset)).toEqual([16, 18]);
    expect(byExpr.filterErrors).toBe(0);
  });

  it.each(CODECS)("%s: a live tail follows records kcat compresses", async (codec) => {
    const ac = new AbortController();
    const it = (await env.viewer(ac.signal).messages.tail({ cluster: "embedded", topic: `z-${codec}`, filters: { key: "live" } }))[Symbol.asyncIterator]();
    const next = it.next();
    await new Promise((r) => setTimeout(r, 300));
    await kcat(["-P", "-b", env.broker.bootstrap, "-t", `z-${codec}`, "-p", "0", "-z", codec, "-K:"], `other:${compressible("no")}\nlive:${compressible(`tailed ${codec}`)}\n`);
    const got = await next;
    expect(got.done).toBe(false);
    expect(values(got.value as { records: BrowsedRecord[] })).toEqual([compressible(`tailed ${codec}`)]);
    expect((await codecsOnDisk(`z-${codec}`)).at(-1)).toBe(codec);
    ac.abort();
    await it.return?.(undefined);
  });

  it("a batch the console cannot decode is reported as its own failure, never as the cluster's refusal", async () => {
    await kcat(["-P", "-b", env.broker.bootstrap, "-t", "z-corrupt", "-p", "0", "-z", "gzip"], `${compressible("one")}\n${compressible("two")}\n`);
    // Garble the first batch's compressed records on disk but keep its CRC valid: the broker serves
    // the batch as stored, and only decompressing it in the console fails. (A loaded machine can
    // make librdkafka send the two lines in two batches.)
    expect(new Set(await codecsOnDisk("z-corrupt"))).toEqual(new Set(["gzip"]));
    const file = segment("z-corrupt");
    const buf = await readFile(file);
    const end = buf.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    buf.fill(0x5a, HEADER_SIZE + 10, end - 8);
    buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES, end)), CRC);
    await writeFile(file, buf);

    const err = await env.viewer().messages.browse({ cluster: "embedded", topic: "z-corrupt", start: { kind: "earliest" } }).then(page).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).message).not.toMatch(/cluster refused/i);
    expect((err as TRPCError).message).toMatch(/could not decode the records of z-corrupt.*gzip/i);
  });

  it.each(CODECS)("%s: the Produce page's records go in batches compressed with the codec picked, tombstones included", async (codec) => {
    const topic = `produced-${codec}`;
    const admin = env.broker.kafka("setup").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const operator = env.operator();
    await operator.messages.produce({ cluster: "embedded", topic, key: "k", value: compressible(codec), headers: [], compression: codec });
    await operator.messages.produce({ cluster: "embedded", topic, key: "k", value: null, headers: [], compression: codec });
    expect(await codecsOnDisk(topic)).toEqual([codec, codec]);
    const got = await page(await env.viewer().messages.browse({ cluster: "embedded", topic, start: { kind: "earliest" } }));
    expect(got.records.map((r) => [r.key?.data, r.value?.data ?? null])).toEqual([
      ["k", compressible(codec)],
      ["k", null],
    ]);
  });
});
