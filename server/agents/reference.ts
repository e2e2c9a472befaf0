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

export interface ComponentProperty {
  name: string;
  /** Human-readable type, e.g. `integer`, `"line" | "json"`, `list of string`. */
  type: string;
  /** JSON Schema of the property, for forms. */
  schema: JsonProp;
  required: boolean;
  default?: unknown;
  description: string;
}

export interface ComponentType {
  /** Our type name first, then Flume's aliases and class names. */
  types: readonly string[];
  description: string;
  properties: ComponentProperty[];
}

export type ComponentKind = "sources" | "channels" | "sinks" | "interceptors" | "selectors" | "processors";

/** Properties every component of a kind has that the flow, not the component's form, supplies. */
const STRUCTURAL: Record<ComponentKind, readonly string[]> = {
  sources: ["type", "channels"],
  channels: ["type"],
  sinks: ["type", "channel"],
  interceptors: ["type"],
  selectors: ["type"],
  processors: ["type"],
};

function describeType(types: readonly string[], schema: z.ZodObject, skip: readonly string[]): ComponentType {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties: Record<string, JsonProp>; required?: string[] };
  const required = new Set(json.required ?? []);
  return {
    types,
    description: schema.description ?? "",
    properties: Object.entries(json.properties).filter(([k]) => !skip.includes(k)).map(([name, p]) => ({
      name,
      type: typeOf(p),
      schema: p,
      required: required.has(name) && p.default === undefined,
      ...(p.default !== undefined ? { default: p.default } : {}),
      description: p.description ?? "",
    })),
  };
}

/**
 * Every component type with its properties, from the schemas that validate flows: what the
 * console's flow forms and this reference are built from.
 */
export function componentCatalog(): Record<ComponentKind, ComponentType[]> {
  const of = (kind: ComponentKind, entries: { types: readonly string[]; schema: z.ZodObject }[]) => entries.map((e) => describeType(e.types, e.schema, STRUCTURAL[kind]));
  return {
    sources: of("sources", sourceTypes),
    channels: of("channels", channelTypes),
    sinks: of("sinks", sinkTypes),
    interceptors: of("interceptors", interceptorTypes),
    selectors: of("selectors", [{ types: ["replicating"], schema: replicatingSelectorSchema }, { types: ["multiplexing"], schema: multiplexingSelectorSchema }]),
    processors: of("processors", [
      { types: ["default"], schema: defaultProcessorSchema },
      { types: ["failover"], schema: failoverProcessorSchema },
      { types: ["load_balance"], schema: loadBalanceProcessorSchema },
    ]),
  };
}

function section(t: ComponentType): string {
  const rows = t.properties.map((p) => `| \`${p.name}\` | ${cell(p.type)} | ${p.default !== undefined ? `\`${cell(JSON.stringify(p.default))}\`` : p.required ? "required" : "—"} | ${cell(p.description)} |`);
  const aliases = t.types.slice(1);
  return [
    `### ${t.types[0]}`,
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
  processors: "Sink processors (sinkgroups)",
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
