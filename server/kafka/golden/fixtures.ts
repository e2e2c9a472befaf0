import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { specOf } from "./frames";

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
