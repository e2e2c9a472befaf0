import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { z } from "zod";
import { readPositionFile } from "./position-file";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("position-file");
const schema = z.object({ file: z.string(), pos: z.number() });
const invalid = (reason: string | undefined) => `not a position (${reason}); delete it`;

it("reads a saved position, null before the first one, and refuses a file that is not a position", async () => {
  const path = join(tempDir(), "position.json");
  expect(await readPositionFile(path, schema, invalid)).toBeNull();
  await writeFile(path, JSON.stringify({ file: "a.log", pos: 42 }));
  expect(await readPositionFile(path, schema, invalid)).toEqual({ file: "a.log", pos: 42 });
  await writeFile(path, JSON.stringify({ file: "a.log" }));
  await expect(readPositionFile(path, schema, invalid)).rejects.toThrow(/^not a position \(.+\); delete it$/);
});
