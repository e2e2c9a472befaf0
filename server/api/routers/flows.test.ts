import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/db/testing";
import { MIN_SPAN_MS } from "../../metrics/growth-rates";
import { ConsoleClient } from "../test-client";
import { createTestUsers, startConsoleServer, type ConsoleServer } from "@/server/testing/console-server";

const flow = {
  sources: { r1: { type: "seq", totalEvents: 10, channels: ["c1"] } },
  channels: { c1: { type: "memory" } },
  sinks: { k1: { type: "null", channel: "c1" } },
};

for (const target of testDatabases()) {
  describe(`flows API on ${target.name}`, () => {
    let env: ConsoleServer;

    beforeAll(async () => {
      env = await startConsoleServer(target);
      await createTestUsers(env.database.db);
    });
    afterAll(() => env.close());

    it("serves every component type's schema as JSON Schema for the palette and forms", async () => {
      const vera = await new ConsoleClient(env.base).login("vera", "viewer-password");
      const r = await vera.query("flows.components");
      const http = r.data?.sources.find((s) => s.type === "http");
      expect(http?.aliases).toContain("org.apache.flume.source.http.HTTPSource");
      expect(http?.schema).toMatchObject({
        properties: { port: { type: "integer", description: "HTTP port to listen on." } },
        required: expect.arrayContaining(["port"]),
      });
      expect(r.data?.channels.map((c) => c.type)).toEqual(["memory", "file"]);
      expect(r.data?.selectors.map((c) => c.type)).toEqual(["replicating", "multiplexing"]);
      expect(r.data?.interceptors.length).toBeGreaterThan(0);
      expect(r.data?.sinkgroups.map((c) => c.type)).toEqual(["failover", "load_balance", "default"]);
      const lb = r.data?.sinkgroups.find((c) => c.type === "load_balance");
      expect(lb?.schema).toMatchObject({ properties: { selector: { enum: ["round_robin", "random"], default: "round_robin" } } });
      expect(r.data?.sinkgroups[0]?.schema).toMatchObject({ properties: { priority: { additionalProperties: { type: "integer" } } } });
    });

    it("lets viewers read, operators save and stop, and only admins deploy — each attempt audited", async () => {
      const vera = await new ConsoleClient(env.base).login("vera", "viewer-password");
      const olga = await new ConsoleClient(env.base).login("olga", "operator-password");
      const admin = await new ConsoleClient(env.base).login("admin", "admin-password");

      expect((await vera.mutate("flows.create", { name: "seq-flow", definition: flow })).error?.data.code).toBe("FORBIDDEN");
      const created = await olga.mutate("flows.create", { name: "seq-flow", definition: flow });
      expect(created.error).toBeUndefined();
      const flowId = created.data!.id;
      expect((await olga.mutate("flows.create", { name: "seq-flow", definition: flow })).error?.message).toMatch(/exists already/);

      const agents = await vera.query("agents.list");
      const embedded = agents.data?.find((a) => a.embedded);
      const denied = await olga.mutate("flows.deploy", { flowId, version: 1, agentIds: [embedded?.id] });
      expect(denied.error?.data.code).toBe("FORBIDDEN");

      const ok = await admin.mutate("flows.deploy", { flowId, version: 1, agentIds: [embedded?.id] });
      expect(ok.data).toEqual({ targets: ["embedded"] });
      expect(env.host.status()).toEqual([expect.objectContaining({ id: String(flowId), version: 1, state: "running" })]);
      const rollout = await vera.query("flows.rollout", { flowId });
      expect(rollout.data).toEqual([expect.objectContaining({ agent: "embedded", version: 1, state: "running" })]);

      expect((await olga.mutate("flows.stop", { flowId })).error).toBeUndefined();
      expect(env.host.status()).toEqual([]);

      const audit = await admin.query("audit.list", { action: "flows.deploy" });
      expect(audit.data?.items.map((i) => `${i.actor}:${i.outcome}`)).toEqual(["admin:ok", "olga:denied"]);
      expect(audit.data?.items[0]).toMatchObject({ targetKind: "flow", target: String(flowId), details: { version: 1, agents: ["embedded"] } });
    });

    it("lists each deployment's version against the latest, its state, and the events per second it delivers", async () => {
      const olga = await new ConsoleClient(env.base).login("olga", "operator-password");
      const admin = await new ConsoleClient(env.base).login("admin", "admin-password");
      const flowId = (await olga.mutate("flows.create", { name: "drifting", definition: flow })).data!.id;
      const embedded = (await admin.query("agents.list")).data!.find((a) => a.embedded)!;
      expect((await admin.mutate("flows.deploy", { flowId, version: 1, agentIds: [embedded.id] })).error).toBeUndefined();
      expect((await olga.mutate("flows.save", { flowId, definition: { ...flow, channels: { c1: { type: "memory", capacity: 500 } } }, message: "bigger channel" })).error).toBeUndefined();

      const row = async () => (await olga.query("flows.list")).data!.find((f) => f.name === "drifting")!;
      const first = await row();
      expect(first).toMatchObject({ latest: 2, running: 1, deployments: [{ agent: "embedded", version: 1, behind: 1, desired: "running", state: "running", error: null, eventsPerSec: null }] });
      await new Promise((r) => setTimeout(r, MIN_SPAN_MS + 100));
      // The ten events were delivered before the first read: a known rate of nothing.
      expect((await row()).deployments[0].eventsPerSec).toBe(0);

      expect((await admin.mutate("flows.deploy", { flowId, version: 2, agentIds: [embedded.id] })).error).toBeUndefined();
      expect((await row()).deployments[0]).toMatchObject({ version: 2, behind: 0 });
      expect((await olga.mutate("flows.stop", { flowId })).error).toBeUndefined();
      expect((await row()).deployments[0]).toMatchObject({ desired: "stopped", state: "stopped", eventsPerSec: null });
      // Start is stop's twin: the same deployment runs again, audited with the agents it reached.
      expect((await olga.mutate("flows.start", { flowId })).data).toEqual([embedded.id]);
      expect((await row()).deployments[0]).toMatchObject({ desired: "running" });
      const started = await admin.query("audit.list", { action: "flows.start" });
      expect(started.data?.items[0]).toMatchObject({ actor: "olga", targetKind: "flow", target: String(flowId), details: { agents: ["embedded"] } });
    });

    it("refuses to save an invalid flow and names each problem", async () => {
      const olga = await new ConsoleClient(env.base).login("olga", "operator-password");
      const r = await olga.mutate("flows.create", { name: "broken", definition: { ...flow, sinks: { k1: { type: "null", channel: "nope" } } } });
      expect(r.error?.data.code).toBe("BAD_REQUEST");
      expect(r.error?.message).toMatch(/sinks\.k1\.channel: channel "nope" is not defined/);
      const v = await olga.query("flows.validate", { definition: { ...flow, sources: { r1: { type: "http", channels: ["c1"] } } } });
      expect(v.data).toEqual([{ path: ["sources", "r1", "port"], message: "required; set a value" }]);
    });
  });
}
