import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerCluster } from "@/server/testing/broker-cluster";
import { kcatMetadata } from "@/server/testing/kcat";
import { tempDirs } from "@/server/testing/temp-dir";
import { clusterDatabase, eventually } from "./test-support";

const SESSION_MS = 3000;
const IDS = [1, 2, 3];
const TOPIC = "txn-spread";
const PARTITIONS = 6;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
let cluster: BrokerCluster;
const tempDir = tempDirs("txn-cluster");
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await clusterDatabase();
  cluster = await BrokerCluster.start({
    nodeIds: IDS,
    databaseUrl: db.url,
    sessionTimeoutMs: SESSION_MS,
    dataDir: tempDir,
    args: ["--transaction-state-log-num-partitions", "6", "--offsets-topic-num-partitions", "6", "--group-initial-rebalance-delay-ms", "0"],
  });
}, 90_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await cluster?.close();
  await db?.dispose();
});

const liveBootstrap = () => IDS.filter((id) => cluster.isUp(id)).map((id) => `127.0.0.1:${cluster.port(id)}`);

function kafka(): Kafka {
  return new Kafka({ clientId: "txn-cluster-test", brokers: liveBootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
}

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
  await client.connect();
  closers.push(() => client.disconnect());
  return client;
}

function transactionalProducer(transactionalId: string): Promise<Producer> {
  return connected(kafka().producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 }));
}

/** One record per partition of TOPIC, values `${prefix}-${partition}`. */
const spread = (prefix: string) => Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: `${prefix}-${partition}` }));

/** What a read_committed consumer group reads from TOPIC, once `count` records came (and a little longer, so extras would show). */
async function readCommitted(count: number): Promise<string[]> {
  const consumer = await connected(kafka().consumer({ groupId: `reader-${Math.random()}`, readUncommitted: false, maxWaitTimeInMs: 200 }));
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void values.push(message.value!.toString())) });
  await eventually(() => (values.length >= count ? true : undefined), 60_000, `${count} committed records from ${TOPIC}`);
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.disconnect();
  return values.sort();
}

describe("transactions on a cluster (three broker processes)", () => {
  it("commits one transaction and aborts another over partitions led by every broker; read_committed sees the committed one only", async () => {
    const admin = await connected(kafka().admin());
    // Right after start kafkajs may see no controller yet (-1) and refuses to ask; it is asked again.
    await eventually(() => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }] }).then(() => true, () => undefined), 30_000, `${TOPIC} created`);
    const leaders = await eventually(async () => {
      const ps = (await kcatMetadata(cluster.port(1), TOPIC))?.topics[0]?.partitions ?? [];
      return ps.length === PARTITIONS && ps.every((p) => p.leader > 0 && p.isrs.length === 3) ? ps.map((p) => p.leader) : undefined;
    }, 30_000, `${TOPIC} in sync on three brokers`);
    expect(new Set(leaders)).toEqual(new Set(IDS));

    const producer = await transactionalProducer("spread-txn");
    const committed = await producer.transaction();
    await committed.send({ topic: TOPIC, messages: spread("committed") });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: TOPIC, messages: spread("aborted") });
    await aborted.abort();

    expect(await readCommitted(PARTITIONS)).toEqual(spread("committed").map((m) => m.value).sort());
    const meta = await kcatMetadata(cluster.port(1), "__transaction_state");
    expect(meta?.topics[0]?.partitions).toHaveLength(6);
    expect(meta?.topics[0]?.partitions.every((p) => p.replicas.length === 3)).toBe(true);
  }, 150_000);
});
