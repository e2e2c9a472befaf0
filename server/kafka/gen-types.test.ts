import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateTypes, TYPES_FILE, type DeclaredApi } from "./gen-types";
import { APIS } from "./messages";
import { parseFields, parseRange } from "./schema";

const declared = (request: string, response = "errorCode int16"): DeclaredApi => ({
  key: 99,
  name: "Example",
  minVersion: 0,
  maxVersion: 5,
  request: { fields: parseFields(request), flexible: parseRange("4+") },
  response: { fields: parseFields(response), flexible: parseRange("4+") },
});

/** One generated interface, from its doc comment to its closing brace. */
function block(text: string, name: string): string {
  const start = text.indexOf(`export interface ${name} {`);
  if (start < 0) throw new Error(`no interface ${name} in the output`);
  const doc = text.lastIndexOf("/**", start);
  return text.slice(doc, text.indexOf("\n}", start) + 2);
}

describe("the message type generator", () => {
  const out = generateTypes([
    declared(`
name string # What the example is called.
topics [] 2+ # The topics to look at.
  topicId uuid 3+
  partitions []int32
  owner {} null
    host string
hint string 4+ null tag=0 default=null # Only new clients send it.
retries int32 default=3
label string null=3+
`),
  ]);

  it("writes the decoded shape: every field present, nullable ones with null, nested structs by path", () => {
    expect(block(out, "ExampleRequest")).toBe(`/** Example request (API key 99), versions 0-5, flexible 4+. */
export interface ExampleRequest {
  /** What the example is called. */
  name: string;
  /** The topics to look at. Versions 2+. */
  topics: ExampleRequestTopic[];
  /** Only new clients send it. Versions 4+. Nullable. Tagged field 0. Default null. */
  hint: string | null;
  /** Default 3. */
  retries: number;
  /** Nullable in versions 3+. */
  label: string | null;
}`);
    expect(block(out, "ExampleRequestTopic")).toBe(`/** ExampleRequest.topics[]: The topics to look at. */
export interface ExampleRequestTopic {
  /** Versions 3+. */
  topicId: string;
  partitions: number[];
  /** Nullable. */
  owner: ExampleRequestTopicOwner | null;
}`);
  });

  it("writes the input shape: optional when defaulted, tagged, nullable or absent in some versions of where it appears", () => {
    expect(block(out, "ExampleRequestInput")).toContain(`  name: string;
  /** The topics to look at. Versions 2+. */
  topics?: readonly ExampleRequestTopicInput[];
  /** Only new clients send it. Versions 4+. Nullable. Tagged field 0. Default null. */
  hint?: string | null;
  /** Default 3. */
  retries?: number;
  /** Nullable in versions 3+. */
  label?: string | null;
}`);
    // Inside topics (versions 2+) a field declared 3+ is still absent in v2; an undeclared range is always there.
    expect(block(out, "ExampleRequestTopicInput")).toContain(`  topicId?: string;
  partitions: readonly number[];
  /** Nullable. */
  owner?: ExampleRequestTopicOwnerInput | null;
}`);
    expect(block(out, "ExampleRequestTopicOwnerInput")).toContain("  host: string;\n}");
    expect(block(out, "ExampleResponseInput")).toContain("  errorCode: number;\n}");
  });

  it("maps the API's name to its key and four shapes", () => {
    expect(out).toContain(
      "  Example: { key: 99; request: ExampleRequest; requestInput: ExampleRequestInput; response: ExampleResponse; responseInput: ExampleResponseInput };",
    );
    expect(out).toContain("export type ApiName = keyof KafkaMessages;");
  });

  it("refuses two structs that would share a name", () => {
    expect(() => generateTypes([declared("topics []\n  name string\ntopic {}\n  name string")])).toThrow(/two structs would be named ExampleRequestTopic/);
  });

  it("has written messages.types.ts from the current declarations", () => {
    expect(readFileSync(TYPES_FILE, "utf8"), "server/kafka/messages.types.ts is stale: run `npm run gen:kafka-types` and commit the result").toBe(
      generateTypes([...APIS.values()]),
    );
  });
});
