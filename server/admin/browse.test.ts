import { describe, expect, it } from "vitest";
import { withBrokerAndClient, type TestBroker } from "../kafka/client/testing";
import type { KafkaClient } from "../kafka/client";
import { IsolationLevel } from "../kafka/constants";
import { CONSOLE_READS } from "../metrics/console-reads";
import { Counter, metrics } from "../metrics/registry";
import { browse, FetchRounds, type BrowseResult } from "./browse";

let t: TestBroker;
let client: KafkaClient;
withBrokerAndClient({}, "browse-test", (env) => ({ t, client } = env));

describe("fetch rounds", () => {
  it("read on from a position records were deleted under: to the log start, or to the end when past it", async () => {
    await client.admin.createTopics([{ name: "purged", numPartitions: 2 }]);
    const p = client.producer();
    await p.send(Array.from({ length: 20 }, (_, i) => ({ topic: "purged", partition: i % 2, value: Buffer.from(`v${i}`) })));
    await p.close();
    await client.admin.deleteRecords([{ topic: "purged", partition: 0, offset: 6 }]);
    expect(t.broker.logs.partition("purged", 0).logStartOffset).toBe(6);

    const rounds = new FetchRounds(client, "purged", IsolationLevel.READ_COMMITTED);
    const round = await rounds.next(new Map([[0, 2], [1, 25]]), 0);
    expect(round.get(0)).toEqual({ records: [], nextOffset: 6 });
    expect(round.get(1)).toEqual({ records: [], nextOffset: 10 });
    const after = await rounds.next(new Map([[0, 6]]), 0);
    expect(after.get(0)!.records.map((r) => r.value?.toString())).toEqual(["v12", "v14", "v16", "v18"]);
  });
});

async function lastPage(it: AsyncIterable<{ progress: unknown } | { result: BrowseResult }>): Promise<BrowseResult> {
  let out: BrowseResult | undefined;
  for await (const x of it) if ("result" in x) out = x.result;
  return out!;
}

describe("browsing all partitions", () => {
  it("interleaves partitions by timestamp even when one needs more fetches than another", async () => {
    await client.admin.createTopics([{ name: "mixed", numPartitions: 2 }]);
    const p = client.producer({ lingerMs: 0 });
    const t0 = Date.now() - 60_000;
    // Partition 1's records are large, so one fetch holds few of them and many of partition 0's.
    await p.send(
      Array.from({ length: 80 }, (_, i) => ({
        topic: "mixed",
        partition: i % 2,
        timestamp: t0 + i,
        value: Buffer.from(i % 2 ? "x".repeat(60_000) : `small ${i}`),
      })),
    );
    await p.close();
    const page = await lastPage(browse(client, { topic: "mixed", start: { kind: "earliest" }, limit: 50, filters: {}, scanLimit: 1000 }));
    expect(page.records.map((r) => r.timestamp)).toEqual(Array.from({ length: 50 }, (_, i) => t0 + i));
    expect(page.next).toEqual({ "0": 25, "1": 25 });
    // The next page goes on where this one stopped, in time order too.
    const next = await lastPage(browse(client, { topic: "mixed", start: { kind: "positions", positions: page.next }, limit: 50, filters: {}, scanLimit: 1000 }));
    expect(next.records.map((r) => r.timestamp)).toEqual(Array.from({ length: 30 }, (_, i) => t0 + 50 + i));
  });
});

describe("console reads", () => {
  const sum = (name: string, topic: string) => metrics.list(name).reduce((n, m) => n + (m.labels.topic === topic && m instanceof Counter ? m.value : 0), 0);

  it("counts a scan of the embedded broker exactly as the broker counts it out, and another cluster's not at all", async () => {
    await client.admin.createTopics([{ name: "metered", numPartitions: 3 }]);
    const p = client.producer({ compression: "gzip" });
    await p.send(Array.from({ length: 90 }, (_, i) => ({ topic: "metered", partition: i % 3, value: Buffer.from(`{"n":${i}}`) })));
    await p.close();
    const req = { topic: "metered", start: { kind: "earliest" as const }, limit: 500, filters: { text: "no such text" }, scanLimit: 1000 };

    const outBefore = [sum("tributary_broker_records_out_total", "metered"), sum("tributary_broker_bytes_out_total", "metered")];
    const page = await lastPage(browse(client, { ...req, cluster: "embedded" }));
    expect(page.scanned).toBe(90);
    const out = [sum("tributary_broker_records_out_total", "metered") - outBefore[0], sum("tributary_broker_bytes_out_total", "metered") - outBefore[1]];
    expect(out[0]).toBe(90);
    expect([sum(CONSOLE_READS.records, "metered"), sum(CONSOLE_READS.bytes, "metered")]).toEqual(out);

    await lastPage(browse(client, { ...req, cluster: "prod-east" }));
    expect(sum(CONSOLE_READS.records, "metered")).toBe(90);
  });
});
