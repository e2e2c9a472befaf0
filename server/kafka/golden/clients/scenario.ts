import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** What a scenario needs to know about the run it is part of. */
export interface RunContext {
  bootstrap: string;
  /** A prefix unique to this run, so topics and groups start empty and stay small. */
  prefix: string;
  sasl?: { mechanism: Mechanism; username: string; password: string };
}

export type Mechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface Scenario {
  name: string;
  /** Runs against the broker started with SASL users instead of the plain one. */
  sasl?: RunContext["sasl"];
  run(ctx: RunContext): Promise<void>;
}

export interface Client {
  /** The client library and version, as the coverage table names it. */
  name: string;
  scenarios: Scenario[];
}

export const SASL_USER = { username: "golden", password: "golden-secret" };
export const MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export const SASL_USERS = { [SASL_USER.username]: SASL_USER.password };

/** One scenario per SASL mechanism, each listing metadata once authenticated. */
export function saslScenarios(run: (ctx: RunContext) => Promise<void>): Scenario[] {
  return MECHANISMS.map((mechanism) => ({ name: `SASL ${mechanism}`, sasl: { mechanism, ...SASL_USER }, run }));
}

/** The installed version of an npm package, read from its package.json. */
export function packageVersion(name: string): string {
  const pkg = createRequire(import.meta.url).resolve(`${name}/package.json`);
  return String((JSON.parse(readFileSync(pkg, "utf8")) as { version: unknown }).version);
}
