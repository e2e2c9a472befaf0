import { afterAll, describe, expect, it } from "vitest";
import type { FlumeEvent } from "../model";
import { cdcTestDb, TEST_PG_URL } from "../testing/cdc-test-db";
import { PostgresSink, postgresSinkSchema } from "./postgres";

const db = cdcTestDb();
afterAll(() => db.cleanup());

const json = (body: unknown, headers: Record<string, string> = {}): FlumeEvent => ({ headers, body: Buffer.from(JSON.stringify(body)) });

async function sink(props: Record<string, unknown>) {
  const s = new PostgresSink(postgresSinkSchema.parse({ type: "postgres", channel: "c1", url: TEST_PG_URL, ...props }));
  await s.start();
  return s;
}

const rows = (t: string) => db.sql.unsafe(`SELECT to_jsonb(x) AS r FROM ${t} x ORDER BY x.id`).then((r) => r.map((x) => x.r as Record<string, unknown>));

describe("postgres sink", () => {
  it("inserts JSON bodies field by field, converting values back to their column types", async () => {
    const t = db.name("ins");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, amount numeric(8,2), at timestamptz, doc jsonb, raw bytea, tags text[], ok boolean, note text DEFAULT 'none')`);
    const s = await sink({ table: t });
    try {
      await s.deliver([
        json({ id: 1, amount: "12.50", at: "2024-03-04T05:06:07.123Z", doc: { a: [1, "x"] }, raw: Buffer.from([1, 2, 255]).toString("base64"), tags: ["a", 'b "c"', null], ok: true }),
        json({ id: 2, amount: 3, doc: "just a string", ok: false }),
      ]);
      expect(await rows(t)).toEqual([
        { id: 1, amount: 12.5, at: "2024-03-04T05:06:07.123+00:00", doc: { a: [1, "x"] }, raw: "\\x0102ff", tags: ["a", 'b "c"', null], ok: true, note: "none" },
        { id: 2, amount: 3, at: null, doc: "just a string", raw: null, tags: null, ok: false, note: "none" },
      ]);
    } finally {
      await s.stop();
    }
  });

  it("maps headers and body fields to columns and upserts on keyColumns, the last event of a key winning", async () => {
    const t = db.name("map");
    await db.sql.unsafe(`CREATE TABLE ${t} (host text, seq int, msg text, raw text, PRIMARY KEY (host, seq))`);
    const s = await sink({ table: t, columns: { host: "header:host", seq: "body.meta.seq", msg: "body.text", raw: "body" }, keyColumns: ["host", "seq"] });
    try {
      await s.deliver([
        json({ meta: { seq: 1 }, text: "first" }, { host: "a" }),
        json({ meta: { seq: 2 }, text: "second" }, { host: "a" }),
        json({ meta: { seq: 1 }, text: "first again" }, { host: "a" }),
      ]);
      await s.deliver([json({ meta: { seq: 2 }, text: "second again" }, { host: "a" })]);
      const r = await db.sql.unsafe(`SELECT host, seq, msg FROM ${t} ORDER BY seq`);
      expect(r.map((x) => ({ ...x }))).toEqual([{ host: "a", seq: 1, msg: "first again" }, { host: "a", seq: 2, msg: "second again" }]);
      const [raw] = await db.sql.unsafe(`SELECT raw FROM ${t} WHERE seq = 1`);
      expect(JSON.parse(raw.raw as string)).toEqual({ meta: { seq: 1 }, text: "first again" });
    } finally {
      await s.stop();
    }
  });

  it("applies change events in order: upsert on c, u and r, delete on d, truncate on t", async () => {
    const t = db.name("chg");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`);
    const s = await sink({ table: t, mode: "changes" });
    const ev = (op: string, id: number, v: string | null, before?: Record<string, unknown>) =>
      json({ op, before: before ?? null, after: op === "d" ? null : { id, v }, source: {}, ts_ms: 0 }, { key: JSON.stringify({ id }), op, table: "public.x" });
    try {
      await s.deliver([ev("r", 1, "one"), ev("r", 2, "two"), ev("c", 3, "three"), ev("u", 1, "uno"), ev("d", 2, null, { id: 2 }), ev("c", 2, "dos"), ev("u", 2, "zwei")]);
      expect(await rows(t)).toEqual([{ id: 1, v: "uno" }, { id: 2, v: "zwei" }, { id: 3, v: "three" }]);
      // A delete whose before image lacks the key takes it from the event key.
      await s.deliver([ev("d", 3, null, {}), json({ op: "t", before: null, after: null, source: {}, ts_ms: 0 }), ev("c", 9, "nine")]);
      expect(await rows(t)).toEqual([{ id: 9, v: "nine" }]);
    } finally {
      await s.stop();
    }
  });

  it("rejects a batch with a bad event as a whole, naming the event, and writes none of it", async () => {
    const t = db.name("bad");
    await db.sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
    const s = await sink({ table: t });
    try {
      await expect(s.deliver([json({ id: 1 }), { headers: {}, body: Buffer.from("not json") }])).rejects.toThrow(/event 1 of the batch: body is not JSON/);
      await expect(s.deliver([json({ id: 1, nope: 2 })])).rejects.toThrow(/has no column nope/);
      const changes = await sink({ table: t, mode: "changes" });
      await expect(changes.deliver([json({ op: "x" })])).rejects.toThrow(/op "x" is not one of c, u, d, r, t/);
      await changes.stop();
      expect(await rows(t)).toEqual([]);
      await s.deliver([json({ id: 1 })]);
      expect(await rows(t)).toEqual([{ id: 1 }]);
    } finally {
      await s.stop();
    }
    const missing = await sink({ table: db.name("missing") });
    await expect(missing.deliver([json({ id: 1 })])).rejects.toThrow(/does not exist; create it/);
    await missing.stop();
  });
});
