import { readFile } from "node:fs/promises";
import type { z } from "zod";

/**
 * A source's saved position (spooldir's tracker, taildir's position file, postgres_cdc's offset):
 * null when there is none yet (the first start). A file that is there but is not `schema` fails with
 * `invalid(reason)` rather than being ignored, since starting over would re-read or skip data.
 */
export async function readPositionFile<S extends z.ZodType>(path: string, schema: S, invalid: (reason: string | undefined) => string): Promise<z.output<S> | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(invalid(parsed.error.issues[0]?.message));
  return parsed.data;
}
