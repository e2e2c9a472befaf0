import type { Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker } from "../broker/compat/harness";
import { clientConfig } from "./clusters";
import { EARLIEST, KafkaRequests, LATEST } from "./kafka-requests";

/**
 * One KafkaRequests connection carries both the reads the message browser needs and the group
 * offset requests, against a real broker over the Kafka protocol; kafkajs's admin checks the results.
 */
describe("KafkaRequests", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let admin: Admin;
  let requests: KafkaRequests;

  beforeAll(async () => {
    broker = await startTestBroker();
    const kafka = broker.kafka("kafka-requests-test");
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 2 }, { topic: "refunds", numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "orders", messages: Array.from({ length: 5 }, (_, i) => ({ value: `o-${i}`, partition: i % 2 })) });
    await producer.disconnect();
    requests = new KafkaRequests(clientConfig({ bootstrapServers: [broker.bootstrap], tls: false }));
  });

  afterAll(async () => {
    await requests.close();
    await admin.disconnect();
    await broker.stop();
  });

  it("lists offsets and fetches from any offset without a group", async () => {
    const leaders = await requests.leaders(["orders"]);
    const q = [{ topic: "orders", partitions: [0, 1] }];
    const [starts, ends] = await Promise.all([requests.listOffsets(q, EARLIEST, leaders), requests.listOffsets(q, LATEST, leaders)]);
    expect(Object.fromEntries(starts)).toEqual({ "orders:0": 0, "orders:1": 0 });
    expect(Object.fromEntries(ends)).toEqual({ "orders:0": 3, "orders:1": 2 });
    const [p0] = await requests.fetch("orders", new Map([[0, 1]]), { maxBytesPerPartition: 1 << 20, leaders });
    expect(p0.highWatermark).toBe(3);
    expect(p0.records.map((r) => r.value?.toString())).toEqual(["o-2", "o-4"]);
  });

  it("commits outside a generation, fetches every topic's offsets and deletes one topic's", async () => {
    await requests.commit("billing", [
      { topic: "orders", partition: 0, offset: 2 },
      { topic: "orders", partition: 1, offset: 1 },
      { topic: "refunds", partition: 0, offset: 0 },
    ]);
    const sorted = (xs: { topic: string; partition: number; offset: number }[]) => [...xs].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    expect(sorted(await requests.committed("billing"))).toEqual([
      { topic: "orders", partition: 0, offset: 2 },
      { topic: "orders", partition: 1, offset: 1 },
      { topic: "refunds", partition: 0, offset: 0 },
    ]);
    // The admin sees the same commit: it went to the group coordinator, not a side store.
    const [orders] = await admin.fetchOffsets({ groupId: "billing", topics: ["orders"] });
    expect(orders.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, "2"],
      [1, "1"],
    ]);
    await requests.deleteOffsets("billing", "orders", [0, 1]);
    expect(await requests.committed("billing")).toEqual([{ topic: "refunds", partition: 0, offset: 0 }]);
  });
});
