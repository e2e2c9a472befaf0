import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type IncomingMessage, type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ControlClient } from "./control-client";
import { type Deployment, HEARTBEAT_PATH, type HeartbeatRequest, heartbeatRequest } from "./control-protocol";
import { type FlowStatus, AgentHost } from "./host";

/**
 * A small console: answers heartbeats per the protocol with whatever `answer` says, and keeps
 * every request it received (validated against the protocol's request schema).
 */
class ProtocolServer {
  readonly requests: { auth: string | undefined; body: HeartbeatRequest }[] = [];
  answer: (req: HeartbeatRequest) => { status: number; body: unknown } = () => ({ status: 200, body: { agentId: 1, heartbeatIntervalMs: 50, deployments: [] } });
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req).then(({ status, body }) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    if (req.method !== "POST" || req.url !== HEARTBEAT_PATH) return { status: 404, body: { error: "not found" } };
    let text = "";
    for await (const c of req as AsyncIterable<Buffer>) text += c.toString();
    const body = heartbeatRequest.parse(JSON.parse(text));
    this.requests.push({ auth: req.headers.authorization, body });
    return this.answer(body);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ console: ProtocolServer; host: AgentHost; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "tributary-control-"));
  const console = new ProtocolServer();
  await console.start();
  const host = new AgentHost({ agent: "edge-1", dataDir: dir });
  cleanups.push(async () => {
    await host.close();
    await console.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { console, host, dir };
}

const seqFlow = (name: string, totalEvents: number) => ({
  name,
  sources: { r1: { type: "seq", channels: ["c1"], totalEvents, batchSize: 10 } },
  channels: { c1: { type: "memory" } },
  sinks: { k1: { type: "null", channel: "c1" } },
});

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("control client", () => {
  it("heartbeats status and metrics with the token, deploys what the console lists, redeploys new versions and stops flows no longer listed", async () => {
    const { console, host } = await setup();
    let deployments: Deployment[] = [{ id: "f-1", version: 1, definition: seqFlow("orders", 100) }];
    console.answer = () => ({ status: 200, body: { agentId: 7, heartbeatIntervalMs: 50, deployments } });
    const client = new ControlClient(host, { url: console.url, token: "tok-1", name: "edge-1" });

    expect(await client.beat()).toBe(true);
    expect(client.agentId).toBe(7);
    expect(console.requests[0]).toMatchObject({ auth: "Bearer tok-1", body: { name: "edge-1", version: expect.any(String), flows: [], metrics: {} } });
    expect(host.status()).toMatchObject([{ id: "f-1", name: "orders", version: 1, state: "running" }]);
    await until(() => (host.metrics().orders?.["SINK.k1"]?.EventDrainSuccessCount as number) === 100);

    // The next heartbeat carries the flow's status and Flume counters.
    expect(await client.beat()).toBe(true);
    const sent = console.requests[1].body;
    expect((sent.flows as FlowStatus[])[0]).toMatchObject({ id: "f-1", version: 1, state: "running", components: { r1: { kind: "source", state: "running" } } });
    expect(sent.metrics).toMatchObject({ orders: { "SINK.k1": { EventDrainSuccessCount: 100 } } });

    deployments = [{ id: "f-1", version: 2, definition: seqFlow("orders", 30) }];
    expect(await client.beat()).toBe(true);
    expect(host.status()).toMatchObject([{ id: "f-1", version: 2, state: "running" }]);
    await until(() => (host.metrics().orders?.["SINK.k1"]?.EventDrainSuccessCount as number) === 30);
    // A restart runs the same version afresh (a memory channel and seq source start over).
    expect(await host.restart("f-1")).toMatchObject({ version: 2, state: "running" });
    await until(() => (host.metrics().orders?.["SINK.k1"]?.EventDrainSuccessCount as number) === 30);
    await expect(host.restart("nope")).rejects.toThrow(/no flow "nope" is deployed/);

    // An invalid version is refused without touching the running one.
    deployments = [{ id: "f-1", version: 3, definition: { ...seqFlow("orders", 1), sinks: { k1: { type: "null", channel: "nope" } } } }];
    expect(await client.beat()).toBe(true);
    expect(host.status()).toMatchObject([{ id: "f-1", version: 2, state: "running", error: expect.stringMatching(/version 3 rejected: [\s\S]*sinks\.k1\.channel/) }]);
    expect(host.metrics().orders).toBeDefined();

    deployments = [];
    expect(await client.beat()).toBe(true);
    expect(host.status()).toEqual([]);
  });

  it("says what to do on 401, backs off, and recovers once the token is accepted", async () => {
    const { console, host } = await setup();
    let accepted = false;
    console.answer = () => accepted
      ? { status: 200, body: { agentId: 3, heartbeatIntervalMs: 50, deployments: [{ id: "f", version: 1, definition: seqFlow("f", 5) }] } }
      : { status: 401, body: { error: "unknown or revoked token" } };
    const client = new ControlClient(host, { url: console.url, token: "bad", name: "edge-1" });
    expect(await client.beat()).toBe(false);
    expect(client.lastError).toMatch(/refused the token \(401: unknown or revoked token\).*Agents page.*--token/);
    expect(host.status()).toEqual([]);

    accepted = true;
    expect(await client.beat()).toBe(true);
    expect(client.lastError).toBeNull();
    expect(host.status()).toMatchObject([{ id: "f", state: "running" }]);
  });

  it("keeps running its flows and retries when the console is unreachable or answers garbage", async () => {
    const { console, host } = await setup();
    console.answer = () => ({ status: 200, body: { agentId: 1, heartbeatIntervalMs: 50, deployments: [{ id: "f", version: 1, definition: seqFlow("f", 0) }] } });
    const client = new ControlClient(host, { url: console.url, token: "t", name: "edge-1" });
    expect(await client.beat()).toBe(true);
    console.answer = () => ({ status: 200, body: { hello: "world" } });
    expect(await client.beat()).toBe(false);
    expect(client.lastError).toMatch(/does not match this agent's protocol/);
    await console.stop();
    expect(await client.beat()).toBe(false);
    expect(client.lastError).toMatch(/cannot reach the console at http:\/\/127\.0\.0\.1:\d+ \(\w+\); check --control/);
    expect(host.status()).toMatchObject([{ id: "f", state: "running" }]);
  });

  it("a restarted agent runs the deployments it last received while the console is unreachable", async () => {
    const { console, host, dir } = await setup();
    const cacheFile = join(dir, "deployments.json");
    console.answer = () => ({ status: 200, body: { agentId: 1, heartbeatIntervalMs: 50, deployments: [{ id: "f", version: 5, definition: seqFlow("cached", 0) }] } });
    const first = new ControlClient(host, { url: console.url, token: "t", name: "edge-1", cacheFile });
    expect(await first.beat()).toBe(true);
    await host.close();
    await console.stop();

    const again = new AgentHost({ agent: "edge-1", dataDir: dir });
    cleanups.push(() => again.close());
    const client = new ControlClient(again, { url: console.url, token: "t", name: "edge-1", cacheFile });
    await client.start();
    cleanups.push(() => client.stop());
    expect(again.status()).toMatchObject([{ id: "f", version: 5, state: "running" }]);
    await until(() => client.lastError !== null);
    expect(client.lastError).toMatch(/cannot reach the console/);
    expect(again.status()).toMatchObject([{ id: "f", version: 5, state: "running" }]);

    // A cache that is not readable is ignored, not fatal.
    await writeFile(cacheFile, "{torn");
    const third = new AgentHost({ agent: "edge-1", dataDir: join(dir, "third") });
    cleanups.push(() => third.close());
    const c3 = new ControlClient(third, { url: console.url, token: "t", name: "edge-1", cacheFile });
    await c3.start();
    cleanups.push(() => c3.stop());
    expect(third.status()).toEqual([]);
  });

  it("tributary agent --control registers, runs the deployed flow and heartbeats at the interval the console asks", async () => {
    const { console, dir } = await setup();
    console.answer = () => ({ status: 200, body: { agentId: 9, heartbeatIntervalMs: 100, deployments: [{ id: "f-9", version: 4, definition: seqFlow("clicks", 50) }] } });
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "cli-main.ts"), "--control", console.url, "--token", "T", "--name", "edge-9", "--data-dir", join(dir, "data")], { stdio: ["ignore", "ignore", "pipe"] });
    const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      await until(() => console.requests.some((r) => (r.body.flows as FlowStatus[]).some((f) => f.id === "f-9" && f.state === "running")
        && (r.body.metrics as Record<string, Record<string, Record<string, number>>>).clicks?.["SINK.k1"]?.EventDrainSuccessCount === 50), 30_000);
      expect(console.requests.every((r) => r.auth === "Bearer T" && r.body.name === "edge-9")).toBe(true);
      const n = console.requests.length;
      await new Promise((r) => setTimeout(r, 600));
      expect(console.requests.length - n).toBeGreaterThanOrEqual(3);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exit).toBe(0);
  }, 60_000);
});
