import { expect, it } from "vitest";
import { SECRET_PLACEHOLDER as H } from "../agents/secret";
import type { FlowIssue } from "./flows";
import { redactDetails, redactFlow, restoreSecrets } from "./secrets";

const cdc = (url: string) => ({ sources: { cdc: { type: "postgres_cdc", channels: ["c"], url, table: "t", "key.column": "id" } } });
const urlOf = (def: unknown) => (def as ReturnType<typeof cdc>).sources.cdc.url;

it("hides a URL's password and credential-named query parameters, keeping the rest", () => {
  expect(urlOf(redactFlow(cdc("postgres://app:p%40ss@db:5432/orders?password=q&sslmode=require")))).toBe(`postgres://app:${H}@db:5432/orders?password=${H}&sslmode=require`);
  expect(urlOf(redactFlow(cdc("postgres://app@db/orders")))).toBe("postgres://app@db/orders");
  expect(urlOf(redactFlow(cdc("pglite:/var/lib/db")))).toBe("pglite:/var/lib/db");
  // Unparseable (a bad port): the password could be anywhere, so all of it goes.
  expect(urlOf(redactFlow(cdc("postgres://app:pw@db:port/orders")))).toBe(H);
});

it("puts the stored URL password back only for the same user and host", () => {
  const stored = cdc("postgres://app:p%40ss@db:5432/orders?password=q");
  const issues: FlowIssue[] = [];
  expect(urlOf(restoreSecrets(cdc(`postgres://app:${H}@db:5432/other?password=${H}`), stored, issues))).toBe("postgres://app:p%40ss@db:5432/other?password=q");
  expect(urlOf(restoreSecrets(cdc(`postgres://app:typed@db:5432/orders`), stored, issues))).toBe("postgres://app:typed@db:5432/orders");
  expect(issues).toEqual([]);
  restoreSecrets(cdc(`postgres://root:${H}@db:5432/orders`), stored, issues);
  expect(issues).toEqual([{ path: ["sources", "cdc", "url"], message: expect.stringMatching(/same user and host/) }]);
});

it("hides credential-named audit values, not objects that merely carry such a name", () => {
  const details = {
    input: { username: "u", password: "p", saslPassword: "s", apiKey: 7, passwordChanged: true },
    before: { offsets: { "user-tokens": { 0: 12 } } },
  };
  expect(redactDetails(details)).toEqual({
    input: { username: "u", password: H, saslPassword: H, apiKey: H, passwordChanged: true },
    before: { offsets: { "user-tokens": { 0: 12 } } },
  });
});

it("scrubs URL passwords and credential-named settings in free text", () => {
  const text = ["a1.sinks.k1.url = postgres://w:hunter2@db/app", "a1.sinks.k1.sasl.jaas.config = x password=\"y\";", "a1.sinks.k1.batchSize = 10"].join("\n");
  expect(redactDetails({ input: { text } })).toEqual({
    input: { text: [`a1.sinks.k1.url = postgres://w:${H}@db/app`, `a1.sinks.k1.sasl.jaas.config = ${H}`, "a1.sinks.k1.batchSize = 10"].join("\n") },
  });
});
