import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

/**
 * Where a postgres_cdc source has got to, in one JSON file in its data directory. Written only after
 * the channel committed what it covers, and replaced atomically (write, then rename), so a crash
 * leaves either the old or the new position and the source re-reads at most one batch.
 */
export const positionSchema = z.object({
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

export class PositionFile {
  constructor(readonly path: string) {}

  /** The saved position, or null when the source never committed anything. */
  async load(): Promise<Position | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    const r = positionSchema.safeParse(JSON.parse(text));
    if (!r.success) throw new Error(`position file ${this.path} is not a postgres_cdc position (${r.error.issues[0]?.message}); delete it to start over`);
    return r.data;
  }

  async save(p: Position): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(p));
    await rename(tmp, this.path);
  }
}
