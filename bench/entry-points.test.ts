import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const BENCH = fileURLToPath(new URL("./", import.meta.url));
const entries = readdirSync(BENCH).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

/**
 * The benchmarks run under tsx, not vitest, and vitest's hooks throw when imported outside a test
 * run: a test helper with a top-level `beforeAll` reached from a benchmark breaks its command.
 */
describe("benchmark entry points", () => {
  it.each(entries)("%s imports nothing from vitest", async (entry) => {
    const result = await build({ entryPoints: [BENCH + entry], bundle: true, platform: "node", format: "esm", packages: "external", write: false, metafile: true, logLevel: "silent", tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
    const external = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect(external.length).toBeGreaterThan(0);
    expect(external.filter((p) => p === "vitest" || p.startsWith("vitest/"))).toEqual([]);
  });
});
