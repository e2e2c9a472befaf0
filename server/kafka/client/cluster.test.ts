import { expect, it } from "vitest";
import { startTestBroker } from "../../broker/compat/harness";
import { KafkaClient, type ConsumedBatch } from "./index";
import { startTestProxy } from "./testing";

it("follows a leader that moved to another address: producer, fetch and group member carry on", async () => {
  const bootstrap = await startTestProxy();
  let broker = await startTestBroker({ numPartitions: 2 });
  const dataDir = broker.dataDir;
  bootstrap.target(broker.bootstrap);
  const client = new KafkaClient({ bootstrap: [bootstrap.address], retryBackoffMs: 20, retries: 8 });
  const consumer = client.consumer({ groupId: "moving", topics: ["moving"], autoOffsetReset: "earliest", heartbeatIntervalMs: 200, maxWaitMs: 100 });
  const seen: string[] = [];
  const pollUntil = async (n: number) => {
    const until = Date.now() + 30_000;
    while (seen.length < n && Date.now() < until) {
      const batches: ConsumedBatch[] = await consumer.poll();
      for (const b of batches) seen.push(...b.records.map((r) => r.value!.toString()));
    }
  };
  try {
    const producer = client.producer({ lingerMs: 0 });
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: "moving", value: Buffer.from(`a${i}`) })));
    await pollUntil(10);
    await consumer.commit();
    const oldAddress = broker.bootstrap;
    // The same broker (node 0, same log) comes back on another port: every cached address is stale.
    await broker.stop(true);
    broker = await startTestBroker({ dataDir, numPartitions: 2 });
    expect(broker.bootstrap).not.toBe(oldAddress);
    bootstrap.target(broker.bootstrap);
    const after = await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: "moving", value: Buffer.from(`b${i}`) })));
    expect(after.every((m) => m.offset >= 0)).toBe(true);
    await pollUntil(20);
    expect(seen.slice(10).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`).sort());
    expect((await client.admin.describeCluster()).brokers[0].port).toBe(Number(broker.bootstrap.split(":")[1]));
    await producer.close();
  } finally {
    await consumer.close();
    await client.close();
    await bootstrap.close();
    await broker.stop();
  }
});
