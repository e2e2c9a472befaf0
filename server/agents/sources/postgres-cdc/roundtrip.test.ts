import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { Broker } from "../../../broker/broker";
import { KafkaClient } from "../../../kafka/client";
import type { FlumeEvent } from "../../model";
import { FlowRuntime } from "../../runtime";
import { PostgresSink, postgresSinkSchema } from "../../sinks/postgres";
import { cdcTestDb, TEST_PG_URL } from "../../testing/cdc-test-db";

/** table → postgres_cdc → channel → … → postgres sink (changes) → table, ending with identical tables. */
const db = cdcTestDb();
afterAll(() => db.cleanup());

const COLUMNS = "id int PRIMARY KEY, name text, amount numeric(12,3), at timestamptz, local timestamp, day date, doc jsonb, raw bytea, tags text[], nums int8[], flag boolean, big int8, ratio float8";

function slotName(): string {
  const slot = db.name("slot");
  onTestFinished(() => db.dropSlot(slot));
  return slot;
}

async function makeTables() {
  const from = db.name("src");
  const to = db.name("dst");
  await db.sql.unsafe(`CREATE TABLE ${from} (${COLUMNS})`);
  await db.sql.unsafe(`CREATE TABLE ${to} (${COLUMNS})`);
  // Existing rows reach the target through the initial snapshot.
  await db.sql.unsafe(`INSERT INTO ${from} SELECT g, 'row ' || g, g * 1.125, '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 minute 0.000123 second',
    '2024-01-01'::timestamp + g * interval '1 hour', '2024-01-01'::date + g, jsonb_build_object('g', g, 'sq', array[g, g * g]), decode(md5(g::text), 'hex'),
    array['t' || g, null, 'x "y"'], array[g::int8 * 10000000000], g % 2 = 0, g::int8 * 1000003, g / 7.0 FROM generate_series(1, 300) g`);
  return { from, to };
}

/** Inserts, updates (including a key change), deletes and a many-row transaction while capture runs. */
async function mutate(table: string) {
  await db.sql.unsafe(`INSERT INTO ${table} (id, name, doc, raw, tags) VALUES (1001, 'new', '{"deep": {"a": [true, null]}}', '\\x00', '{}')`);
  await db.sql.unsafe(`UPDATE ${table} SET name = name || ' updated', amount = amount + 0.001, doc = doc || '{"u": 1}' WHERE id % 10 = 0`);
  await db.sql.unsafe(`DELETE FROM ${table} WHERE id % 7 = 0`);
  await db.sql.unsafe(`UPDATE ${table} SET id = 5000 WHERE id = 1`);
  await db.sql.begin(async (tx) => {
    await tx.unsafe(`INSERT INTO ${table} (id, name, ratio) SELECT g, 'bulk', g * 0.5 FROM generate_series(2000, 3999) g`);
    await tx.unsafe(`UPDATE ${table} SET flag = NOT coalesce(flag, false) WHERE id BETWEEN 2000 AND 2100`);
    await tx.unsafe(`DELETE FROM ${table} WHERE id BETWEEN 3900 AND 3999`);
  });
}

const snapshot = (t: string) => db.sql.unsafe(`SELECT to_jsonb(x)::text AS r FROM ${t} x ORDER BY id`).then((rs) => rs.map((x) => x.r as string));

async function untilEqual(from: string, to: string, ms = 60_000) {
  const want = await snapshot(from);
  const end = Date.now() + ms;
  let got = await snapshot(to);
  while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    got = await snapshot(to);
  }
  expect(got.length).toBe(want.length);
  expect(got).toEqual(want);
}

describe("postgres_cdc round trip", () => {
  it("table → postgres_cdc → topic on the broker → postgres sink → table: the tables end identical", async () => {
    const { from, to } = await makeTables();
    const dir = await db.tempDir();
    const broker = await Broker.start({ dataDir: `${dir}/broker`, host: "127.0.0.1", port: 0 });
    const topic = db.name("changes");
    const kafka = new KafkaClient({ clientId: "cdc-test", bootstrap: [broker.bootstrap] });
    await kafka.admin.createTopics([{ name: topic, numPartitions: 3 }]);
    const flow = new FlowRuntime({
      name: "capture",
      sources: { pg: { type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL, mode: "logical", table: from, slot: slotName(), publication: db.name("pub"), "batch.max.rows": 200 } },
      channels: { c1: { type: "memory", capacity: 10_000, transactionCapacity: 500 } },
      sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: broker.bootstrap, topic, batchSize: 500 } },
    }, { agent: "a1", dataDir: dir });
    const sink = new PostgresSink(postgresSinkSchema.parse({ type: "postgres", channel: "c1", url: TEST_PG_URL, table: to, mode: "changes" }));
    await sink.start();
    const consumer = kafka.consumer({ groupId: db.name("group"), topics: [topic], autoOffsetReset: "earliest" });
    let consuming = true;
    // Keys partition the topic, so each row's changes stay in order within its partition.
    const applying = (async () => {
      while (consuming) {
        for (const batch of await consumer.poll()) {
          const events: FlumeEvent[] = batch.records.map((r) => ({ headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ""])), body: r.value! }));
          await sink.deliver(events);
        }
      }
    })();
    try {
      await flow.start();
      await mutate(from);
      await untilEqual(from, to);
    } finally {
      consuming = false;
      await consumer.close();
      await applying.catch(() => undefined);
      await kafka.close();
      await flow.stop();
      await sink.stop();
      await broker.close();
    }
  }, 120_000);

  it("a flow of postgres_cdc straight into the postgres sink replicates a table, across a restart of the flow", async () => {
    const { from, to } = await makeTables();
    const dir = await db.tempDir();
    const def = {
      name: "replicate",
      sources: { pg: { type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL, mode: "logical", table: from, slot: slotName(), publication: db.name("pub") } },
      channels: { c1: { type: "file", capacity: 100_000, transactionCapacity: 1000 } },
      sinks: { k1: { type: "postgres", channel: "c1", url: TEST_PG_URL, table: to, mode: "changes", batchSize: 1000 } },
    };
    let flow = new FlowRuntime(def, { agent: "a1", dataDir: dir });
    await flow.start();
    try {
      await db.sql.unsafe(`UPDATE ${from} SET name = 'before restart' WHERE id < 50`);
      await flow.stop();
      await mutate(from);
      flow = new FlowRuntime(def, { agent: "a1", dataDir: dir });
      await flow.start();
      await untilEqual(from, to);
    } finally {
      await flow.stop();
    }
  }, 120_000);

  it("a polling flow copies an insert-only table into another through the postgres sink", async () => {
    const { from, to } = await makeTables();
    const dir = await db.tempDir();
    const flow = new FlowRuntime({
      name: "copy",
      sources: { pg: { type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL, mode: "incrementing", table: from, "key.column": "id", "poll.interval.ms": 50, "batch.max.rows": 128 } },
      channels: { c1: { type: "memory", capacity: 10_000, transactionCapacity: 500 } },
      sinks: { k1: { type: "postgres", channel: "c1", url: TEST_PG_URL, table: to, mode: "changes", batchSize: 500 } },
    }, { agent: "a1", dataDir: dir });
    await flow.start();
    try {
      await db.sql.unsafe(`INSERT INTO ${from} (id, name, doc, tags) SELECT g, 'later', '{"n": 1}', '{a,b}' FROM generate_series(301, 1300) g`);
      await untilEqual(from, to);
    } finally {
      await flow.stop();
    }
  }, 60_000);
});
