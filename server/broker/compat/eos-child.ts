/**
 * A consume-transform-produce loop with exactly-once semantics, for the test that SIGKILLs it:
 * reads eos-in with read_committed in group "eos", writes each value upper-cased to eos-out and
 * commits the input offsets in the same transaction, a few records per transaction, pausing
 * inside each so a kill lands mid-transaction. Usage: eos-child.ts <bootstrap>.
 */
import { Kafka, logLevel } from "kafkajs";

const [bootstrap] = process.argv.slice(2);
const kafka = new Kafka({ brokers: [bootstrap], clientId: "eos-child", logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
const producer = kafka.producer({ transactionalId: "eos-loop", maxInFlightRequests: 1, idempotent: true });
await producer.connect();
// InitProducerId first: it fences the killed incarnation and aborts its open transaction before this one reads the group's offsets.
await (await producer.transaction()).abort();
const consumer = kafka.consumer({ groupId: "eos", readUncommitted: false, sessionTimeout: 2000, heartbeatInterval: 300, rebalanceTimeout: 3000, maxWaitTimeInMs: 100 });
await consumer.connect();
await consumer.subscribe({ topic: "eos-in", fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatch: async (payload) => {
    const { batch } = payload;
    for (let i = 0; i < batch.messages.length && payload.isRunning() && !payload.isStale(); i += 5) {
      const chunk = batch.messages.slice(i, i + 5);
      const txn = await producer.transaction();
      await txn.send({ topic: "eos-out", messages: chunk.map((m) => ({ value: m.value!.toString().toUpperCase() })) });
      await new Promise((r) => setTimeout(r, 15));
      await txn.sendOffsets({ consumerGroupId: "eos", topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(chunk[chunk.length - 1].offset) + 1) }] }] });
      await txn.commit();
    }
  },
});
process.stdout.write("running\n");
