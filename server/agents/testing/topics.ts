import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { eventually } from "@/server/testing/eventually";
import { KafkaClient, type NewTopic, type ProducerRecord } from "../../kafka/client";
import type { FlowRuntime } from "../runtime";
import { startTestBroker } from "../../broker/compat/harness";
import { IsolationLevel, ListOffsetsTimestamp } from "../../kafka/constants";
import type { Record as KafkaRecord } from "../../kafka/records/batch";

/** A broker and a scratch folder that the tests of one file (or describe block) share: started before them, removed after. */
export function brokerAndDir(prefix: string): { broker: Awaited<ReturnType<typeof startTestBroker>>; dir: string } {
  const env = {} as ReturnType<typeof brokerAndDir>;
  beforeAll(async () => {
    env.broker = await startTestBroker();
    env.dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await env.broker.stop();
    await rm(env.dir, { recursive: true, force: true });
  });
  return env;
}

export interface ReadRecord extends KafkaRecord {
  topic: string;
  partition: number;
}

/**
 * Every record of the topics now, from the start of each partition to its end: what a test checks
 * a flow wrote, as a read_committed consumer sees it unless told read_uncommitted.
 */
export async function readTopics(bootstrap: string, topics: string[], isolationLevel: number = IsolationLevel.READ_COMMITTED): Promise<ReadRecord[]> {
  const client = new KafkaClient({ bootstrap: [bootstrap], clientId: "test-reader" });
  try {
    const md = await client.cluster.refreshMetadata(topics);
    const partitions = md.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    const ends = await client.admin.listOffsets(partitions.map((p) => ({ ...p, timestamp: ListOffsetsTimestamp.LATEST })), isolationLevel);
    const out: ReadRecord[] = [];
    for (const end of ends) {
      for (let offset = 0; offset < end.offset; ) {
        const [f] = await client.fetch([{ topic: end.topic, partition: end.partition, offset }], { maxWaitMs: 0, isolationLevel });
        for (const r of f.records) out.push({ ...r, topic: end.topic, partition: end.partition });
        if (f.nextOffset <= offset) break;
        offset = f.nextOffset;
      }
    }
    return out;
  } finally {
    await client.close();
  }
}

export async function createTopics(bootstrap: string, topics: NewTopic[]): Promise<void> {
  const client = new KafkaClient({ bootstrap: [bootstrap], clientId: "test-admin" });
  try {
    await client.admin.createTopics(topics);
  } finally {
    await client.close();
  }
}

/** Produces the records with the one client (acks all), for a test's input. */
export async function produce(bootstrap: string, records: ProducerRecord[]): Promise<void> {
  const client = new KafkaClient({ bootstrap: [bootstrap], clientId: "test-producer" });
  try {
    await client.producer().send(records);
  } finally {
    await client.close();
  }
}

/** The sum of a group's committed offsets on a topic (-1, none, counts as 0). */
export async function committed(bootstrap: string, groupId: string, topic: string): Promise<number> {
  const client = new KafkaClient({ bootstrap: [bootstrap], clientId: "test-admin" });
  try {
    const offsets = await client.admin.fetchOffsets(groupId);
    return offsets.filter((o) => o.topic === topic).reduce((n, o) => n + Math.max(0, o.offset), 0);
  } finally {
    await client.close();
  }
}

/**
 * Starts the flow, waits until its sink k1 delivered `count` events and checks they are all in
 * partition 0 of `topic`, read through `reader`; then stops the flow and closes the reader.
 */
export async function expectDelivered(rt: FlowRuntime, reader: KafkaClient, topic: string, count: number): Promise<void> {
  await rt.start();
  try {
    await eventually(() => (rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount as number) >= count || undefined, 30_000, `${count} events delivered`);
    const [f] = await reader.fetch([{ topic, partition: 0, offset: 0 }]);
    expect(f.records).toHaveLength(count);
  } finally {
    await rt.stop();
    await reader.close();
  }
}
