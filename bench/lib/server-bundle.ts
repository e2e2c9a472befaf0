import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVER_SCRIPT = join(PROJECT_ROOT, "bench", "peers", "tributary-server.ts");
const OUTFILE = join(PROJECT_ROOT, "dist", "bench", "tributary-server.mjs");
let bundle: Promise<string> | undefined;

/**
 * Bundles bench/peers/tributary-server.ts the way bin/tributary.mjs bundles the server for
 * `npm start` (esbuild, packages left to node_modules) into dist/, and returns its path, so a
 * benchmark's broker runs the code users run. Under tsx every function would be wrapped to keep
 * its name (esbuild's keepNames), which costs a property definition per closure created: a tax on
 * each request that production does not pay.
 */
export function bundledBrokerServer(): Promise<string> {
  // Once per benchmark process: brokers started together must not read a bundle being rewritten.
  bundle ??= build({ entryPoints: [SERVER_SCRIPT], outfile: OUTFILE, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", sourcemap: true, logLevel: "warning", tsconfig: join(PROJECT_ROOT, "tsconfig.json") }).then(() => OUTFILE);
  return bundle;
}
