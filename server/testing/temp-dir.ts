import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/**
 * Fresh directories under the OS temp dir named `tributary-<label>-…`, every one removed once the
 * tests of the calling file (or describe block) are done, whether they passed or not. Call it where
 * hooks may be registered: at the top of a test file or inside a describe.
 */
export function tempDirs(label: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `tributary-${label}-`));
    made.push(dir);
    return dir;
  };
}
