import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { REFERENCE_FILE, renderReference } from "./reference";
import { channelTypes, interceptorTypes, sinkTypes, sourceTypes } from "./registry";

it("docs/agent-components.md is the reference rendered from the current schemas (regenerate: npx tsx server/agents/reference.ts)", async () => {
  const doc = await readFile(REFERENCE_FILE, "utf8");
  expect(doc).toBe(renderReference());
  for (const e of [...sourceTypes, ...channelTypes, ...sinkTypes, ...interceptorTypes]) expect(doc).toContain(`### ${e.types[0]}\n`);
  expect(doc).toMatch(/\| `kafka\.|\| `rollInterval` \| integer \| `30` \|/);
});
