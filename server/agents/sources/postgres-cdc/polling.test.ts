import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import type { BatchSink } from "../../component";
import { parseFlow } from "../../flow";
import { importFlumeProperties } from "../../flume/import";
import { ChannelFullError } from "../../model";
import { cdcTestDb, collector, TEST_PG_URL } from "../../testing/cdc-test-db";
import { PostgresCdcSource, postgresCdcSourceSchema } from "./source";

const db = cdcTestDb();
afterAll(() => db.cleanup());

async function pollingSource(put: BatchSink, props: Record<string, unknown>, dataDir?: string) {
  const dir = dataDir ?? (await db.tempDir());
  const config = postgresCdcSourceSchema.parse({ type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL, "poll.interval.ms": 50, dataDir: dir, ...props });
  return { source: new PostgresCdcSource("r1", config, put), config, dir };
}

describe("postgres_cdc polling modes", () => {
  it("incrementing: reads new rows in key order, batch.max.rows at a time, and resumes after a restart from the committed position", async () => {
    const t = db.name("inc");
    await db.sql.unsafe(`CREATE TABLE ${t} (id serial PRIMARY KEY, name text, amount numeric(10,2), at timestamptz)`);
    await db.sql.unsafe(`INSERT INTO ${t} (name, amount, at) SELECT 'n' || g, g * 1.5, '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 second' FROM generate_series(1, 250) g`);
    const c = collector();
    const sizes: number[] = [];
    const put: BatchSink = async (b) => {
      sizes.push(b.length);
      await c.put(b);
    };
    const { source, config, dir } = await pollingSource(put, { table: t, "key.column": "id", "batch.max.rows": 100 });
    await source.start();
    await c.until((x) => x.length >= 250);
    await source.stop();
    expect(sizes.slice(0, 3)).toEqual([100, 100, 50]);
    const first = c.changes();
    expect(first.map((x) => x.after!.id)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(first[0]).toMatchObject({ op: "c", before: null, after: { id: 1, name: "n1", amount: "1.50", at: "2024-01-01T00:00:01Z" }, source: { db: "test", schema: "public", table: t, lsn: null } });
    expect(c.events[0].headers).toEqual({ table: `public.${t}`, op: "c", key: '{"id":1}' });
    expect(JSON.parse(await readFile(join(dir, "position.json"), "utf8"))).toMatchObject({ key: "250" });

    await db.sql.unsafe(`INSERT INTO ${t} (name) VALUES ('late1'), ('late2')`);
    const again = new PostgresCdcSource("r1", config, put);
    await again.start();
    try {
      await c.until((x) => x.length >= 252);
      await new Promise((r) => setTimeout(r, 200));
      expect(c.changes().slice(250).map((x) => x.after!.name)).toEqual(["late1", "late2"]);
      expect(c.events.length).toBe(252);
    } finally {
      await again.stop();
    }
  });

  it("keeps the position while the channel refuses a batch, then delivers it whole", async () => {
    const t = db.name("refuse");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
    await db.sql.unsafe(`INSERT INTO ${t} SELECT g FROM generate_series(1, 30) g`);
    const c = collector();
    let refuse = 3;
    const { source, dir } = await pollingSource(async (b) => {
      if (refuse-- > 0) throw new ChannelFullError("c1", "test");
      await c.put(b);
    }, { table: t, "key.column": "id", "batch.max.rows": 10 });
    await source.start();
    try {
      await c.until((x) => x.length >= 30);
      expect(c.changes().map((x) => x.after!.id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(source.counters.ChannelWriteFail).toBe(3);
      // The position follows the commit of the last batch.
      const end = Date.now() + 5000;
      while (!(await readFile(join(dir, "position.json"), "utf8").catch(() => "")).includes('"key":"30"') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.parse(await readFile(join(dir, "position.json"), "utf8"))).toMatchObject({ key: "30" });
    } finally {
      await source.stop();
    }
  });

  it("timestamp+incrementing: an updated row is read again when its timestamp moves", async () => {
    const t = db.name("ts");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, v text, updated timestamptz NOT NULL)`);
    await db.sql.unsafe(`INSERT INTO ${t} VALUES (1, 'a', '2024-01-01T00:00:00Z'), (2, 'b', '2024-01-01T00:00:00Z'), (3, 'c', '2024-01-01T00:00:01Z')`);
    const c = collector();
    const { source } = await pollingSource(c.put, { table: t, mode: "timestamp+incrementing", "key.column": "id", "timestamp.column": "updated", "batch.max.rows": 2 });
    await source.start();
    try {
      await c.until((x) => x.length >= 3);
      await db.sql.unsafe(`UPDATE ${t} SET v = 'a2', updated = '2024-01-02T00:00:00Z' WHERE id = 1`);
      await c.until((x) => x.length >= 4);
      await new Promise((r) => setTimeout(r, 200));
      expect(c.changes().map((x) => [x.after!.id, x.after!.v])).toEqual([[1, "a"], [2, "b"], [3, "c"], [1, "a2"]]);
    } finally {
      await source.stop();
    }
  });

  it("reads a custom query, keyed by key.column", async () => {
    const t = db.name("q");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, kind text)`);
    await db.sql.unsafe(`INSERT INTO ${t} VALUES (1, 'keep'), (2, 'drop'), (3, 'keep')`);
    const c = collector();
    const { source } = await pollingSource(c.put, { query: `SELECT id, upper(kind) AS kind FROM ${t} WHERE kind = 'keep'`, "key.column": "id" });
    await source.start();
    try {
      await c.until((x) => x.length >= 2);
      expect(c.changes().map((x) => x.after)).toEqual([{ id: 1, kind: "KEEP" }, { id: 3, kind: "KEEP" }]);
      expect(c.events[1].headers.key).toBe('{"id":3}');
    } finally {
      await source.stop();
    }
  });

  it("with timestamp.delay.interval.ms, a key handed out before a later one but committed after it is not skipped", async () => {
    const t = db.name("late");
    await db.sql.unsafe(`CREATE TABLE ${t} (id serial PRIMARY KEY, v text)`);
    const run = async (delay: number) => {
      await db.sql.unsafe(`TRUNCATE ${t}`);
      const c = collector();
      const { source } = await pollingSource(c.put, { table: t, "key.column": "id", "timestamp.delay.interval.ms": delay });
      await source.start();
      try {
        // A transaction takes a key, a second one takes the next key and commits first.
        await db.sql.begin(async (slow) => {
          await slow.unsafe(`INSERT INTO ${t} (v) VALUES ('slow')`);
          await db.sql.unsafe(`INSERT INTO ${t} (v) VALUES ('fast')`);
          await new Promise((r) => setTimeout(r, 400));
        });
        await new Promise((r) => setTimeout(r, delay + 600));
        return c.changes().map((x) => x.after!.v);
      } finally {
        await source.stop();
      }
    };
    expect(await run(0)).toEqual(["fast"]);
    expect(await run(1500)).toEqual(["slow", "fast"]);
  }, 30_000);

  it("polls an embedded PGlite database and resumes from its position", async () => {
    const dir = await db.tempDir();
    const pgDir = join(dir, "pg");
    let lite = await PGlite.create(pgDir);
    await lite.exec(`CREATE TABLE items (id int PRIMARY KEY, label text, meta jsonb, seen bool, raw bytea);
      INSERT INTO items VALUES (1, 'one', '{"x": 1}', true, '\\x0102'), (2, 'two', null, false, null);`);
    await lite.close();
    const c = collector();
    const { source, config } = await pollingSource(c.put, { url: `pglite:${pgDir}`, table: "items", "key.column": "id" }, join(dir, "state"));
    await source.start();
    await c.until((x) => x.length >= 2);
    await source.stop();
    expect(c.changes().map((x) => x.after)).toEqual([
      { id: 1, label: "one", meta: { x: 1 }, seen: true, raw: Buffer.from([1, 2]).toString("base64") },
      { id: 2, label: "two", meta: null, seen: false, raw: null },
    ]);
    lite = await PGlite.create(pgDir);
    await lite.exec(`INSERT INTO items VALUES (3, 'three', '[1]', true, null)`);
    await lite.close();
    const again = new PostgresCdcSource("r1", config, c.put);
    await again.start();
    try {
      await c.until((x) => x.length >= 3);
      expect(c.changes()[2].after).toMatchObject({ id: 3, meta: [1] });
      expect(c.events.length).toBe(3);
    } finally {
      await again.stop();
    }
  }, 120_000);

  it("a source retargeted to another table, query, key column, mode or database starts that capture from its beginning", async () => {
    const a = db.name("reta");
    const b = db.name("retb");
    for (const t of [a, b]) await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, seq int NOT NULL, at timestamptz NOT NULL DEFAULT '2024-01-01T00:00:00Z')`);
    await db.sql.unsafe(`INSERT INTO ${a} SELECT g, g FROM generate_series(1, 1500) g`);
    await db.sql.unsafe(`INSERT INTO ${b} SELECT g, g FROM generate_series(1, 300) g`);
    const lite = join(await db.tempDir(), "pg");
    const pg = await PGlite.create(lite);
    await pg.exec(`CREATE TABLE ${a} (id int PRIMARY KEY, seq int NOT NULL); INSERT INTO ${a} SELECT g, g FROM generate_series(1, 40) g;`);
    await pg.close();
    const dataDir = await db.tempDir();
    const capture = async (props: Record<string, unknown>, expected: number) => {
      const c = collector();
      const { source } = await pollingSource(c.put, props, dataDir);
      await source.start();
      try {
        await c.until((x) => x.length >= expected);
        await new Promise((r) => setTimeout(r, 200));
        return c.changes().length;
      } finally {
        await source.stop();
      }
    };
    expect(await capture({ table: a, "key.column": "id" }, 1500)).toBe(1500);
    // Each edit is a new capture: all of its rows, not those past the old position.
    expect(await capture({ table: b, "key.column": "id" }, 300)).toBe(300);
    expect(await capture({ query: `SELECT * FROM ${b} WHERE id <= 100`, "key.column": "id" }, 100)).toBe(100);
    expect(await capture({ table: b, "key.column": "seq" }, 300)).toBe(300);
    expect(await capture({ table: b, mode: "timestamp+incrementing", "key.column": "id", "timestamp.column": "at" }, 300)).toBe(300);
    // The same capture again resumes where it was.
    await db.sql.unsafe(`INSERT INTO ${b} VALUES (301, 301)`);
    expect(await capture({ table: b, mode: "timestamp+incrementing", "key.column": "id", "timestamp.column": "at" }, 1)).toBe(1);
    const saved = JSON.parse(await readFile(join(dataDir, "position.json"), "utf8")) as { capture: unknown };
    expect(saved.capture).toMatchObject({ mode: "timestamp+incrementing", tables: [`public.${b}`], keyColumn: "id", timestampColumn: "at", database: expect.stringMatching(/^\d+\/test$/) });
    // A table of the same name in another database is another capture.
    expect(await capture({ url: `pglite:${lite}`, table: a, "key.column": "id" }, 40)).toBe(40);
  }, 120_000);

  it("through `tributary agent --flume-conf`: a source retargeted from a 1,500-row table to a new 300-row table captures all 300", async () => {
    const t1 = db.name("orders");
    const t2 = db.name("refunds");
    await db.sql.unsafe(`CREATE TABLE ${t1} (id serial PRIMARY KEY, v text)`);
    await db.sql.unsafe(`INSERT INTO ${t1} (v) SELECT 'o' || g FROM generate_series(1, 1500) g`);
    await db.sql.unsafe(`CREATE TABLE ${t2} (id serial PRIMARY KEY, v text)`);
    await db.sql.unsafe(`INSERT INTO ${t2} (v) SELECT 'r' || g FROM generate_series(1, 300) g`);
    const dir = await db.tempDir();
    const out = join(dir, "out");
    const conf = join(dir, "agent.properties");
    const tables = async () => {
      const counts = new Map<string, number>();
      for (const f of await readdir(out).catch(() => [])) {
        for (const line of (await readFile(join(out, f), "utf8")).split("\n").filter(Boolean)) {
          const table = (JSON.parse(line) as { source: { table: string } }).source.table;
          counts.set(table, (counts.get(table) ?? 0) + 1);
        }
      }
      return counts;
    };
    const runAgent = async (table: string, until: (c: Map<string, number>) => boolean) => {
      await writeFile(conf, [
        "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
        "a1.sources.r1.type = postgres_cdc", "a1.sources.r1.channels = c1", `a1.sources.r1.url = ${TEST_PG_URL}`,
        `a1.sources.r1.table = ${table}`, "a1.sources.r1.key.column = id", "a1.sources.r1.poll.interval.ms = 100",
        "a1.channels.c1.type = memory", "a1.channels.c1.capacity = 10000", "a1.channels.c1.transactionCapacity = 1000",
        "a1.sinks.k1.type = file_roll", `a1.sinks.k1.sink.directory = ${out}`, "a1.sinks.k1.channel = c1",
      ].join("\n"));
      const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "..", "cli-main.ts"), "--flume-conf", conf, "--name", "a1", "--data-dir", join(dir, "data")], { stdio: ["ignore", "ignore", "pipe"] });
      const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      try {
        const end = Date.now() + 30_000;
        while (!until(await tables()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      } finally {
        child.kill("SIGTERM");
      }
      expect(await exit).toBe(0);
      return tables();
    };
    expect((await runAgent(t1, (c) => c.get(t1) === 1500)).get(t1)).toBe(1500);
    expect((await runAgent(t2, (c) => c.get(t2) === 300)).get(t2)).toBe(300);
  }, 90_000);

  it("takes a position file written before captures were recorded as the current capture's", async () => {
    const t = db.name("legacy");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
    await db.sql.unsafe(`INSERT INTO ${t} SELECT g FROM generate_series(1, 10) g`);
    const dataDir = await db.tempDir();
    await writeFile(join(dataDir, "position.json"), JSON.stringify({ key: "7", ts: null, slot: null, snapshotDone: false, lsn: null }));
    const c = collector();
    const { source } = await pollingSource(c.put, { table: t, "key.column": "id" }, dataDir);
    await source.start();
    try {
      await c.until((x) => x.length >= 3);
      await new Promise((r) => setTimeout(r, 200));
      expect(c.changes().map((x) => x.after!.id)).toEqual([8, 9, 10]);
      expect((JSON.parse(await readFile(join(dataDir, "position.json"), "utf8")) as { capture: unknown }).capture).toMatchObject({ tables: [`public.${t}`] });
    } finally {
      await source.stop();
    }
  });

  it("is configured from a Flume .properties file with the same property names", () => {
    const { flow, unsupported } = importFlumeProperties([
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
      "a1.sources.r1.type = postgres_cdc", "a1.sources.r1.channels = c1", `a1.sources.r1.url = ${TEST_PG_URL}`,
      "a1.sources.r1.mode = timestamp+incrementing", "a1.sources.r1.table = orders", "a1.sources.r1.key.column = id",
      "a1.sources.r1.timestamp.column = updated_at", "a1.sources.r1.poll.interval.ms = 500", "a1.sources.r1.batch.max.rows = 200",
      "a1.channels.c1.type = memory", "a1.sinks.k1.type = null", "a1.sinks.k1.channel = c1",
    ].join("\n"), "a1");
    expect(unsupported).toEqual([]);
    expect(parseFlow(flow).sources.r1).toMatchObject({ type: "postgres_cdc", mode: "timestamp+incrementing", "key.column": "id", "timestamp.column": "updated_at", "poll.interval.ms": 500, "batch.max.rows": 200 });
  });

  it("rejects configurations that cannot work, naming the property", () => {
    const base = { type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL };
    const issues = (x: Record<string, unknown>) => postgresCdcSourceSchema.safeParse({ ...base, ...x }).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues({ table: "t" })).toEqual(["key.column: polling modes need key.column, a strictly increasing column"]);
    expect(issues({ mode: "logical", table: "t" })).toEqual(["slot: logical mode needs a replication slot name", "publication: logical mode needs a publication name"]);
    expect(issues({ mode: "logical", table: "t", slot: "s", publication: "p", url: "pglite:/x" })).toEqual(["url: PGlite has no replication; use a polling mode or a Postgres server"]);
    expect(issues({ table: "t", query: "select 1", "key.column": "id" })).toEqual(["table: set exactly one of table and query"]);
    expect(issues({ url: "mysql://x", table: "t", "key.column": "id" })?.[0]).toMatch(/^url: a postgres:/);
  });
});
