/**
 * The component reference (docs/agent-components.md), rendered from the same zod schemas that
 * validate flows, so the docs cannot drift from what the runtime accepts.
 * `npx tsx server/agents/reference.ts` rewrites the file; a test fails when it is stale.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { projectRoot } from "../paths";
import { loadBalanceProcessorSchema, failoverProcessorSchema, defaultProcessorSchema } from "./processors/processors";
import { channelTypes, interceptorTypes, sinkTypes, sourceTypes } from "./registry";
import { multiplexingSelectorSchema, replicatingSelectorSchema } from "./selectors/selectors";

export const REFERENCE_FILE = join(projectRoot, "docs", "agent-components.md");

interface JsonProp {
  type?: string;
  anyOf?: JsonProp[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonProp;
  additionalProperties?: JsonProp;
  default?: unknown;
  description?: string;
}

function typeOf(p: JsonProp): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (p.const !== undefined) return JSON.stringify(p.const);
  if (p.anyOf) return p.anyOf.map(typeOf).join(" \\| ");
  if (p.type === "array") return `list of ${p.items ? typeOf(p.items) : "values"}`;
  if (p.type === "object") return `map of name → ${p.additionalProperties ? typeOf(p.additionalProperties) : "value"}`;
  return p.type ?? "any";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function section(title: string, types: readonly string[], schema: z.ZodObject, skip: readonly string[]): string {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties: Record<string, JsonProp>; required?: string[] };
  const required = new Set(json.required ?? []);
  const rows = Object.entries(json.properties)
    .filter(([k]) => !skip.includes(k))
    .map(([k, p]) => `| \`${k}\` | ${cell(typeOf(p))} | ${p.default !== undefined ? `\`${cell(JSON.stringify(p.default))}\`` : required.has(k) ? "required" : "—"} | ${cell(p.description ?? "")} |`);
  const aliases = types.slice(1);
  return [
    `### ${title}`,
    "",
    schema.description ?? "",
    ...(aliases.length > 0 ? ["", `Also accepted as: ${aliases.map((a) => `\`${a}\``).join(", ")}.`] : []),
    "",
    ...(rows.length > 0 ? ["| property | type | default | description |", "|---|---|---|---|", ...rows] : ["No properties."]),
    "",
  ].join("\n");
}

export function renderReference(): string {
  const kind = (heading: string, entries: { types: readonly string[]; schema: z.ZodObject }[], skip: readonly string[]) =>
    [`## ${heading}`, "", ...entries.map((e) => section(e.types[0]!, e.types, e.schema, skip))].join("\n");
  return [
    "# Agent components",
    "",
    "Generated from the flow schema (server/agents/reference.ts); do not edit by hand. Every component is configured by these names in flow JSON and in .properties files (`<agent>.sources.<name>.<property>`); the Flume names listed under each type are accepted too.",
    "",
    kind("Sources", sourceTypes, ["type", "channels"]),
    kind("Channels", channelTypes, ["type"]),
    kind("Sinks", sinkTypes, ["type", "channel"]),
    kind("Interceptors", interceptorTypes, ["type"]),
    kind("Channel selectors", [{ types: ["replicating"], schema: replicatingSelectorSchema }, { types: ["multiplexing"], schema: multiplexingSelectorSchema }], ["type"]),
    kind("Sink processors (sinkgroups)", [
      { types: ["default"], schema: defaultProcessorSchema },
      { types: ["failover"], schema: failoverProcessorSchema },
      { types: ["load_balance"], schema: loadBalanceProcessorSchema },
    ], ["type"]),
  ].join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await writeFile(REFERENCE_FILE, renderReference());
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
}
