import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { componentCatalog } from "./catalog";
import { REFERENCE_FILE, renderReference } from "./reference";
import { channelTypes, interceptorTypes, sinkTypes, sourceTypes } from "./registry";

it("docs/agent-components.md is the reference rendered from the current schemas (regenerate: npx tsx server/agents/reference.ts)", async () => {
  const doc = await readFile(REFERENCE_FILE, "utf8");
  expect(doc).toBe(renderReference());
  for (const e of [...sourceTypes, ...channelTypes, ...sinkTypes, ...interceptorTypes]) expect(doc).toContain(`### ${e.types[0]}\n`);
  expect(doc).toMatch(/\| `kafka\.|\| `rollInterval` \| integer \| `30` \|/);
});

it("the component catalog gives forms each property's JSON schema, default and whether it is required", () => {
  const catalog = componentCatalog();
  const http = catalog.sinks.find((t) => t.type === "http")!;
  expect(http.aliases).toContain("org.apache.flume.sink.http.HttpSink");
  expect(http.properties.find((p) => p.name === "endpoint")).toMatchObject({ required: true, schema: { type: "string", format: "uri" } });
  expect(http.properties.find((p) => p.name === "format")).toMatchObject({ required: false, default: "json", schema: { enum: ["json", "ndjson", "text"] } });
  expect(http.properties.some((p) => p.name === "channel" || p.name === "type")).toBe(false);
  const failover = catalog.sinkgroups.find((t) => t.type === "failover")!;
  expect(failover.properties.map((p) => p.name)).toEqual(["priority", "maxpenalty"]);
  // The designer's forms take the whole config's JSON Schema; secrets carry their mark there.
  const topic = catalog.sinks.find((t) => t.type === "topic")!;
  expect(topic.schema).toMatchObject({ type: "object", properties: { saslJaasConfig: { secret: "value" }, securityProtocol: { enum: ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] } } });
  // Exactly-once is one optional property of the topic sink's form, the topic source's session timeout one of its form.
  expect(topic.properties.find((p) => p.name === "transactionalId")).toMatchObject({ required: false, schema: { type: "string", description: expect.stringContaining("kafka.producer.transactional.id") } });
  expect(topic.properties.find((p) => p.name === "transactionTimeoutMs")).toMatchObject({ required: false, default: 60_000 });
  expect(catalog.sources.find((t) => t.type === "topic")!.properties.find((p) => p.name === "sessionTimeoutMs")).toMatchObject({ default: 45_000 });
});
