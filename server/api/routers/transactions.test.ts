import { and, desc, eq } from "drizzle-orm";
import type { Consumer, Kafka, Producer, Transaction } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import type { KafkaClient } from "../../kafka/client";
import { ErrorCode } from "../../kafka/errors";
import { abortTransaction, openTransactions } from "../../admin/transactions";
import { eventually } from "../../testing/eventually";
import { startRouterEnv } from "../testing";

/**
 * The transactions router against a real broker: a kafkajs transaction left open is listed with
 * its producer and partitions, and an admin aborts it by fencing its producer.
 */
describe("transactions router", () => {
  let env: Awaited<ReturnType<typeof startRouterEnv>>;
  let kafka: Kafka;
  const producers: Producer[] = [];

  beforeAll(async () => {
    env = await startRouterEnv();
    kafka = env.broker.kafka("txn-test");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "payments", numPartitions: 2 }, { topic: "invoices", numPartitions: 2 }, { topic: "receipts", numPartitions: 1 }] });
    await admin.disconnect();
  });

  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await env?.stop();
  });

  async function transactional(transactionalId: string): Promise<Producer> {
    const p = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
    await p.connect();
    producers.push(p);
    return p;
  }

  /** A transaction of a new producer of the id with one record per value, spread over partitions 0 and 1, left open. */
  async function begin(transactionalId: string, topic = "payments", values = ["a", "b"], producer?: Producer): Promise<Transaction> {
    const txn = await (producer ?? (await transactional(transactionalId))).transaction();
    await txn.send({ topic, messages: values.map((value, i) => ({ value, partition: i % 2 })) });
    return txn;
  }

  async function openIds(): Promise<string[]> {
    const view = await env.viewer().transactions.open({});
    return view.supported ? view.transactions.map((t) => t.transactionalId) : [];
  }

  /** What a kafkajs read_committed consumer reads of a topic from its start, once it has read `until` records. */
  async function readCommitted(topic: string, until: number): Promise<string[]> {
    const consumer: Consumer = kafka.consumer({ groupId: `reader-${topic}`, readUncommitted: false });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void seen.push(message.value!.toString())) });
      await eventually(() => seen.length >= until, 30_000, `${until} committed records of ${topic}`);
    } finally {
      await consumer.disconnect();
    }
    return seen.sort();
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

  it("aborts an open transaction as admin after a preview: read_committed never sees it, the LSO moves on, its producer is fenced, and it is audited", async () => {
    const earlier = await begin("ledger-committed", "invoices", ["kept-0", "kept-1"]);
    await earlier.commit(); // each partition: a record at 0, the commit marker at 1
    const stuck = await begin("stuck-writer", "invoices", ["lost-0", "lost-1", "lost-2", "lost-3"]); // offsets 2-3 of each partition

    const preview = await env.viewer().transactions.previewAbort({ transactionalId: "stuck-writer" });
    expect(preview).toMatchObject({ transactionalId: "stuck-writer", producerEpoch: 0, state: "Ongoing", refusal: null, partitions: [{ topic: "invoices", partitions: [0, 1] }] });
    expect(preview.ageMs).toBeGreaterThanOrEqual(0);
    expect(preview.stable).toEqual([
      { topic: "invoices", partition: 0, lastStableOffset: 2, highWatermark: 4 },
      { topic: "invoices", partition: 1, lastStableOffset: 2, highWatermark: 4 },
    ]);

    const approved = { transactionalId: "stuck-writer", producerId: preview.producerId, producerEpoch: preview.producerEpoch };
    await expect(env.viewer().transactions.abort(approved)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(env.operator().transactions.abort(approved)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await openIds()).toContain("stuck-writer");

    const done = await env.admin().transactions.abort(approved);
    expect(done.producerId).toBe(preview.producerId);
    expect(done.producerEpoch).toBeGreaterThan(preview.producerEpoch);
    // The abort marker at 4 ends the transaction: read_committed consumers may read to the log end.
    expect(done.stable).toEqual([
      { topic: "invoices", partition: 0, lastStableOffset: 5, highWatermark: 5 },
      { topic: "invoices", partition: 1, lastStableOffset: 5, highWatermark: 5 },
    ]);
    expect(await openIds()).not.toContain("stuck-writer");

    // The fenced incarnation can neither add to the transaction nor commit it.
    const fenced = { type: expect.stringMatching(/^(INVALID_PRODUCER_EPOCH|PRODUCER_FENCED)$/) as unknown };
    await expect(stuck.send({ topic: "invoices", messages: [{ value: "late", partition: 0 }] })).rejects.toMatchObject(fenced);
    await expect(stuck.commit()).rejects.toMatchObject(fenced);

    const after = kafka.producer();
    await after.connect();
    producers.push(after);
    await after.send({ topic: "invoices", messages: [{ value: "next-0", partition: 0 }, { value: "next-1", partition: 1 }] });
    expect(await readCommitted("invoices", 4)).toEqual(["kept-0", "kept-1", "next-0", "next-1"]);

    const [row] = await env.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "transactions.abort"), eq(auditEvents.outcome, "ok")))
      .orderBy(desc(auditEvents.id));
    expect(row).toMatchObject({ actor: "alma", targetKind: "transaction", target: "embedded/stuck-writer" });
    expect(row.details).toMatchObject({
      before: { producerId: preview.producerId, producerEpoch: 0, state: "Ongoing", partitions: [{ topic: "invoices", partitions: [0, 1] }], stable: preview.stable },
      after: { producerId: preview.producerId, producerEpoch: done.producerEpoch, state: "aborted", stable: done.stable },
    });
    const denied = await env.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, "transactions.abort"), eq(auditEvents.outcome, "denied")));
    expect(denied.map((d) => d.actor).sort()).toEqual(["otto", "vera"]);
  });

  it("refuses to abort a transaction that committed since the preview, or whose producer restarted, and leaves both alone", async () => {
    const quick = await transactional("quick-writer");
    const committing = await begin("quick-writer", "receipts", ["r0"], quick);
    const preview = await env.viewer().transactions.previewAbort({ transactionalId: "quick-writer" });
    await committing.commit();
    await expect(env.admin().transactions.abort({ transactionalId: "quick-writer", producerId: preview.producerId, producerEpoch: preview.producerEpoch })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("no longer open (CompleteCommit)") as unknown,
    });
    // Not fenced: the producer's next transaction commits.
    await (await begin("quick-writer", "receipts", ["r1"], quick)).commit();
    expect(await readCommitted("receipts", 2)).toEqual(["r0", "r1"]);

    // A restarted producer (a new epoch) with a transaction of its own is not the one previewed.
    const old = await begin("restarting-writer", "receipts", ["x0"]);
    const seen = await env.viewer().transactions.previewAbort({ transactionalId: "restarting-writer" });
    const restarted = await begin("restarting-writer", "receipts", ["y0"]);
    await expect(env.admin().transactions.abort({ transactionalId: "restarting-writer", producerId: seen.producerId, producerEpoch: seen.producerEpoch })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("Preview again") as unknown,
    });
    await restarted.commit();
    await expect(old.commit()).rejects.toThrow();

    await expect(env.viewer().transactions.previewAbort({ transactionalId: "never-seen" })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining('No transactional id "never-seen"') as unknown });
  });

  it("will not abort a transaction its coordinator is already committing", async () => {
    let fenced = false;
    const committing = {
      admin: {
        describeTransactions: () => Promise.resolve([{ transactionalId: "t", errorCode: 0, state: "PrepareCommit", producerId: 7, producerEpoch: 2, timeoutMs: 60_000, startTimeMs: 1_000, partitions: [] }]),
        fenceProducer: () => {
          fenced = true;
          return Promise.resolve({ producerId: 7, producerEpoch: 3 });
        },
      },
    } as unknown as KafkaClient;
    await expect(abortTransaction(committing, "t", { producerId: 7, producerEpoch: 2 })).rejects.toThrow(/is committing/);
    expect(fenced).toBe(false);
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
