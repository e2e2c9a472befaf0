import { z } from "zod";
import { defaultProcessorSchema, failoverProcessorSchema, loadBalanceProcessorSchema } from "./processors/processors";
import { channelTypes, interceptorTypes, sinkTypes, sourceTypes } from "./registry";
import { multiplexingSelectorSchema, replicatingSelectorSchema } from "./selectors/selectors";

/** The part of JSON Schema that zod's toJSONSchema emits for a component property. */
export interface JsonProp {
  type?: string;
  anyOf?: JsonProp[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonProp;
  additionalProperties?: JsonProp;
  default?: unknown;
  description?: string;
}

export interface ComponentProperty {
  name: string;
  /** JSON Schema of the property. */
  schema: JsonProp;
  required: boolean;
  default?: unknown;
  description: string;
}

export interface CatalogEntry {
  /** Our type name. */
  type: string;
  /** Flume's aliases and class names for the same type. */
  aliases: string[];
  description: string;
  /** Plain JSON Schema of the whole config, for the designer's forms (zod's own type carries its validator, which the browser never sees). */
  schema: Record<string, unknown>;
  /** The properties a user sets, without those the flow's shape supplies (type, channels, channel). */
  properties: ComponentProperty[];
}

/** The kinds as a flow names them (sink processors are configured under sinkgroups). */
export type ComponentKind = "sources" | "interceptors" | "channels" | "sinks" | "selectors" | "sinkgroups";

export type Catalog = Record<ComponentKind, CatalogEntry[]>;

/** Properties every component of a kind has that the flow, not the component's form, supplies. */
const STRUCTURAL: Record<ComponentKind, readonly string[]> = {
  sources: ["type", "channels"],
  interceptors: ["type"],
  channels: ["type"],
  sinks: ["type", "channel"],
  selectors: ["type"],
  sinkgroups: ["type"],
};

function describe(kind: ComponentKind, types: readonly string[], schema: z.ZodObject): CatalogEntry {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown> & { properties: Record<string, JsonProp>; required?: string[] };
  const required = new Set(json.required ?? []);
  return {
    type: types[0],
    aliases: types.slice(1),
    description: schema.description ?? "",
    schema: json,
    properties: Object.entries(json.properties).filter(([k]) => !STRUCTURAL[kind].includes(k)).map(([name, p]) => ({
      name,
      schema: p,
      required: required.has(name) && p.default === undefined,
      ...(p.default !== undefined ? { default: p.default } : {}),
      description: p.description ?? "",
    })),
  };
}

/**
 * Every component type with its properties, from the schemas that validate flows: what the
 * designer's palette and forms and the component reference (docs/agent-components.md) are built from.
 */
export function componentCatalog(): Catalog {
  const of = (kind: ComponentKind, entries: readonly { types: readonly string[]; schema: z.ZodObject }[]) => entries.map((e) => describe(kind, e.types, e.schema));
  return {
    sources: of("sources", sourceTypes),
    interceptors: of("interceptors", interceptorTypes),
    channels: of("channels", channelTypes),
    sinks: of("sinks", sinkTypes),
    selectors: of("selectors", [{ types: ["replicating"], schema: replicatingSelectorSchema }, { types: ["multiplexing"], schema: multiplexingSelectorSchema }]),
    sinkgroups: of("sinkgroups", [
      { types: ["failover"], schema: failoverProcessorSchema },
      { types: ["load_balance"], schema: loadBalanceProcessorSchema },
      { types: ["default"], schema: defaultProcessorSchema },
    ]),
  };
}
