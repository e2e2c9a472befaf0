import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { logger } from "../../../log";
import { readPositionFile } from "../position-file";
import type { TextClient } from "./connect";

const log = logger("agents.postgres_cdc");

/**
 * What a position is a position in. A source edited to read another table, query, key column,
 * mode, database or slot is a new capture: the old position says nothing about it.
 */
export const captureIdentitySchema = z.object({
  /** The server's system identifier and the database name: the same on a renamed host, different on another server. */
  database: z.string(),
  mode: z.string(),
  /** Captured tables as schema.table, sorted; empty for a query. */
  tables: z.array(z.string()),
  query: z.string().nullable(),
  keyColumn: z.string().nullable(),
  timestampColumn: z.string().nullable(),
  slot: z.string().nullable(),
  publication: z.string().nullable(),
});

export type CaptureIdentity = z.infer<typeof captureIdentitySchema>;

/**
 * Where a postgres_cdc source has got to, in one JSON file in its data directory. Written only after
 * the channel committed what it covers, and replaced atomically (write, then rename), so a crash
 * leaves either the old or the new position and the source re-reads at most one batch.
 */
export const positionSchema = z.object({
  /** The capture this position belongs to; null in files written before it was recorded. */
  capture: captureIdentitySchema.nullable().default(null),
  /** Polling: the last key and timestamp read, in Postgres's text form. */
  key: z.string().nullable().default(null),
  ts: z.string().nullable().default(null),
  /** Logical: the slot this source created and whether its initial snapshot was fully put. */
  slot: z.string().nullable().default(null),
  snapshotDone: z.boolean().default(false),
  /** Logical: the last commit LSN acknowledged to the server. */
  lsn: z.string().nullable().default(null),
});

export type Position = z.infer<typeof positionSchema>;

/** "table: public.a → public.b" for each field in which two captures differ. */
export function identityChanges(saved: CaptureIdentity, now: CaptureIdentity): string[] {
  const show = (v: unknown) => (Array.isArray(v) ? v.join(",") || "(none)" : v === null || v === undefined ? "(none)" : typeof v === "string" || typeof v === "number" ? String(v) : JSON.stringify(v));
  return (Object.keys(now) as (keyof CaptureIdentity)[])
    .filter((k) => show(saved[k]) !== show(now[k]))
    .map((k) => `${k}: ${show(saved[k])} → ${show(now[k])}`);
}

/** The database part of a capture's identity; a server that will not say its system identifier is known by name only. */
export async function databaseIdentity(client: TextClient): Promise<{ name: string; identity: string }> {
  const name = (await client.query("SELECT current_database() AS db")).rows[0].db!;
  const id = await client.query("SELECT system_identifier::text AS id FROM pg_control_system()").then((r) => r.rows[0]?.id ?? null, () => null);
  return { name, identity: id ? `${id}/${name}` : name };
}

export class PositionFile {
  constructor(readonly path: string) {}

  /**
   * The saved position of this capture, or null when there is none to resume: nothing committed
   * yet, or the file belongs to a capture the source no longer is (logged, with what changed, and
   * returned in `changed`). A file from before captures were recorded is taken as this capture's.
   */
  async loadFor(source: string, capture: CaptureIdentity): Promise<{ position: Position | null; changed: string[] }> {
    const saved = await this.load();
    if (!saved) return { position: null, changed: [] };
    if (!saved.capture) {
      log.info({ source, capture }, "position file records no capture; taking it as this one's and recording it from now on");
      return { position: { ...saved, capture }, changed: [] };
    }
    const changed = identityChanges(saved.capture, capture);
    if (changed.length === 0) return { position: saved, changed };
    log.warn({ source, changed, discarded: saved }, "the source now captures something else; its old position does not apply, so this capture starts afresh");
    return { position: null, changed };
  }

  private async load(): Promise<Position | null> {
    return readPositionFile(this.path, positionSchema, (reason) => `position file ${this.path} is not a postgres_cdc position (${reason}); delete it to start over`);
  }

  async save(p: Position): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(p));
    await rename(tmp, this.path);
  }
}
