#!/usr/bin/env node
// Bundles the server if the bundle is missing or older than its sources, then runs the CLI, which
// builds the console on first start. So `npm start` works on a fresh clone right after `npm ci`.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bundle = join(root, "dist", "cli.mjs");

function newestMtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

const sources = ["server", "db", "package.json", "tsconfig.json"].map((p) => join(root, p));
if (!existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(...sources.map(newestMtime))) {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [join(root, "server", "cli.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  });
}

const { main } = await import(pathToFileURL(bundle).href);
await main(process.argv.slice(2));
