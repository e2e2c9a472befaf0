/**
 * The component reference (docs/agent-components.md), rendered from the same zod schemas that
 * validate flows, so the docs cannot drift from what the runtime accepts.
 * `npx tsx server/agents/reference.ts` rewrites the file; a test fails when it is stale.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "../paths";
import { type CatalogEntry, type ComponentKind, type JsonProp, componentCatalog } from "./catalog";

export const REFERENCE_FILE = join(projectRoot, "docs", "agent-components.md");

function typeOf(p: JsonProp): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (p.const !== undefined) return JSON.stringify(p.const);
  if (p.anyOf) return p.anyOf.map(typeOf).join(" \\| ");
  if (p.type === "array") return `list of ${p.items ? typeOf(p.items) : "values"}`;
  if (p.type === "object") return `map of name → ${p.additionalProperties ? typeOf(p.additionalProperties) : "value"}`;
  return p.type ?? "any";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function section(t: CatalogEntry): string {
  const rows = t.properties.map((p) => `| \`${p.name}\` | ${cell(typeOf(p.schema))} | ${p.default !== undefined ? `\`${cell(JSON.stringify(p.default))}\`` : p.required ? "required" : "—"} | ${cell(p.description)} |`);
  const aliases = t.aliases;
  return [
    `### ${t.type}`,
    "",
    t.description,
    ...(aliases.length > 0 ? ["", `Also accepted as: ${aliases.map((a) => `\`${a}\``).join(", ")}.`] : []),
    "",
    ...(rows.length > 0 ? ["| property | type | default | description |", "|---|---|---|---|", ...rows] : ["No properties."]),
    "",
  ].join("\n");
}

const HEADINGS: Record<ComponentKind, string> = {
  sources: "Sources",
  channels: "Channels",
  sinks: "Sinks",
  interceptors: "Interceptors",
  selectors: "Channel selectors",
  sinkgroups: "Sink processors (sinkgroups)",
};

export function renderReference(): string {
  const catalog = componentCatalog();
  return [
    "# Agent components",
    "",
    "Generated from the flow schema (server/agents/reference.ts); do not edit by hand. Every component is configured by these names in flow JSON and in .properties files (`<agent>.sources.<name>.<property>`); the Flume names listed under each type are accepted too.",
    "",
    ...(Object.keys(HEADINGS) as ComponentKind[]).map((k) => [`## ${HEADINGS[k]}`, "", ...catalog[k].map(section)].join("\n")),
  ].join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await writeFile(REFERENCE_FILE, renderReference());
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
}
