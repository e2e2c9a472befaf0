import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { CdcSetupError, DRIVER_PARSED_OIDS, TEXT_SESSION } from "./types";

/**
 * Connections that return every value as Postgres's text output, with the column type OIDs, so the
 * capture maps types itself (types.ts) the same way in every mode and on every driver.
 */

export interface TextResult {
  columns: { name: string; oid: number }[];
  rows: Record<string, string | null>[];
}

export interface TextClient {
  query(sql: string, params?: (string | number | null)[]): Promise<TextResult>;
  close(): Promise<void>;
}

const identity = (x: string) => x;

/** postgres.js with its parsers turned off and the session settings that make text output unambiguous. */
export function textSql(url: string, max: number): postgres.Sql {
  return postgres(url, {
    max,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "tributary-cdc", ...TEXT_SESSION },
    types: { text: { to: 25, from: DRIVER_PARSED_OIDS, serialize: (x: unknown) => String(x), parse: identity } },
  });
}

/** A client for the polling modes: a Postgres server through postgres.js, or a PGlite directory. */
export async function openTextClient(url: string): Promise<TextClient> {
  if (url.startsWith("pglite:")) {
    const dir = url.slice("pglite:".length).replace(/^\/\/(?=\/)/, "");
    const db = await PGlite.create(dir);
    for (const [k, v] of Object.entries(TEXT_SESSION)) await db.query(`SET ${k} = '${v}'`);
    // PGlite parses by type OID; identity parsers for every built-in type (OIDs below 10000) keep the text.
    const parsers = Object.fromEntries(Array.from({ length: 10_000 }, (_, oid) => [oid, identity]));
    return {
      async query(sql, params = []) {
        const r = await db.query<Record<string, string | null>>(sql, params, { parsers });
        return { columns: r.fields.map((f) => ({ name: f.name, oid: f.dataTypeID })), rows: r.rows };
      },
      close: () => db.close(),
    };
  }
  return sqlClient(textSql(url, 1));
}

/** A TextClient over a postgres.js instance made by textSql; close() ends it. */
export function sqlClient(sql: postgres.Sql): TextClient {
  return {
    async query(text, params = []) {
      const r = await sql.unsafe<Record<string, string | null>[]>(text, params as never[]);
      return { columns: r.columns.map((c) => ({ name: c.name, oid: c.type })), rows: [...r] };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

export interface TableInfo {
  schema: string;
  table: string;
  columns: { name: string; oid: number }[];
  /** Primary key columns in key order; empty when the table has none. */
  key: string[];
  /** pg_class.relreplident: d(efault: the primary key), f(ull), i(ndex) or n(othing). */
  replicaIdentity: string;
}

/** Resolves a table name the way Postgres would (search_path), with its columns and primary key. */
export async function describeTable(client: TextClient, name: string): Promise<TableInfo> {
  const rel = await client.query(
    "SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS table, c.relreplident AS ident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
    [name],
  );
  const r = rel.rows[0];
  if (!r) throw new CdcSetupError(`table ${name} does not exist (or this user cannot see it); create it, or fix the table setting`);
  const cols = await client.query(
    `SELECT a.attname AS name, a.atttypid::int8 AS oid, array_position(i.indkey::int2[], a.attnum) AS pk
       FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
      WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [r.oid!],
  );
  const key = cols.rows.filter((c) => c.pk !== null).sort((a, b) => Number(a.pk) - Number(b.pk)).map((c) => c.name!);
  return { schema: r.schema!, table: r.table!, replicaIdentity: r.ident!, columns: cols.rows.map((c) => ({ name: c.name!, oid: Number(c.oid) })), key };
}
