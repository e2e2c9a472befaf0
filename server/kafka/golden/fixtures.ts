import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { specOf } from "./frames";
import type { Capture } from "./proxy";

export const FIXTURES_DIR = join(import.meta.dirname, "fixtures");

const Frame = z.object({
  direction: z.enum(["request", "response"]),
  /** The real client that sent the request, or that read our response. */
  client: z.string().min(1),
  scenario: z.string().min(1),
  hex: z.string().regex(/^([0-9a-f]{2})+$/, "frames are stored as lower-case hex"),
});

const Fixture = z.object({
  api: z.string(),
  apiKey: z.number().int(),
  version: z.number().int(),
  frames: z.array(Frame).min(1),
});

export type GoldenFrame = z.infer<typeof Frame>;
export type GoldenFixture = z.infer<typeof Fixture>;

/** Frame bytes kept per API version, direction and client beyond the smallest frame, which is always kept. */
const EXTRA_BYTES_PER_CLIENT = 300;
const FRAMES_PER_CLIENT = 2;

export const fixtureName = (apiKey: number, version: number) => `${specOf(apiKey).name}-v${version}.json`;

export function readFixtures(dir = FIXTURES_DIR): GoldenFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const parsed = Fixture.safeParse(JSON.parse(readFileSync(join(dir, f), "utf8")));
      if (!parsed.success) throw new Error(`${f} is not a golden fixture (${parsed.error.message}); run npm run capture:golden to rewrite it`);
      if (f !== fixtureName(parsed.data.apiKey, parsed.data.version)) throw new Error(`${f} holds ${parsed.data.api} v${parsed.data.version}; rename it or capture again`);
      return parsed.data;
    });
}

/** Replaces the folder's fixtures with these, one file per API version, frames one per line so diffs stay readable. */
export function writeFixtures(fixtures: GoldenFixture[], dir = FIXTURES_DIR): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of fixtures) {
    const frames = f.frames.map((fr) => `    ${JSON.stringify(fr)}`).join(",\n");
    const head = JSON.stringify({ api: f.api, apiKey: f.apiKey, version: f.version }).slice(0, -1);
    writeFileSync(join(dir, fixtureName(f.apiKey, f.version)), `${head},\n  "frames": [\n${frames}\n  ]\n}\n`);
  }
}

/** The same frame apart from its correlation id (the first four bytes of a response, bytes 4–7 of a request). */
function identity(c: Capture): string {
  const copy = Buffer.from(c.frame);
  copy.fill(0, c.direction === "request" ? 4 : 0, c.direction === "request" ? 8 : 4);
  return copy.toString("hex");
}

/**
 * The smallest distinct frame, then frames from other scenarios (different requests of a kind)
 * while they fit the byte budget: fixtures stay a few KB however large a run's answers were.
 */
function pick(candidates: Capture[]): Capture[] {
  const seen = new Set<string>();
  const distinct = candidates.filter((c) => !seen.has(identity(c)) && seen.add(identity(c)));
  if (!distinct.length) return [];
  const smallest = distinct.reduce((a, b) => (b.frame.length < a.frame.length ? b : a));
  const chosen = [smallest];
  let budget = EXTRA_BYTES_PER_CLIENT;
  for (const c of distinct) {
    if (chosen.length >= FRAMES_PER_CLIENT) break;
    if (chosen.some((k) => k.scenario === c.scenario) || c.frame.length > budget) continue;
    chosen.push(c);
    budget -= c.frame.length;
  }
  return chosen;
}

/** One fixture per API version: per direction and client, a few distinct small frames. */
export function fixturesFrom(captures: Capture[]): GoldenFixture[] {
  const byVersion = new Map<string, Capture[]>();
  for (const c of captures) {
    const key = fixtureName(c.apiKey, c.version);
    byVersion.set(key, [...(byVersion.get(key) ?? []), c]);
  }
  return [...byVersion.values()]
    .map((group) => {
      const { apiKey, version } = group[0];
      const frames: GoldenFrame[] = [];
      for (const direction of ["request", "response"] as const) {
        for (const client of [...new Set(group.map((c) => c.client))].sort()) {
          const chosen = pick(group.filter((c) => c.direction === direction && c.client === client));
          frames.push(...chosen.map((c) => ({ direction, client, scenario: c.scenario, hex: c.frame.toString("hex") })));
        }
      }
      return { api: specOf(apiKey).name, apiKey, version, frames };
    })
    .sort((a, b) => a.apiKey - b.apiKey || a.version - b.version);
}
