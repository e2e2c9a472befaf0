import { describe, expect, it } from "vitest";
import { withBrokerAndClient, type TestBroker } from "../kafka/client/testing";
import type { KafkaClient } from "../kafka/client";
import { IsolationLevel } from "../kafka/constants";
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
