import { expect, it } from "vitest";
import { startTestBroker } from "../../broker/compat/harness";
import { freePort } from "../../testing/tributary-process";
import { Cluster } from "./cluster";
import { KafkaClient, type ConsumedBatch } from "./index";
import { clientOptionsSchema } from "./options";
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

it("tries a broker that is backing off from a failed connect last, so a dead bootstrap broker delays no metadata read", async () => {
  const broker = await startTestBroker();
  const dead = `127.0.0.1:${await freePort()}`;
  const cluster = new Cluster(clientOptionsSchema.parse({ bootstrap: [dead, broker.bootstrap], retryBackoffMs: 3000, retryBackoffMaxMs: 3000 }));
  try {
    // The first look finds the dead address refusing (its back-off starts) and reaches the live one.
    (await cluster.any()).close();
    const started = Date.now();
    const conn = await cluster.any();
    expect(conn.closed).toBe(false);
    // Tried first, the dead address would first sleep out its 2.4-3.6 s back-off.
    expect(Date.now() - started).toBeLessThan(1000);
  } finally {
    await cluster.close();
    await broker.stop();
  }
});
