import type postgres from "postgres";
import { z } from "zod";
import { type Sink, SinkCounters, defineComponent } from "../component";
import type { FlumeEvent } from "../model";
import { secret } from "../secret";
import { textSql } from "../sources/postgres-cdc/connect";
import { quoteName } from "../sources/postgres-cdc/types";

export const postgresSinkSchema = z.object({
  type: z.literal("postgres"),
  channel: z.string(),
  url: secret(z.string().regex(/^postgres(ql)?:\/\//, "a postgres://user:password@host:port/database URL"), "url").describe("Database to write to: postgres://user:password@host:port/database."),
  table: z.string().min(1).describe("Target table, as table or schema.table; it must exist."),
  mode: z.enum(["insert", "changes"]).default("insert").describe("insert: one row per event, from the columns mapping. changes: apply Debezium-style change events (from a postgres_cdc source): upsert on c, u and r, delete on d, truncate on t."),
  columns: z.record(z.string(), z.string().regex(/^(header:.+|body(\..+)?)$/, "header:<name>, body or body.<field>[.<field>…]")).optional().describe("insert mode: column → where its value comes from: header:<name>, body (the whole body) or body.<field> (a field of the JSON body; dots go deeper). Without it every top-level field of the JSON body goes to the column of the same name."),
  keyColumns: z.array(z.string()).optional().describe("insert mode: upsert on these columns (ON CONFLICT … DO UPDATE). changes mode: the row's key columns; by default the fields of the event's key (its primary key)."),
  keyHeader: z.string().default("key").describe("changes mode: header holding the event key as JSON (what postgres_cdc and the topic sink use)."),
  batchSize: z.number().int().positive().default(500).describe("Events taken and written in one database transaction."),
}).describe("Writes events into a Postgres table, one transaction per batch; the take commits only after the database committed. Can upsert on key columns, or apply change events so a table captured by postgres_cdc is replicated into another.");

type Config = z.infer<typeof postgresSinkSchema>;

/** Postgres's limit on bind parameters in one statement. */
const MAX_PARAMS = 65_535;

/** An event this sink cannot write; the message says which event and what to fix. */
export class BadEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadEventError";
  }
}

interface Column {
  /** Output of format_type(), for casts. */
  type: string;
  /** pg_type.typcategory: A array, U user/json…, S string… */
  category: string;
  /** Type name of the elements for arrays, else of the column. */
  base: string;
}

type Value = string | null;
type Row = Record<string, unknown>;

export class PostgresSink implements Sink {
  readonly counters = new SinkCounters();
  readonly batchSize: number;
  private sql: postgres.Sql | null = null;
  private columns: Map<string, Column> | null = null;
  private readonly table: string;

  constructor(private readonly config: Config) {
    this.batchSize = config.batchSize;
    this.table = quoteName(config.table);
  }

  start(): Promise<void> {
    // Values go as text with the driver's serializers off: postgres.js would otherwise re-encode
    // them by the parameter types the server infers (JSON twice, booleans from strings wrongly).
    this.sql = textSql(this.config.url, 1);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.sql?.end({ timeout: 5 });
    this.sql = null;
  }

  async deliver(events: FlumeEvent[]): Promise<void> {
    const cols = await this.describe();
    try {
      await this.sql!.begin(async (tx) => {
        if (this.config.mode === "insert") await this.insert(tx, cols, events);
        else await this.apply(tx, cols, events);
      });
    } catch (e) {
      // The table may have changed (a column added, a type altered); read it again on the retry.
      this.columns = null;
      throw e;
    }
  }

  /** The target table's columns and types, read once and again after a failed batch. */
  private async describe(): Promise<Map<string, Column>> {
    if (this.columns) return this.columns;
    const rows = await this.sql!<{ name: string; type: string; category: string; base: string }[]>`
      SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category,
             coalesce(e.typname, t.typname) AS base
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
       WHERE a.attrelid = to_regclass(${this.config.table}) AND a.attnum > 0 AND NOT a.attisdropped`;
    if (rows.length === 0) throw new Error(`table ${this.config.table} does not exist; create it before starting the postgres sink`);
    this.columns = new Map(rows.map((r) => [r.name, { type: r.type, category: r.category, base: r.base }]));
    return this.columns;
  }

  private async insert(tx: postgres.TransactionSql, cols: Map<string, Column>, events: FlumeEvent[]): Promise<void> {
    const rows = events.map((e, i) => this.mapRow(e, i));
    const keys = this.config.keyColumns;
    await this.upsertRows(tx, cols, keys && keys.length > 0 ? dedupe(rows, keys) : rows, keys);
  }

  private mapRow(e: FlumeEvent, i: number): Row {
    const mapping = this.config.columns;
    let body: unknown;
    const json = () => {
      if (body === undefined) body = parseJson(e, i);
      return body;
    };
    if (!mapping) {
      const b = json();
      if (typeof b !== "object" || b === null || Array.isArray(b)) throw new BadEventError(`event ${i} of the batch: body is not a JSON object; set columns to map it`);
      return b as Row;
    }
    const row: Row = {};
    for (const [col, from] of Object.entries(mapping)) {
      if (from.startsWith("header:")) row[col] = e.headers[from.slice(7)] ?? null;
      else if (from === "body") row[col] = e.body.toString("utf8");
      else {
        let v: unknown = json();
        for (const f of from.slice(5).split(".")) v = typeof v === "object" && v !== null ? (v as Row)[f] : undefined;
        row[col] = v ?? null;
      }
    }
    return row;
  }

  /**
   * Applies change events in order. Consecutive events of one kind are written by one statement:
   * upserts keep the last version of each key (later wins, as if applied one by one), deletes
   * are one DELETE … WHERE key IN; a truncate ends the run.
   */
  private async apply(tx: postgres.TransactionSql, cols: Map<string, Column>, events: FlumeEvent[]): Promise<void> {
    let run: Row[] = [];
    let runOp: "upsert" | "delete" | null = null;
    let keys: string[] = this.config.keyColumns ?? [];
    const flush = async () => {
      if (run.length === 0) return;
      if (runOp === "upsert") await this.upsertRows(tx, cols, dedupe(run, keys), keys);
      else await this.deleteRows(tx, cols, run, keys);
      run = [];
    };
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const env = parseJson(e, i) as { op?: unknown; before?: Row | null; after?: Row | null };
      const op = env.op;
      if (op === "t") {
        await flush();
        await tx.unsafe(`TRUNCATE ${this.table}`);
        continue;
      }
      const kind = op === "c" || op === "u" || op === "r" ? "upsert" : op === "d" ? "delete" : null;
      if (!kind) throw new BadEventError(`event ${i} of the batch: op ${JSON.stringify(op)} is not one of c, u, d, r, t; is this a change event from postgres_cdc?`);
      const row = kind === "upsert" ? env.after : env.before;
      if (typeof row !== "object" || row === null) throw new BadEventError(`event ${i} of the batch: op ${JSON.stringify(op)} without ${kind === "upsert" ? "after" : "before"}`);
      if (keys.length === 0) keys = this.keysOf(e, i);
      if (kind === "delete") {
        // Before images without every key column (replica identity) take the key from the event key.
        const k = e.headers[this.config.keyHeader];
        if (k && keys.some((c) => row[c] === undefined)) Object.assign(row, JSON.parse(k) as Row);
      }
      if (runOp !== kind) {
        await flush();
        runOp = kind;
      }
      run.push(row);
    }
    await flush();
  }

  private keysOf(e: FlumeEvent, i: number): string[] {
    const k = e.headers[this.config.keyHeader];
    if (k) {
      try {
        const parsed = JSON.parse(k) as unknown;
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return Object.keys(parsed);
      } catch {
        // not JSON: reported below
      }
    }
    throw new BadEventError(`event ${i} of the batch has no JSON key in header ${this.config.keyHeader}; set keyColumns to name the table's key columns`);
  }

  private async upsertRows(tx: postgres.TransactionSql, cols: Map<string, Column>, rows: Row[], keys: string[] | undefined): Promise<void> {
    // One statement per set of columns, so a column an event leaves out keeps its default or value.
    const groups = new Map<string, { names: string[]; rows: Row[] }>();
    for (const r of rows) {
      const names = Object.keys(r).filter((n) => r[n] !== undefined);
      for (const n of names) if (!cols.has(n)) throw new BadEventError(`table ${this.config.table} has no column ${n}; add it, or map the events with columns`);
      const sig = names.join("\u0000");
      (groups.get(sig) ?? groups.set(sig, { names, rows: [] }).get(sig)!).rows.push(r);
    }
    for (const { names, rows: group } of groups.values()) {
      if (names.length === 0) continue;
      const perStatement = Math.max(1, Math.floor(MAX_PARAMS / names.length));
      const conflict = keys && keys.length > 0
        ? ` ON CONFLICT (${keys.map(quoteName).join(", ")}) DO ${updateSet(names, keys)}`
        : "";
      for (let s = 0; s < group.length; s += perStatement) {
        const chunk = group.slice(s, s + perStatement);
        const params: Value[] = [];
        const tuples = chunk.map((r) => `(${names.map((n) => `$${params.push(encode(r[n], cols.get(n)!))}::${cols.get(n)!.type}`).join(", ")})`);
        await tx.unsafe(`INSERT INTO ${this.table} (${names.map(quoteName).join(", ")}) VALUES ${tuples.join(", ")}${conflict}`, params as never[]);
      }
    }
  }

  private async deleteRows(tx: postgres.TransactionSql, cols: Map<string, Column>, rows: Row[], keys: string[]): Promise<void> {
    for (const k of keys) if (!cols.has(k)) throw new BadEventError(`table ${this.config.table} has no key column ${k}; fix keyColumns`);
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / keys.length));
    for (let s = 0; s < rows.length; s += perStatement) {
      const params: Value[] = [];
      const tuples = rows.slice(s, s + perStatement).map((r) => `(${keys.map((k) => `$${params.push(encode(r[k], cols.get(k)!))}::${cols.get(k)!.type}`).join(", ")})`);
      await tx.unsafe(`DELETE FROM ${this.table} WHERE (${keys.map(quoteName).join(", ")}) IN (${tuples.join(", ")})`, params as never[]);
    }
  }
}

function updateSet(names: string[], keys: string[]): string {
  const rest = names.filter((n) => !keys.includes(n));
  return rest.length === 0 ? "NOTHING" : `UPDATE SET ${rest.map((n) => `${quoteName(n)} = EXCLUDED.${quoteName(n)}`).join(", ")}`;
}

/** Keeps the last row of each key: one INSERT … ON CONFLICT may not touch a row twice. */
function dedupe(rows: Row[], keys: string[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const r of rows) {
    const k = JSON.stringify(keys.map((c) => r[c] ?? null));
    byKey.delete(k); // re-inserted last, so rows keep the order of their final versions
    byKey.set(k, r);
  }
  return [...byKey.values()];
}

function parseJson(e: FlumeEvent, i: number): unknown {
  try {
    return JSON.parse(e.body.toString("utf8"));
  } catch (err) {
    throw new BadEventError(`event ${i} of the batch: body is not JSON (${(err as Error).message}); the postgres sink needs JSON bodies`);
  }
}

/**
 * A JSON value → the text (or bytes) Postgres reads for the column: the inverse of postgres_cdc's
 * mapping (bytea from base64, json kept as JSON, arrays as array literals).
 */
function encode(v: unknown, col: Column): Value {
  if (v === null || v === undefined) return null;
  if (col.category === "A") {
    if (!Array.isArray(v)) return typeof v === "string" ? v : JSON.stringify(v);
    return arrayLiteral(v, col.base);
  }
  return scalar(v, col.base);
}

function scalar(v: unknown, base: string): Value {
  if (base === "bytea") return `\\x${(typeof v === "string" ? Buffer.from(v, "base64") : Buffer.from(JSON.stringify(v))).toString("hex")}`;
  if (base === "json" || base === "jsonb") return JSON.stringify(v);
  if (typeof v === "boolean") return v ? "t" : "f";
  if (typeof v === "string") return v;
  return typeof v === "number" || typeof v === "bigint" ? String(v) : JSON.stringify(v);
}

function arrayLiteral(xs: unknown[], base: string): string {
  const items = xs.map((x) => {
    if (x === null || x === undefined) return "NULL";
    if (Array.isArray(x)) return arrayLiteral(x, base);
    const text = scalar(x, base)!;
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}

export const postgresSinkType = defineComponent({
  types: ["postgres"],
  schema: postgresSinkSchema,
  create: (config) => new PostgresSink(config),
});
