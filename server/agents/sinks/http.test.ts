import { mkdtemp, rm } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FlowRuntime } from "../runtime";

/** An HTTP endpoint that records the bodies it accepted and answers with `status()` (200 unless changed). */
class Endpoint {
  readonly accepted: { headers: Record<string, string>; body: string }[] = [];
  requests = 0;
  status: () => number = () => 200;
  private server: Server | null = null;
  url = "";
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        this.requests++;
        const status = this.status();
        if (status === 200) this.accepted.push(...(JSON.parse(text) as { headers: Record<string, string>; body: string }[]));
        res.writeHead(status).end(status === 200 ? "ok" : "try later");
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/ingest`;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpoint(): Promise<Endpoint> {
  const e = new Endpoint();
  await e.start();
  cleanups.push(() => e.stop());
  return e;
}

async function run(flow: unknown): Promise<FlowRuntime> {
  const dir = await mkdtemp(join(tmpdir(), "tributary-http-sink-"));
  const rt = new FlowRuntime(flow, { agent: "a1", dataDir: dir });
  cleanups.push(async () => {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await rt.start();
  return rt;
}

/** A flow from a seq source of `total` numbers through memory channel c1 to one http sink per endpoint (k1, k2, …), all batching `batch`. */
function seqToHttp(name: string, total: number, endpoints: Endpoint[], o: { batch?: number; source?: object; sink?: object; sinkgroups?: object } = {}) {
  const { batch = 10, source = {}, sink = { maxRetries: 0 }, sinkgroups } = o;
  return {
    name,
    sources: { r1: { type: "seq", channels: ["c1"], totalEvents: total, batchSize: batch, ...source } },
    channels: { c1: { type: "memory", capacity: 1000 } },
    sinks: Object.fromEntries(endpoints.map((e, i) => [`k${i + 1}`, { type: "http", channel: "c1", endpoint: e.url, batchSize: batch, ...sink }])),
    ...(sinkgroups && { sinkgroups }),
  };
}

const bodies = (e: Endpoint) => e.accepted.map((a) => Number(a.body)).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("http sink", () => {
  it("POSTs batches as JSON with headers and retries 5xx answers until the endpoint accepts, losing nothing", async () => {
    const ep = await endpoint();
    let n = 0;
    ep.status = () => (++n % 3 === 0 ? 200 : 503);
    const rt = await run(seqToHttp("h", 200, [ep], { batch: 50, source: { interceptors: [{ type: "static", key: "app", value: "shop" }] }, sink: { retryBackoffMs: 5 } }));
    await until(() => ep.accepted.length >= 200);
    expect(bodies(ep)).toEqual(range(200));
    expect(ep.accepted[0].headers).toEqual({ app: "shop" });
    expect(ep.requests).toBe(12);
    await until(() => rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount === 200);
  });

  it("backs off with the endpoint's error while it refuses, then delivers everything once it accepts", async () => {
    const ep = await endpoint();
    let up = false;
    ep.status = () => (up ? 200 : 400);
    const rt = await run(seqToHttp("h", 30, [ep]));
    await until(() => rt.components().k1.state === "backing_off");
    expect(rt.components().k1.lastError).toMatch(/answered 400: try later; the batch stays in the channel/);
    expect(rt.components().r1.state).toBe("running");
    up = true;
    await until(() => ep.accepted.length >= 30);
    expect(bodies(ep)).toEqual(range(30));
    await until(() => rt.components().k1.state === "running");
    // Recovered: no current error, and what it was is kept in its history.
    const k1 = rt.components().k1;
    expect(k1.lastError).toBeNull();
    expect(k1.errors.at(-1)).toMatchObject({ message: expect.stringMatching(/answered 400/), count: expect.any(Number) });
  });
});

describe("sink groups", () => {
  it("failover: the highest-priority sink takes everything; when it fails the next takes over; when it recovers it takes over again", async () => {
    const primary = await endpoint();
    const backup = await endpoint();
    let primaryUp = true;
    primary.status = () => (primaryUp ? 200 : 500);
    const rt = await run(seqToHttp("fo", 0, [primary, backup], { sinkgroups: { g1: { sinks: ["k2", "k1"], processor: { type: "failover", priority: { k1: 10, k2: 5 }, maxpenalty: 300 } } } }));
    await until(() => primary.accepted.length >= 100);
    expect(backup.accepted).toHaveLength(0);
    primaryUp = false;
    await until(() => backup.accepted.length >= 100);
    expect(rt.components().k1).toMatchObject({ state: "backing_off", lastError: expect.stringMatching(/answered 500/) });
    const before = primary.accepted.length;
    primaryUp = true;
    await until(() => primary.accepted.length >= before + 100);
    const backupNow = backup.accepted.length;
    await until(() => primary.accepted.length >= before + 300);
    expect(backup.accepted.length).toBe(backupNow);
    await rt.stop();
    // Every generated number was delivered once or more (at-least-once), with no gap.
    const all = [...new Set([...primary.accepted, ...backup.accepted].map((a) => Number(a.body)))].sort((a, b) => a - b);
    expect(all).toEqual(range(all.length));
  });

  it("load_balance round_robin spreads batches over the sinks; with backoff a failing sink is left out and nothing is lost", async () => {
    const a = await endpoint();
    const b = await endpoint();
    let bUp = true;
    b.status = () => (bUp ? 200 : 503);
    const flow = (total: number) => seqToHttp("lb", total, [a, b], { sinkgroups: { g1: { sinks: ["k1", "k2"], processor: { type: "load_balance", selector: "round_robin", backoff: true, "selector.maxTimeOut": 60_000 } } } });
    const rt = await run(flow(1000));
    await until(() => a.accepted.length + b.accepted.length >= 1000);
    expect(a.accepted.length).toBeGreaterThan(200);
    expect(b.accepted.length).toBeGreaterThan(200);
    expect([...a.accepted, ...b.accepted].map((x) => Number(x.body)).sort((x, y) => x - y)).toEqual(range(1000));
    await rt.stop();

    a.accepted.length = 0;
    b.accepted.length = 0;
    b.requests = 0;
    bUp = false;
    const rt2 = await run(flow(500));
    await until(() => a.accepted.length >= 500);
    expect(b.accepted).toHaveLength(0);
    // A failure puts k2 out for 1 s, then 2 s, …: k1 took the rest after at most a few tries of k2.
    expect(b.requests).toBeGreaterThanOrEqual(1);
    expect(b.requests).toBeLessThanOrEqual(3);
    expect(a.accepted.map((x) => Number(x.body)).sort((x, y) => x - y)).toEqual(range(500));
    expect(rt2.components().k2.state).toBe("backing_off");
  });

  it("rejects sinks in two groups, unknown sinks and priorities for sinks outside the group", async () => {
    const { parseFlow } = await import("../flow");
    expect(() => parseFlow({
      sources: { r1: { type: "seq", channels: ["c1"] } },
      channels: { c1: { type: "memory" } },
      sinks: { k1: { type: "null", channel: "c1" }, k2: { type: "null", channel: "c1" } },
      sinkgroups: {
        g1: { sinks: ["k1", "k2"], processor: { type: "failover", priority: { k9: 1 } } },
        g2: { sinks: ["k2", "k3"], processor: { type: "load_balance" } },
      },
    })).toThrow(/sinkgroups\.g1\.processor\.priority\.k9: sink "k9" is not in this group[\s\S]*sinkgroups\.g2\.sinks: sink "k2" is already in sink group "g1"[\s\S]*sinkgroups\.g2\.sinks: sink "k3" is not defined/);
  });
});
