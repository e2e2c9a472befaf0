import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../../db/testing";
import { writeAudit } from "../control/audit";
import { getVersion } from "../control/flows";
import { ConsoleClient, failure } from "./test-client";
import { createTestUsers, startConsoleServer, type ConsoleServer } from "@/server/testing/console-server";
import { freePort } from "@/server/testing/tributary-process";

const HIDDEN = "********";
/** Every secret in the flow below; none may appear in anything a reader gets back. */
const SECRETS = ["src-secret-4", "pg-secret-1", "tok-secret-2", "c2VjcmV0LTM=", "ops-team-7", "jaas-secret-5"];

const flowWith = (port: number) => ({
  sources: { in: { type: "http", bind: "127.0.0.1", port, token: "src-secret-4", channels: ["c1"] } },
  channels: { c1: { type: "memory" } },
  sinks: {
    db: { type: "postgres", channel: "c1", url: "postgres://writer:pg-secret-1@127.0.0.1:1/app?sslmode=disable", table: "events" },
    out: { type: "http", channel: "c1", endpoint: "http://127.0.0.1:1/in", token: "tok-secret-2", headers: { Authorization: "Basic c2VjcmV0LTM=", "X-Team": "ops-team-7" } },
  },
});
type FlowDef = ReturnType<typeof flowWith>;

const expectNoSecret = (what: string, value: unknown) => {
  const text = JSON.stringify(value) ?? "";
  for (const s of SECRETS) expect(text, `${what} shows ${s}`).not.toContain(s);
};

/** Posts one event to the flow's HTTP source with a bearer token; answers the status. */
async function postEvent(port: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify([{ headers: {}, body: "x" }]) });
  await res.text();
  return res.status;
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const target of testDatabases()) {
  describe(`secrets in flows on ${target.name}`, () => {
    let env: ConsoleServer;
    let port: number;
    let flowId: number;
    let vera: ConsoleClient;
    let olga: ConsoleClient;
    let admin: ConsoleClient;

    beforeAll(async () => {
      env = await startConsoleServer(target);
      await createTestUsers(env.database.db);
      vera = await new ConsoleClient(env.base).login("vera", "viewer-password");
      olga = await new ConsoleClient(env.base).login("olga", "operator-password");
      admin = await new ConsoleClient(env.base).login("admin", "admin-password");
      port = await freePort();
      flowId = (await olga.trpc.flows.create.mutate({ name: "with-secrets", definition: flowWith(port) })).id;
    });
    afterAll(() => env?.close());

    it("marks secret properties in the JSON Schema the designer renders", async () => {
      const c = await vera.trpc.flows.components.query();
      const props = (list: { type: string; schema: Record<string, unknown> }[], type: string) =>
        (list.find((e) => e.type === type)!.schema as { properties: Record<string, { secret?: string }> }).properties;
      expect(props(c.sinks, "http").token.secret).toBe("value");
      expect(props(c.sinks, "http").headers.secret).toBe("values");
      expect(props(c.sinks, "postgres").url.secret).toBe("url");
      expect(props(c.sources, "http").token.secret).toBe("value");
      expect(props(c.sources, "postgres_cdc").url.secret).toBe("url");
      // A webhook URL may carry user:password@ or ?api_key=; the rest of it stays readable.
      expect(props(c.sinks, "http").endpoint.secret).toBe("url");
      expect(props(c.sinks, "http").batchSize.secret).toBeUndefined();
    });

    it("shows a viewer the definition with its secrets hidden, user and host kept", async () => {
      for (const v of [await vera.trpc.flows.version.query({ flowId }), await vera.trpc.flows.version.query({ flowId, version: 1 })]) {
        const def = v.definition as FlowDef;
        expect(def.sinks.db.url).toBe(`postgres://writer:${HIDDEN}@127.0.0.1:1/app?sslmode=disable`);
        expect(def.sinks.out.token).toBe(HIDDEN);
        expect(def.sinks.out.headers).toEqual({ Authorization: HIDDEN, "X-Team": HIDDEN });
        expect(def.sinks.out.endpoint).toBe("http://127.0.0.1:1/in");
        expect(def.sources.in.token).toBe(HIDDEN);
        expectNoSecret("flows.version", v);
      }
    });

    it("hides them from admins too", async () => {
      expectNoSecret("flows.version as admin", await admin.trpc.flows.version.query({ flowId }));
    });

    it("hides them in the Flume export", async () => {
      const text = await vera.trpc.flows.exportProperties.query({ flowId, version: 1 });
      expect(text).toContain(`url = postgres://writer:${HIDDEN}@127.0.0.1:1/app`);
      expectNoSecret("flows.exportProperties", text);
    });

    it("shows no secret in the flow list, a flow's history, its rollout or the agents", async () => {
      expectNoSecret("flows.list", await vera.trpc.flows.list.query());
      expectNoSecret("flows.get", await vera.trpc.flows.get.query({ id: flowId }));
      expectNoSecret("flows.rollout", await vera.trpc.flows.rollout.query({ flowId }));
      expectNoSecret("agents.list", await vera.trpc.agents.list.query());
    });

    it("records flows.create in the audit trail without its secrets", async () => {
      const audit = await vera.trpc.audit.list.query({ action: "flows.create" });
      const row = audit.items.find((i) => i.target === "with-secrets")!;
      expect((row.details.input as { definition: FlowDef }).definition.sinks.out.token).toBe(HIDDEN);
      expectNoSecret("audit.list", audit);
    });

    it("hides credential-named properties of a flow that does not even validate", async () => {
      const broken = { ...flowWith(port), sinks: { k: { type: "topic", channel: "c1", "kafka.producer.sasl.jaas.config": 'PlainLoginModule required username="u" password="jaas-secret-5";' } } };
      expect(await failure(olga.trpc.flows.create.mutate({ name: "broken", definition: broken }))).toMatchObject({ code: "BAD_REQUEST" });
      const audit = await vera.trpc.audit.list.query({ action: "flows.create", outcome: "error" });
      expect(audit.items).toHaveLength(1);
      expectNoSecret("audit.list of a refused flow", audit);
    });

    it("hides secrets in audit rows written before they were marked", async () => {
      await writeAudit(env.database.db, { actor: "olga", action: "flows.save", outcome: "ok", requestId: "old", details: { input: { flowId, definition: flowWith(port), message: "old row" } } });
      const audit = await vera.trpc.audit.list.query({ action: "flows.save" });
      expect(audit.items.some((i) => (i.details.input as { message?: string }).message === "old row")).toBe(true);
      expectNoSecret("an old audit row", audit);
    });

    it("records a Flume import without the secrets in its text", async () => {
      const text = ["a1.sources = r1", "a1.channels = c1", "a1.sinks = k1", "a1.sources.r1.type = seq", "a1.sources.r1.channels = c1", "a1.channels.c1.type = memory", "a1.sinks.k1.type = http", "a1.sinks.k1.channel = c1", "a1.sinks.k1.endpoint = http://127.0.0.1:1/", "a1.sinks.k1.token = tok-secret-2", "a1.sinks.k1.kafka.producer.sasl.jaas.config = password=jaas-secret-5"].join("\n");
      const r = await olga.trpc.flows.importProperties.mutate({ text, agent: "a1" });
      expect((r.flow.sinks.k1 as { token?: string }).token).toBe("tok-secret-2");
      expectNoSecret("audit.list of an import", await vera.trpc.audit.list.query({ action: "flows.importProperties" }));
    });

    it("gives the embedded agent the real values", async () => {
      const embedded = (await admin.trpc.agents.list.query()).find((a) => a.embedded)!;
      await admin.trpc.flows.deploy.mutate({ flowId, version: 1, agentIds: [embedded.id] });
      expect(await eventually(() => postEvent(port, "src-secret-4"), (s) => s === 200)).toBe(200);
      expect(await postEvent(port, HIDDEN)).toBe(401);
    });

    it("keeps the stored secrets when a definition is saved with the placeholders", async () => {
      const shown = (await vera.trpc.flows.version.query({ flowId })).definition as FlowDef;
      const edited = { ...shown, sinks: { ...shown.sinks, out: { ...shown.sinks.out, batchSize: 50 } } };
      const saved = await olga.trpc.flows.save.mutate({ flowId, definition: edited, message: "bigger batches" });
      const stored = (await getVersion(env.database.db, flowId, saved.version)).definition as FlowDef;
      expect(stored.sinks.db.url).toBe("postgres://writer:pg-secret-1@127.0.0.1:1/app?sslmode=disable");
      expect(stored.sinks.out).toMatchObject({ token: "tok-secret-2", headers: { Authorization: "Basic c2VjcmV0LTM=", "X-Team": "ops-team-7" }, batchSize: 50 });
      expect(stored.sources.in.token).toBe("src-secret-4");

      const diff = await vera.trpc.flows.diff.query({ flowId, from: 1, to: saved.version });
      expect(diff).toEqual([{ kind: "sinks", name: "out", change: "changed", properties: [{ key: "batchSize", before: undefined, after: 50 }] }]);

      // The redeployed version still runs with the real token.
      const embedded = (await admin.trpc.agents.list.query()).find((a) => a.embedded)!;
      await admin.trpc.flows.deploy.mutate({ flowId, version: saved.version, agentIds: [embedded.id] });
      expect(env.host.status().find((f) => f.id === String(flowId))?.version).toBe(saved.version);
      expect(await eventually(() => postEvent(port, "src-secret-4"), (s) => s === 200)).toBe(200);
      expect(await postEvent(port, HIDDEN)).toBe(401);
    });

    it("stores a secret typed over the placeholder, and the diff says it changed without showing it", async () => {
      const shown = (await vera.trpc.flows.version.query({ flowId })).definition as FlowDef;
      const edited = { ...shown, sinks: { ...shown.sinks, out: { ...shown.sinks.out, token: "tok-secret-2-rotated", headers: { ...shown.sinks.out.headers, "X-New": "v" } } } };
      const saved = await olga.trpc.flows.save.mutate({ flowId, definition: edited, message: "rotate the token" });
      const stored = (await getVersion(env.database.db, flowId, saved.version)).definition as FlowDef;
      expect(stored.sinks.out.token).toBe("tok-secret-2-rotated");
      expect(stored.sinks.out.headers).toEqual({ Authorization: "Basic c2VjcmV0LTM=", "X-Team": "ops-team-7", "X-New": "v" });
      const diff = await vera.trpc.flows.diff.query({ flowId, from: saved.version - 1, to: saved.version });
      expect(diff[0].properties).toEqual([
        { key: "token", before: HIDDEN, after: HIDDEN },
        { key: "headers", before: { Authorization: HIDDEN, "X-Team": HIDDEN }, after: { Authorization: HIDDEN, "X-Team": HIDDEN, "X-New": HIDDEN } },
      ]);
      expectNoSecret("flows.diff", diff);
    });

    it("refuses a placeholder with no stored secret behind it, naming the property", async () => {
      const shown = (await vera.trpc.flows.version.query({ flowId })).definition as FlowDef;
      const moved = { ...shown, sinks: { ...shown.sinks, db: { ...shown.sinks.db, url: `postgres://writer:${HIDDEN}@elsewhere.example:5432/app` } } };
      const f = await failure(olga.trpc.flows.save.mutate({ flowId, definition: moved, message: "move the database" }));
      expect(f.code).toBe("BAD_REQUEST");
      expect(f.message).toMatch(/sinks\.db\.url: the password is hidden and is kept only for the same user and host; type it again/);

      const copied = await failure(olga.trpc.flows.create.mutate({ name: "copy", definition: shown }));
      expect(copied.code).toBe("BAD_REQUEST");
      expect(copied.message).toMatch(/sinks\.out\.token: the value is hidden and there is no stored one to keep; type it again/);
      expect(copied.message).toMatch(/sinks\.out\.headers\.Authorization/);
    });

    it("sends a standalone agent the real values in its heartbeat answer", async () => {
      const { token } = await admin.trpc.agents.createToken.mutate({ label: "edge" });
      const beat = async () => {
        const res = await fetch(`${env.base}/api/agent/v1/heartbeat`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "edge", host: "edge-host", version: "test", flows: [], metrics: {} }),
        });
        return (await res.json()) as { agentId: number; deployments: { definition: FlowDef }[] };
      };
      const { agentId } = await beat();
      await admin.trpc.flows.deploy.mutate({ flowId, version: 2, agentIds: [agentId] });
      const answer = await beat();
      expect(answer.deployments).toHaveLength(1);
      const def = answer.deployments[0].definition;
      expect(def.sinks.db.url).toContain("pg-secret-1");
      expect(def.sinks.out.token).toBe("tok-secret-2");
      expect(def.sources.in.token).toBe("src-secret-4");
    });
  });
}
