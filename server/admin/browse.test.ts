import { describe, expect, it } from "vitest";
import { withBrokerAndClient, type TestBroker } from "../kafka/client/testing";
import type { KafkaClient } from "../kafka/client";
import { FetchRounds } from "./browse";

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

    const rounds = new FetchRounds(client, "purged");
    const round = await rounds.next(new Map([[0, 2], [1, 25]]), 0);
    expect(round.get(0)).toEqual({ records: [], nextOffset: 6 });
    expect(round.get(1)).toEqual({ records: [], nextOffset: 10 });
    const after = await rounds.next(new Map([[0, 6]]), 0);
    expect(after.get(0)!.records.map((r) => r.value?.toString())).toEqual(["v12", "v14", "v16", "v18"]);
  });
});
