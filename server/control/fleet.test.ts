import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agents, deployments } from "@/db/schema";
import { testDatabases } from "@/db/testing";
import { heartbeatResponse } from "../agents/control-protocol";
import { createToken, listAgents, markOffline, OFFLINE_AFTER_MS, revokeToken } from "./agent-registry";
import { checkFlow, createFlow, deploy, diffFlows, FlowInvalidError, rollbackTo, rollout, saveVersion, setDesired, getVersion, DeployConflictError } from "./flows";
import templates from "./flow-templates.json";
import { startConsoleServer, type ConsoleServer } from "@/server/testing/console-server";

type Components = Record<string, Record<string, unknown>>;

const httpFlow = (port: number, capacity = 100): { sources: Components; channels: Components; sinks: Components } => ({
  sources: { in: { type: "http", port, bind: "127.0.0.1", channels: ["c"] } },
  channels: { c: { type: "memory", capacity, transactionCapacity: 50 } },
  sinks: { out: { type: "null", channel: "c", batchSize: 10 } },
});

for (const target of testDatabases()) {
  describe(`agent fleet on ${target.name}`, () => {
    let env: ConsoleServer;

    beforeAll(async () => {
      env = await startConsoleServer(target);
    });
    afterAll(() => env.close());

    const beat = (token: string, body: unknown) =>
      fetch(`${env.base}/api/agent/v1/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const hb = (name: string, flows: unknown[] = []) => ({ name, host: "edge-1.example", version: "0.1.0", flows, metrics: {} });

    it("registers a standalone agent on its first heartbeat and answers its desired deployments", async () => {
      const { token } = await createToken(env.database.db, "edge", "admin");
      const res = await beat(token, hb("edge-1"));
      expect(res.status).toBe(200);
      const body = heartbeatResponse.parse(await res.json());
      expect(body.deployments).toEqual([]);
      const list = await listAgents(env.database.db);
      expect(list.find((a) => a.name === "edge-1")).toMatchObject({ state: "online", host: "edge-1.example", version: "0.1.0" });

      const flow = await createFlow(env.database.db, { name: "edge-flow", description: "", definition: httpFlow(0), message: "v1", author: "admin" });
      await deploy(env.database.db, { flowId: flow.id, version: 1, agentIds: [body.agentId], actor: "admin" });
      const again = heartbeatResponse.parse(await (await beat(token, hb("edge-1"))).json());
      expect(again.deployments).toEqual([{ id: String(flow.id), version: 1, definition: expect.objectContaining({ name: "edge-flow" }) }]);
      expect((await rollout(env.database.db, flow.id))[0]).toMatchObject({ agent: "edge-1", state: "pending" });

      await beat(token, hb("edge-1", [{ id: String(flow.id), name: "edge-flow", version: 1, state: "failed", error: "port in use", components: {} }]));
      expect((await rollout(env.database.db, flow.id))[0]).toMatchObject({ state: "failed", error: "port in use" });

      // A token serves the agent it registered, under that name only.
      expect((await beat(token, hb("someone-else"))).status).toBe(409);
    });

    it("refuses unknown, revoked and malformed heartbeats with a reason", async () => {
      const unknown = await beat("trb_nope", hb("x"));
      expect(unknown.status).toBe(401);
      expect(((await unknown.json()) as { error: string }).error).toMatch(/Agents page/);
      const { id, token } = await createToken(env.database.db, "", "admin");
      expect((await beat(token, { name: "" })).status).toBe(400);
      await revokeToken(env.database.db, id);
      const revoked = await beat(token, hb("y"));
      expect(revoked.status).toBe(401);
      expect(((await revoked.json()) as { error: string }).error).toMatch(/revoked/);
      const bad = await fetch(`${env.base}/api/agent/v1/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: "{nope" });
      expect(bad.status).toBe(400);
    });

    it("marks an agent offline once its heartbeats stop", async () => {
      const { token } = await createToken(env.database.db, "", "admin");
      await beat(token, hb("quiet"));
      expect(await markOffline(env.database.db, Date.now())).not.toContain("quiet");
      expect(await markOffline(env.database.db, Date.now() + OFFLINE_AFTER_MS + 1000)).toContain("quiet");
      expect((await listAgents(env.database.db)).find((a) => a.name === "quiet")?.state).toBe("offline");
      await beat(token, hb("quiet"));
      expect((await listAgents(env.database.db)).find((a) => a.name === "quiet")?.state).toBe("online");
    });

    it("runs a deployed flow on the embedded agent, stops, starts and redeploys it", async () => {
      const f = await createFlow(env.database.db, { name: "local", description: "", definition: httpFlow(0), message: "v1", author: "op" });
      await deploy(env.database.db, { flowId: f.id, version: 1, agentIds: [env.fleet.agentId], actor: "admin" });
      await env.fleet.sync();
      expect(env.host.status().find((s) => s.id === String(f.id))).toMatchObject({ state: "running", version: 1 });
      expect((await rollout(env.database.db, f.id))[0]).toMatchObject({ agent: "embedded", state: "running" });

      await setDesired(env.database.db, { flowId: f.id, desired: "stopped", actor: "op" });
      await env.fleet.sync();
      expect(env.host.status().find((s) => s.id === String(f.id))).toBeUndefined();
      expect((await rollout(env.database.db, f.id))[0]).toMatchObject({ state: "stopped" });

      await setDesired(env.database.db, { flowId: f.id, desired: "running", actor: "op" });
      const v2 = await saveVersion(env.database.db, { flowId: f.id, definition: httpFlow(0, 500), message: "bigger channel", author: "op" });
      await deploy(env.database.db, { flowId: f.id, version: v2.version, agentIds: [env.fleet.agentId], actor: "admin" });
      await env.fleet.sync();
      expect(env.host.status().find((s) => s.id === String(f.id))).toMatchObject({ state: "running", version: 2 });
      await setDesired(env.database.db, { flowId: f.id, desired: "stopped", actor: "op" });
      await env.fleet.sync();
    });

    it("refuses a deploy whose source port another flow on the agent already uses", async () => {
      const a = await createFlow(env.database.db, { name: "port-a", description: "", definition: httpFlow(45671), message: "", author: "op" });
      const b = await createFlow(env.database.db, { name: "port-b", description: "", definition: httpFlow(45671), message: "", author: "op" });
      await deploy(env.database.db, { flowId: a.id, version: 1, agentIds: [env.fleet.agentId], actor: "admin" });
      await expect(deploy(env.database.db, { flowId: b.id, version: 1, agentIds: [env.fleet.agentId], actor: "admin" })).rejects.toThrow(DeployConflictError);
      expect(await env.database.db.select().from(deployments).where(eq(deployments.flowId, b.id))).toEqual([]);
      await setDesired(env.database.db, { flowId: a.id, desired: "stopped", actor: "op" });
      await env.fleet.sync();
    });

    it("keeps versions, diffs them and rolls back by saving the old definition as the newest", async () => {
      const f = await createFlow(env.database.db, { name: "versions", description: "", definition: httpFlow(0), message: "v1", author: "alice" });
      const next = httpFlow(0, 1000);
      next.sinks.log = { type: "logger", channel: "c" };
      delete next.sinks.out;
      await saveVersion(env.database.db, { flowId: f.id, definition: next, message: "v2", author: "bob" });
      const d = diffFlows((await getVersion(env.database.db, f.id, 1)).definition, (await getVersion(env.database.db, f.id, 2)).definition);
      expect(d).toEqual(
        expect.arrayContaining([
          { kind: "channels", name: "c", change: "changed", properties: [{ key: "capacity", before: 100, after: 1000 }] },
          expect.objectContaining({ kind: "sinks", name: "out", change: "removed" }),
          expect.objectContaining({ kind: "sinks", name: "log", change: "added" }),
        ]),
      );
      const r = await rollbackTo(env.database.db, f.id, 1, "carol");
      expect(r.version).toBe(3);
      const v3 = await getVersion(env.database.db, f.id, 3);
      expect(v3).toMatchObject({ author: "carol", message: "Roll back to version 1" });
      expect(diffFlows((await getVersion(env.database.db, f.id, 1)).definition, v3.definition)).toEqual([]);
    });

    it("rejects an invalid flow on save with issues that name the component", async () => {
      const bad = httpFlow(0);
      bad.sinks.out.batchSize = 500; // over the channel's transactionCapacity of 50
      bad.sinks.out.channel = "c";
      bad.sources.second = { type: "http", port: 7000, channels: ["c"] };
      bad.sources.third = { type: "http", port: 7000, channels: ["c"] };
      bad.sinks.orphan = { type: "topic", channel: "missing" };
      const err = await createFlow(env.database.db, { name: "bad", description: "", definition: bad, message: "", author: "op" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FlowInvalidError);
      const paths = (err as FlowInvalidError).issues.map((i) => i.path.join("."));
      expect(paths).toEqual(expect.arrayContaining(["sinks.out.batchSize", "sources.third.port", "sinks.orphan.channel", "sinks.orphan.topic"]));
    });

    it("every template is a valid flow", () => {
      expect(templates.length).toBeGreaterThanOrEqual(6);
      for (const t of templates) expect(checkFlow({ name: t.id, ...t.flow }), t.id).toEqual([]);
    });

    it("marks a revoked agent so it cannot be deployed to", async () => {
      const { id, token } = await createToken(env.database.db, "", "admin");
      const body = heartbeatResponse.parse(await (await beat(token, hb("gone"))).json());
      await revokeToken(env.database.db, id);
      const [row] = await env.database.db.select().from(agents).where(eq(agents.id, body.agentId));
      expect(row.state).toBe("revoked");
      const f = await createFlow(env.database.db, { name: "to-gone", description: "", definition: httpFlow(0), message: "", author: "op" });
      await expect(deploy(env.database.db, { flowId: f.id, version: 1, agentIds: [body.agentId], actor: "admin" })).rejects.toThrow(/revoked/);
    });
  });
}
