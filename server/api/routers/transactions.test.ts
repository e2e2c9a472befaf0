import type { Kafka, Producer, Transaction } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KafkaClient } from "../../kafka/client";
import { ErrorCode } from "../../kafka/errors";
import { openTransactions } from "../../admin/transactions";
import { startRouterEnv } from "../testing";

/** The transactions router against a real broker: a kafkajs transaction left open is listed with its producer and partitions. */
describe("transactions router", () => {
  let env: Awaited<ReturnType<typeof startRouterEnv>>;
  let kafka: Kafka;
  const producers: Producer[] = [];

  beforeAll(async () => {
    env = await startRouterEnv();
    kafka = env.broker.kafka("txn-test");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "payments", numPartitions: 2 }] });
    await admin.disconnect();
  });

  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await env?.stop();
  });

  async function begin(transactionalId: string): Promise<Transaction> {
    const p = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
    await p.connect();
    producers.push(p);
    const txn = await p.transaction();
    await txn.send({ topic: "payments", messages: [{ value: "a", partition: 0 }, { value: "b", partition: 1 }] });
    return txn;
  }

  it("lists an open transaction with producer, epoch, state, partitions and age; a committed one is gone", async () => {
    const before = Date.now();
    const open = await begin("settlement");
    const done = await begin("refunds");
    await done.commit();

    const view = await env.viewer().transactions.open({});
    if (!view.supported) throw new Error("the embedded broker serves the transaction APIs");
    expect(view.transactions.map((t) => t.transactionalId)).toEqual(["settlement"]);
    const t = view.transactions[0];
    expect(t).toMatchObject({ state: "Ongoing", producerEpoch: 0, timeoutMs: 60_000, partitions: [{ topic: "payments", partitions: [0, 1] }] });
    expect(t.producerId).toBeGreaterThanOrEqual(0);
    expect(t.startedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(t.ageMs).toBeGreaterThanOrEqual(0);

    await open.abort();
    expect(await env.viewer().transactions.open({})).toEqual({ supported: true, transactions: [] });
  });

  it("says so when the cluster does not serve ListTransactions/DescribeTransactions", async () => {
    const old = { admin: { servesTransactionApis: () => Promise.resolve(false) } } as unknown as KafkaClient;
    expect(await openTransactions(old)).toEqual({ supported: false });
  });

  it("drops an id that expired between ListTransactions and DescribeTransactions, and lists the oldest first", async () => {
    const described = (transactionalId: string, errorCode: number, startTimeMs: number) => ({ transactionalId, errorCode, state: "Ongoing", producerId: 7, producerEpoch: 2, timeoutMs: 60_000, startTimeMs, partitions: [] });
    const racing = {
      admin: {
        servesTransactionApis: () => Promise.resolve(true),
        listTransactions: () => Promise.resolve([{ transactionalId: "gone" }, { transactionalId: "young" }, { transactionalId: "old" }]),
        describeTransactions: () => Promise.resolve([described("gone", ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, -1), described("young", 0, 9_000), described("old", 0, 1_000)]),
      },
    } as unknown as KafkaClient;
    const view = await openTransactions(racing, 10_000);
    expect(view.supported && view.transactions.map((t) => [t.transactionalId, t.ageMs])).toEqual([
      ["old", 9_000],
      ["young", 1_000],
    ]);
  });
});
