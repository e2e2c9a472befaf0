import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The project root, found by walking up from this module: the same answer whether the code runs
 * from sources (tsx, vitest) or from the bundle in dist/.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "db", "migrations"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the Tributary project root (package.json with db/migrations)");
    dir = up;
  }
}

export const projectRoot = findRoot();
export const migrationsDir = join(projectRoot, "db", "migrations");
