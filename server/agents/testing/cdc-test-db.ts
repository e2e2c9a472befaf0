import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { BatchSink } from "../component";
import type { FlumeEvent } from "../model";
import type { ChangeEnvelope } from "../sources/postgres-cdc/types";

/**
 * For the postgres_cdc tests and benchmark: the local Postgres server, uniquely named tables, slots
 * and publications, and a cleanup that drops them all (a slot left behind keeps WAL forever).
 */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface CdcTestDb {
  sql: postgres.Sql;
  /** A name unique to this run, e.g. for a table: prefix_<random>. */
  name(prefix: string): string;
  tempDir(): Promise<string>;
  /** Drops a replication slot (if it exists), ending the walsender that holds it. */
  dropSlot(name: string): Promise<void>;
  cleanup(): Promise<void>;
}

async function dropSlot(sql: postgres.Sql, name: string): Promise<void> {
  // A slot still held by a walsender that is shutting down cannot be dropped yet.
  for (let i = 0; i < 50; i++) {
    const [s] = await sql<{ active_pid: number | null }[]>`SELECT active_pid FROM pg_replication_slots WHERE slot_name = ${name}`;
    if (!s) return;
    if (s.active_pid !== null) await sql`SELECT pg_terminate_backend(${s.active_pid})`;
    try {
      await sql`SELECT pg_drop_replication_slot(${name})`;
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`could not drop replication slot ${name}; drop it by hand, it keeps WAL`);
}

export function cdcTestDb(): CdcTestDb {
  const sql = postgres(TEST_PG_URL, { max: 4, onnotice: () => {} });
  const names: string[] = [];
  const dirs: string[] = [];
  const run = Math.random().toString(36).slice(2, 8);
  let n = 0;
  return {
    sql,
    name(prefix) {
      const x = `${prefix}_${run}_${n++}`;
      names.push(x);
      return x;
    },
    dropSlot: (x) => dropSlot(sql, x),
    async tempDir() {
      const d = await mkdtemp(join(tmpdir(), "tributary-cdc-"));
      dirs.push(d);
      return d;
    },
    async cleanup() {
      for (const x of names) {
        await dropSlot(sql, x);
        await sql.unsafe(`DROP PUBLICATION IF EXISTS "${x}"`);
        await sql.unsafe(`DROP TABLE IF EXISTS "${x}" CASCADE`);
      }
      await sql.end({ timeout: 5 });
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

export interface Collected {
  events: FlumeEvent[];
  changes(): ChangeEnvelope[];
  put: BatchSink;
  /** Resolves once `pred` holds for the collected changes; rejects after `ms`. */
  until(pred: (c: ChangeEnvelope[]) => boolean, ms?: number): Promise<void>;
}

/** A BatchSink that keeps every batch it is given, as a channel that always commits would. */
export function collector(): Collected {
  const events: FlumeEvent[] = [];
  const changes = () => events.map((e) => JSON.parse(e.body.toString()) as ChangeEnvelope);
  return {
    events,
    changes,
    put: (batch) => {
      events.push(...batch);
      return Promise.resolve();
    },
    async until(pred, ms = 20_000) {
      const end = Date.now() + ms;
      while (!pred(changes())) {
        if (Date.now() > end) throw new Error(`timed out waiting; have ${events.length} events`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
