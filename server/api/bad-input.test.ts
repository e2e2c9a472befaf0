import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AnyProcedure } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createUser } from "../control/users";
import { createRequestHandler } from "../http";
import { appRouter } from "./root";
import { ConsoleClient } from "./test-client";
import { startRouterEnv } from "./testing";

/**
 * Every procedure, sent input of the right shape with wrong contents and input of the wrong shape,
 * over real HTTP as an admin: whatever it answers, it is never a 500 and always says something.
 * Samples are built from each procedure's own input schema, so a new procedure is covered as soon
 * as it is added.
 */

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  additionalProperties?: JsonSchema | boolean;
};

/** Strings a person might paste by mistake: not JSON, not a name, not a number. */
const STRINGS = ["garbage", "{not json", "a.b..c", "1e999", "%$#@!", " ", "x"];
/** Ids and counts that match nothing here (1 would be the admin itself). */
const NUMBERS = [987_654, 0, 2 ** 31, 3];
const FREE = ["garbage", { garbage: true }, [1, "two"], 42];

function sample(s: JsonSchema, v: number): unknown {
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[v % s.enum.length];
  const options = s.anyOf ?? s.oneOf;
  if (options) return sample(options[v % options.length], v);
  const type = Array.isArray(s.type) ? s.type[v % s.type.length] : s.type;
  switch (type) {
    case "string": {
      const text = STRINGS[v % STRINGS.length].padEnd(s.minLength ?? 0, "x");
      return text.slice(0, s.maxLength ?? text.length);
    }
    case "number":
    case "integer": {
      const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -Infinity);
      return Math.min(Math.max(NUMBERS[v % NUMBERS.length], lo), s.maximum ?? Infinity);
    }
    case "boolean":
      return v % 2 === 0;
    case "null":
      return null;
    case "array": {
      if (s.prefixItems) return s.prefixItems.map((i) => sample(i, v));
      const item = Array.isArray(s.items) ? s.items[0] : s.items;
      return item ? Array.from({ length: Math.max(s.minItems ?? 0, 1) }, () => sample(item, v)) : [];
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties ?? {})) if (v % 2 === 0 || s.required?.includes(k)) out[k] = sample(p, v);
      if (!s.properties && typeof s.additionalProperties === "object") out.garbage = sample(s.additionalProperties, v);
      return out;
    }
    default:
      return FREE[v % FREE.length];
  }
}

/** Wrong-shaped inputs, which the schema itself must turn away with a 400. */
const MALFORMED: unknown[] = ["garbage", 42, null, [], { garbage: { deeper: [1] } }];

/** Every procedure by its path ("flows.importProperties"): tRPC keeps them flat at run time, though its type nests them. */
const PROCEDURES = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>);

/** Procedures this test must not call: signing out would end the session the rest of it uses. */
const SKIPPED = new Set(["auth.logout"]);

function inputsOf(procedure: AnyProcedure): unknown[] {
  const schema = procedure._def.inputs[0];
  if (!(schema instanceof z.ZodType)) return [undefined, ...MALFORMED];
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return [...Array.from({ length: 8 }, (_, v) => sample(json, v)), ...MALFORMED];
}

describe("bad input answers 400, never 500, on every procedure", () => {
  let env: Awaited<ReturnType<typeof startRouterEnv>>;
  let server: Server;
  let admin: ConsoleClient;

  beforeAll(async () => {
    env = await startRouterEnv();
    await createUser(env.database.db, { username: "root", password: "root-password", role: "admin" });
    server = createServer(createRequestHandler(env.services, undefined));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    admin = await new ConsoleClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).login("root", "root-password");
  }, 60_000);
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await env?.stop();
  });

  async function call(path: string, type: string, input: unknown): Promise<{ status: number; message: string }> {
    const encoded = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const res =
      type === "mutation"
        ? await admin.raw("POST", `/api/trpc/${path}`, { headers: { "content-type": "application/json" }, body: JSON.stringify(input ?? null) })
        : await admin.raw("GET", `/api/trpc/${path}${encoded}`);
    const body = JSON.parse(res.text) as { error?: { message: string } };
    return { status: res.status, message: body.error?.message ?? "" };
  }

  it("answers a Flume import of garbage with 400 and what to fix", async () => {
    const res = await call("flows.importProperties", "mutation", { text: "\u0000garbage ::: ===\n!!", agent: "a1" });
    expect(res).toEqual({ status: 400, message: 'no properties for agent "a1" (expected keys starting with "a1."); check --name' });
  });

  it("answers an id beyond the database's integer with 400", async () => {
    expect(await call("users.update", "mutation", { id: 2 ** 31, role: "viewer" })).toMatchObject({ status: 400, message: expect.stringContaining("out of range") as unknown });
  });

  it("answers every query and mutation with a status below 500 and a message on failure", async () => {
    const failures: string[] = [];
    for (const [path, procedure] of PROCEDURES) {
      const type = procedure._def.type;
      if (SKIPPED.has(path) || type === "subscription") continue;
      for (const input of inputsOf(procedure)) {
        const { status, message } = await call(path, type, input);
        if (status >= 500 || (status >= 400 && !message)) failures.push(`${path} ${JSON.stringify(input)} → ${status} ${message}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("ends every subscription given bad input with a 400-class error, never an internal one", async () => {
    const failures: string[] = [];
    for (const [path, procedure] of PROCEDURES) {
      if (procedure._def.type !== "subscription") continue;
      for (const input of inputsOf(procedure)) {
        const outcome = await readStream(admin, path, input);
        if (outcome.code === "INTERNAL_SERVER_ERROR") failures.push(`${path} ${JSON.stringify(input)} → ${outcome.code} ${outcome.message}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

/**
 * The first event of a subscription over Server-Sent Events, or the error it ended with; a stream
 * still open after two seconds is taken as working (a tail waiting for records).
 */
async function readStream(client: ConsoleClient, path: string, input: unknown): Promise<{ code: string; message: string }> {
  const url = `${client.base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 2_000);
  try {
    const res = await fetch(url, { headers: { cookie: client.cookie, accept: "text/event-stream" }, signal: abort.signal });
    if (res.status !== 200) {
      const body = (await res.json()) as { error?: { message: string; data?: { code?: string } } };
      return { code: body.error?.data?.code ?? String(res.status), message: body.error?.message ?? "" };
    }
    const reader = res.body!.getReader();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { code: "", message: "" };
      text += new TextDecoder().decode(value);
      const events = text.split("\n\n");
      for (const event of events.slice(0, -1)) {
        const name = /^event: (.*)$/m.exec(event)?.[1];
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (name === "serialized-error" && data) {
          const err = JSON.parse(data) as { message: string; data?: { code?: string } };
          return { code: err.data?.code ?? "", message: err.message };
        }
        if (!name && data) return { code: "", message: "" };
      }
    }
  } catch (err) {
    if (abort.signal.aborted) return { code: "", message: "" };
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
