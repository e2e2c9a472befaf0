import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { metrics } from "../../../metrics/registry";
import type { BatchSink } from "../../component";
import { ChannelFullError } from "../../model";
import { SLOT_LAG_METRIC } from "./logical";
import { cdcTestDb, collector, TEST_PG_URL } from "../../testing/cdc-test-db";
import type { ChangeEnvelope } from "./types";
import { PostgresCdcSource, postgresCdcSourceSchema } from "./source";

const db = cdcTestDb();
afterAll(() => db.cleanup());

async function logicalSource(table: string, put: BatchSink, extra: Record<string, unknown> = {}, dataDir?: string) {
  const dir = dataDir ?? (await db.tempDir());
  const config = postgresCdcSourceSchema.parse({ type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL, mode: "logical", table, slot: db.name("slot"), publication: db.name("pub"), dataDir: dir, ...extra });
  // Slots are few (max_replication_slots); each test gives its own back as soon as it ends.
  onTestFinished(() => db.dropSlot(config.slot!));
  return { source: new PostgresCdcSource("r1", config, put), config, dir };
}

const keyed = (changes: ChangeEnvelope[]) => changes.filter((c) => c.op !== "t");

describe("postgres_cdc logical mode", () => {
  it("streams inserts, updates, deletes and truncates as Debezium change events, with types mapped faithfully", async () => {
    const t = db.name("types");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, big int8, price numeric(12,4), ratio float8, ok boolean, name text,
      at timestamptz, local timestamp, day date, doc jsonb, raw bytea, tags text[], nums int4[], span interval, uid uuid)`);
    const c = collector();
    const { source } = await logicalSource(t, c.put);
    await source.start();
    try {
      await db.sql.unsafe(`INSERT INTO ${t} VALUES (1, 9007199254740993, 12.3400, 0.1, true, 'a "q"', '2024-03-04 05:06:07.123456+02', '2024-03-04 05:06:07.5',
        '2024-03-04', '{"a": [1, {"b": null}]}', '\\x00ff10', '{x,"y z",NULL}', '{1,2}', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')`);
      await db.sql.unsafe(`UPDATE ${t} SET name = 'b' WHERE id = 1`);
      await db.sql.unsafe(`INSERT INTO ${t} (id) VALUES (2)`);
      await db.sql.unsafe(`DELETE FROM ${t} WHERE id = 1`);
      await db.sql.unsafe(`TRUNCATE ${t}`);
      await c.until((x) => x.length >= 5);
      const [ins, upd, ins2, del, trunc] = c.changes();
      expect(ins).toMatchObject({ op: "c", before: null, source: { db: "test", schema: "public", table: t } });
      expect(ins.after).toEqual({
        id: 1, big: "9007199254740993", price: "12.3400", ratio: 0.1, ok: true, name: 'a "q"',
        at: "2024-03-04T03:06:07.123456Z", local: "2024-03-04T05:06:07.5", day: "2024-03-04", doc: { a: [1, { b: null }] },
        raw: Buffer.from([0, 255, 16]).toString("base64"), tags: ["x", "y z", null], nums: [1, 2], span: "P1DT2H", uid: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      });
      expect(ins.source.lsn).toBeGreaterThan(0);
      expect(ins.source.txId).toBeGreaterThan(0);
      expect(upd).toMatchObject({ op: "u", before: null, after: { id: 1, name: "b", price: "12.3400" } });
      expect(ins2).toMatchObject({ op: "c", after: { id: 2, name: null } });
      expect(del).toMatchObject({ op: "d", before: { id: 1 }, after: null });
      expect(trunc).toMatchObject({ op: "t", before: null, after: null, source: { table: t } });
      expect(c.events.map((e) => e.headers)).toEqual([
        { table: `public.${t}`, op: "c", key: '{"id":1}' },
        { table: `public.${t}`, op: "u", key: '{"id":1}' },
        { table: `public.${t}`, op: "c", key: '{"id":2}' },
        { table: `public.${t}`, op: "d", key: '{"id":1}' },
        { table: `public.${t}`, op: "t" },
      ]);
    } finally {
      await source.stop();
    }
  });

  it("delivers a transaction of many rows completely, in order, under one transaction id, in batches of batch.max.rows", async () => {
    const t = db.name("bulk");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`);
    const c = collector();
    const sizes: number[] = [];
    const { source } = await logicalSource(t, async (b) => {
      sizes.push(b.length);
      await c.put(b);
    }, { "batch.max.rows": 500 });
    await source.start();
    try {
      await db.sql.unsafe(`INSERT INTO ${t} SELECT g, 'row ' || g FROM generate_series(1, 5000) g`);
      await c.until((x) => x.length >= 5000);
      const ch = c.changes();
      expect(ch.map((x) => x.after!.id)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
      expect(new Set(ch.map((x) => x.source.txId)).size).toBe(1);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
      expect(sizes.length).toBeLessThanOrEqual(11);
    } finally {
      await source.stop();
    }
  });

  it("hands the initial snapshot (op r) over to streaming without a gap or an overlap while rows keep changing", async () => {
    const t = db.name("snap");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL)`);
    await db.sql.unsafe(`INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, 3000) g`);
    const c = collector();
    // A slow channel keeps the snapshot open while the writer changes rows.
    const { source } = await logicalSource(t, async (b) => {
      await new Promise((r) => setTimeout(r, 5));
      await c.put(b);
    }, { "batch.max.rows": 100 });
    let writing = true;
    const writer = (async () => {
      let next = 3001;
      while (writing) {
        await db.sql.unsafe(`UPDATE ${t} SET v = v + 1 WHERE id = ${1 + Math.floor(Math.random() * 3000)}`);
        await db.sql.unsafe(`INSERT INTO ${t} VALUES (${next++}, 0)`);
      }
    })();
    await source.start();
    await new Promise((r) => setTimeout(r, 300));
    writing = false;
    await writer;
    const rows = await db.sql.unsafe<{ id: number; v: number }[]>(`SELECT id, v FROM ${t}`);
    try {
      await c.until((x) => {
        const last = new Map(x.map((e) => [e.after!.id as number, e.after!.v as number]));
        return rows.every((r) => last.get(r.id) === r.v);
      });
      const ch = c.changes();
      const snap = ch.filter((x) => x.op === "r");
      const snapIds = new Set(snap.map((x) => x.after!.id));
      expect(snap.length).toBeGreaterThanOrEqual(3000);
      expect(snapIds.size).toBe(snap.length);
      // Every row inserted after the snapshot arrives exactly once as c; none of them was also in the snapshot.
      const created = ch.filter((x) => x.op === "c").map((x) => x.after!.id as number);
      expect(created.length).toBe(new Set(created).size);
      expect(created.filter((id) => snapIds.has(id))).toEqual([]);
      expect(new Set([...snapIds, ...created]).size).toBe(rows.length);
      // Per key, v only goes up by one: no update missed or applied twice across the hand-off.
      const byKey = new Map<number, number[]>();
      for (const x of ch) (byKey.get(x.after!.id as number) ?? byKey.set(x.after!.id as number, []).get(x.after!.id as number)!).push(x.after!.v as number);
      for (const [, vs] of byKey) vs.forEach((v, i) => i > 0 && expect(v).toBe(vs[i - 1] + 1));
    } finally {
      await source.stop();
    }
  }, 60_000);

  it("takes an interrupted initial snapshot again after a restart, then streams", async () => {
    const t = db.name("resnap");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
    await db.sql.unsafe(`INSERT INTO ${t} SELECT g FROM generate_series(1, 1000) g`);
    let accepted = 0;
    const stuck = await logicalSource(t, (b) => {
      if (accepted >= 300) return Promise.reject(new ChannelFullError("c1", "test"));
      accepted += b.length;
      return Promise.resolve();
    }, { "batch.max.rows": 100 });
    await stuck.source.start(); // returns at once: the snapshot runs in the background
    const end = Date.now() + 20_000;
    while (stuck.source.counters.ChannelWriteFail === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await stuck.source.stop();
    expect(accepted).toBe(300);
    const c = collector();
    const again = new PostgresCdcSource("r1", stuck.config, c.put);
    await again.start();
    try {
      await c.until((x) => x.length >= 1000);
      await db.sql.unsafe(`INSERT INTO ${t} VALUES (1001)`);
      await c.until((x) => x.length >= 1001);
      const ch = c.changes();
      expect(ch.slice(0, 1000).map((x) => [x.op, x.after!.id])).toEqual(Array.from({ length: 1000 }, (_, i) => ["r", i + 1]));
      expect(ch[1000]).toMatchObject({ op: "c", after: { id: 1001 } });
    } finally {
      await again.stop();
    }
  });

  it("resumes after restarts mid-stream without losing or reordering any key's changes", async () => {
    const t = db.name("restart");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL)`);
    const c = collector();
    const first = await logicalSource(t, c.put, { "batch.max.rows": 50 });
    let source = first.source;
    await source.start();
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        const id = n++ % 20;
        await db.sql.unsafe(`INSERT INTO ${t} VALUES (${id}, 0) ON CONFLICT (id) DO UPDATE SET v = ${t}.v + 1`);
      }
    })();
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 300));
      await source.stop();
      await new Promise((r) => setTimeout(r, 100));
      source = new PostgresCdcSource("r1", first.config, c.put);
      await source.start();
    }
    writing = false;
    await writer;
    const rows = await db.sql.unsafe<{ id: number; v: number }[]>(`SELECT id, v FROM ${t}`);
    try {
      await c.until((x) => {
        const last = new Map(keyed(x).map((e) => [e.after!.id as number, e.after!.v as number]));
        return rows.every((r) => last.get(r.id) === r.v);
      });
      const seen = new Map<number, number[]>();
      for (const x of c.changes()) (seen.get(x.after!.id as number) ?? seen.set(x.after!.id as number, []).get(x.after!.id as number)!).push(x.after!.v as number);
      for (const r of rows) {
        const vs = seen.get(r.id)!;
        // At-least-once: a restart may send the unacknowledged tail again, but never skips a version or goes back otherwise.
        expect(new Set(vs)).toEqual(new Set(Array.from({ length: r.v + 1 }, (_, i) => i)));
        for (let i = 1; i < vs.length; i++) expect(vs[i]).toBeLessThanOrEqual(vs[i - 1] + 1);
        expect(vs.filter((v, i) => i > 0 && v <= vs[i - 1]).length).toBeLessThanOrEqual(3);
        expect(vs[vs.length - 1]).toBe(r.v);
      }
      expect(c.events.length).toBeGreaterThan(100);
    } finally {
      await source.stop();
    }
  }, 60_000);

  it("acknowledges nothing the channel refused: the slot's lag grows, and the changes arrive after a restart", async () => {
    const t = db.name("refuse");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
    let refusals = 0;
    const refused = await logicalSource(t, () => {
      refusals++;
      return Promise.reject(new ChannelFullError("c1", "test"));
    }, { snapshot: "never" });
    await refused.source.start();
    await db.sql.unsafe(`INSERT INTO ${t} SELECT g FROM generate_series(1, 100) g`);
    const end = Date.now() + 20_000;
    const lag = () => metrics.list(SLOT_LAG_METRIC).find((m) => m.labels.slot === refused.config.slot) as { get(): number } | undefined;
    while ((refusals < 2 || (lag()?.get() ?? 0) === 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(refusals).toBeGreaterThanOrEqual(2);
    expect(lag()!.get()).toBeGreaterThan(0);
    expect(refused.source.counters.ChannelWriteFail).toBeGreaterThan(0);
    await refused.source.stop();
    expect(lag()).toBeUndefined();
    const c = collector();
    const again = new PostgresCdcSource("r1", refused.config, c.put);
    await again.start();
    try {
      await c.until((x) => x.length >= 100);
      expect(c.changes().map((x) => x.after!.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    } finally {
      await again.stop();
    }
  }, 60_000);

  it("stops promptly when stopped right after it started, while the replication connection is still being set up", async () => {
    const t = db.name("quick");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
    const c = collector();
    const { source, config } = await logicalSource(t, c.put, { snapshot: "never" });
    await source.start();
    const t0 = Date.now();
    await source.stop();
    expect(Date.now() - t0).toBeLessThan(5000);
    await db.sql.unsafe(`INSERT INTO ${t} VALUES (1)`);
    const again = new PostgresCdcSource("r1", config, c.put);
    await again.start();
    try {
      await c.until((x) => x.length === 1);
    } finally {
      await again.stop();
    }
  });

  it("refuses to stream on from its slot after a retarget to another table (rows would be missing), and snapshots it once the slot is dropped or renamed", async () => {
    const a = db.name("reta");
    const b = db.name("retb");
    for (const [t, n] of [[a, 100], [b, 50]] as const) {
      await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
      await db.sql.unsafe(`INSERT INTO ${t} SELECT g FROM generate_series(1, ${n}) g`);
    }
    const first = collector();
    const before = await logicalSource(a, first.put);
    await before.source.start();
    await first.until((x) => x.length >= 100);
    await before.source.stop();
    const retarget = { ...before.config, table: b, publication: db.name("pub") };
    const refused = new PostgresCdcSource("r1", retarget, async () => {});
    await expect(refused.start()).rejects.toThrow(new RegExp(`replication slot ${retarget.slot} was set up for another capture \\(tables: public\\.${a} → public\\.${b}; publication: .+\\), so this one has no record of its initial snapshot; drop it \\(SELECT pg_drop_replication_slot\\('${retarget.slot}'\\)\\)`));
    await db.dropSlot(retarget.slot!);
    const c = collector();
    const after = new PostgresCdcSource("r1", retarget, c.put);
    await after.start();
    try {
      await c.until((x) => x.length >= 50);
      expect(c.changes().map((x) => [x.op, x.after!.id])).toEqual(Array.from({ length: 50 }, (_, i) => ["r", i + 1]));
    } finally {
      await after.stop();
    }
    const renamed = { ...before.config, slot: db.name("slot") };
    onTestFinished(() => db.dropSlot(renamed.slot));
    const c2 = collector();
    const again = new PostgresCdcSource("r1", renamed, c2.put);
    await again.start();
    try {
      await c2.until((x) => x.length >= 100);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it("refuses, with what to do, a role without REPLICATION, a table without a primary key, and a foreign slot", async () => {
    const role = db.name("norepl");
    await db.sql.unsafe(`CREATE ROLE ${role} LOGIN`);
    try {
      const t = db.name("nopk");
      await db.sql.unsafe(`CREATE TABLE ${t} (v int)`);
      const url = TEST_PG_URL.replace("postgres@", `${role}@`);
      const noRepl = await logicalSource(t, async () => {}, { url });
      await expect(noRepl.source.start()).rejects.toThrow(/lacks the REPLICATION attribute.*ALTER ROLE/);
      const noPk = await logicalSource(t, async () => {});
      await expect(noPk.source.start()).rejects.toThrow(/no primary key.*REPLICA IDENTITY FULL/);

      const t3 = db.name("other");
      await db.sql.unsafe(`CREATE TABLE ${t3} (id int PRIMARY KEY)`);
      const pub = db.name("pub");
      await db.sql.unsafe(`CREATE PUBLICATION ${pub} FOR TABLE ${t3}`);
      const notInPub = await logicalSource(t, async () => {}, { publication: pub });
      await db.sql.unsafe(`ALTER TABLE ${t} ADD PRIMARY KEY (v)`);
      await expect(notInPub.source.start()).rejects.toThrow(/does not include public\.\w+.*ALTER PUBLICATION/);

      const t2 = db.name("foreign");
      await db.sql.unsafe(`CREATE TABLE ${t2} (id int PRIMARY KEY)`);
      const slot = db.name("slot");
      await db.sql`SELECT pg_create_logical_replication_slot(${slot}, 'pgoutput')`;
      onTestFinished(() => db.dropSlot(slot));
      const foreign = await logicalSource(t2, async () => {}, { slot });
      await expect(foreign.source.start()).rejects.toThrow(/already exists but this source has no record.*pg_drop_replication_slot/);
    } finally {
      await db.sql.unsafe(`DROP ROLE ${role}`);
    }
  });
});
