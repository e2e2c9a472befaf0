import type { Producer } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import type { KafkaClient } from "../kafka/client";
import { withBrokerAndClient, type TestBroker } from "../kafka/client/testing";
import { browse, type BrowseRequest, type BrowseResult } from "./browse";
import { topicPartitions } from "./topics";

let t: TestBroker;
let client: KafkaClient;
withBrokerAndClient({}, "browse-isolation-test", (env) => ({ t, client } = env));

const producers: Producer[] = [];
afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
});

async function values(req: Partial<BrowseRequest>): Promise<{ values: string[]; result: BrowseResult }> {
  let out: BrowseResult | undefined;
  for await (const x of browse(client, { topic: "ledger", start: { kind: "earliest" }, limit: 100, filters: {}, scanLimit: 1000, ...req })) if ("result" in x) out = x.result;
  return { values: out!.records.map((r) => r.value!.data), result: out! };
}

/**
 * The message browser's isolation against kafkajs transactions on the embedded broker: committed,
 * aborted and still-open transactions, with their commit and abort markers in the log.
 */
describe("browsing transactional records", () => {
  it("read_committed shows committed records up to the last stable offset; read_uncommitted shows all; markers never", async () => {
    await client.admin.createTopics([{ name: "ledger", numPartitions: 1 }]);
    const kafka = t.kafka("browse-isolation");
    const producer = kafka.producer({ transactionalId: "ledger-writer", maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    producers.push(producer);
    const send = async (records: string[], end: "commit" | "abort" | "open") => {
      const txn = await producer.transaction();
      await txn.send({ topic: "ledger", messages: records.map((value) => ({ value, partition: 0 })) });
      if (end === "commit") await txn.commit();
      if (end === "abort") await txn.abort();
    };
    await send(["c1", "c2"], "commit"); // offsets 0-1, marker 2
    await send(["a1"], "abort"); // offset 3, marker 4
    await send(["o1", "o2"], "open"); // offsets 5-6, no marker yet

    const committed = await values({});
    expect(committed.values).toEqual(["c1", "c2"]);
    expect(committed.result.logEnd).toEqual({ "0": 5 });
    expect(committed.result.stoppedBy).toBe("end");
    expect(await values({ isolation: "read_committed" })).toMatchObject({ values: ["c1", "c2"] });

    const uncommitted = await values({ isolation: "read_uncommitted" });
    expect(uncommitted.values).toEqual(["c1", "c2", "a1", "o1", "o2"]);
    expect(uncommitted.result.logEnd).toEqual({ "0": 7 });
    expect(uncommitted.result.records.map((r) => r.offset)).toEqual([0, 1, 3, 5, 6]);

    // The topic page shows the last stable offset held back by the open transaction.
    expect((await topicPartitions(client, "ledger"))[0]).toMatchObject({ logEndOffset: 7, lastStableOffset: 5, records: 7 });
  });
});
