import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * kafkajs is a test-only dependency: compatibility tests and e2e specs use it as a Kafka client
 * nobody here wrote, and `npm run bench:client` measures it. Everything the product runs speaks
 * Kafka through server/kafka/client.
 */
const ROOT = join(import.meta.dirname, "..");

/**
 * Helpers only tests and test tooling import (the bundle check below proves the product does not
 * reach them): the compatibility harness, and the golden-frame capture's kafkajs client.
 */
const TEST_FIXTURES = ["server/broker/compat/harness.ts", "server/broker/compat/eos-child.ts", "server/kafka/golden/clients/kafkajs.ts"];

const IMPORTS_KAFKAJS = /(?:from\s+|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']kafkajs(?:\/[^"']*)?["']/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|tsx|mts|mjs|js)$/.test(e.name) ? [relative(ROOT, path)] : [];
  });
}

describe("kafkajs stays out of the product", () => {
  it("is a devDependency only", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies.kafkajs).toBeUndefined();
    expect(pkg.devDependencies.kafkajs).toBeDefined();
  });

  it("is imported under server/ only by tests and test fixtures", () => {
    const importers = sources(join(ROOT, "server")).filter((f) => IMPORTS_KAFKAJS.test(readFileSync(join(ROOT, f), "utf8")));
    const allowed = (f: string) => f.endsWith(".test.ts") || TEST_FIXTURES.includes(f);
    expect(importers.filter((f) => !allowed(f))).toEqual([]);
    // The check must see the imports it allows, or it proves nothing.
    expect(importers).toContain("server/broker/compat/harness.ts");
  });

  it("is not reached from the tributary command, whatever imports lead there", async () => {
    // What bin/tributary.mjs bundles: every module the product loads, with packages left external.
    const out = await build({ entryPoints: [join(ROOT, "server", "cli.ts")], bundle: true, platform: "node", format: "esm", packages: "external", write: false, metafile: true, logLevel: "silent" });
    const importers = Object.entries(out.metafile.inputs)
      .filter(([, input]) => input.imports.some((i) => i.path === "kafkajs" || i.path.startsWith("kafkajs/")))
      .map(([path]) => path);
    expect(importers).toEqual([]);
  });
});
