import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema";

export type Schema = typeof schema;
/** Both drivers give this type, so queries are written once. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Where the data is: a directory for PGlite, the URL without its password for a server. */
  location: string;
  migrate(migrationsFolder: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/** Embedded Postgres (PGlite) under the data dir: nothing to install. */
async function openPglite(dataDir: string): Promise<Database> {
  const dir = join(dataDir, "pg");
  mkdirSync(dir, { recursive: true });
  const client = new PGlite(dir);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    location: dir,
    migrate: (migrationsFolder) => migratePglite(db as never, { migrationsFolder }),
    ping: async () => {
      await client.query("select 1");
    },
    close: () => client.close(),
  };
}

/** Advisory lock key held while migrating, so brokers of one cluster starting together migrate one at a time. */
const MIGRATION_LOCK = 7_311_982_014;

function openPostgres(url: string): Database {
  const client = postgres(url, { max: 10, onnotice: () => {}, connect_timeout: 10 });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    db,
    kind: "postgres",
    location: redactUrl(url),
    migrate: async (migrationsFolder) => {
      // One session holds the lock and runs the migrations; ending it releases the lock even if they fail.
      const session = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
      try {
        await session`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migratePostgres(drizzlePostgres(session), { migrationsFolder });
      } finally {
        await session.end({ timeout: 5 });
      }
    },
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** A Postgres server when `url` is given, else PGlite in `dataDir`. Checks the connection before returning. */
export async function openDatabase(opts: { url?: string; dataDir: string }): Promise<Database> {
  const database = opts.url ? openPostgres(opts.url) : await openPglite(opts.dataDir);
  try {
    await database.ping();
  } catch (err) {
    await database.close().catch(() => {});
    throw new Error(`cannot reach the database at ${database.location}: ${(err as Error).message}`);
  }
  return database;
}
