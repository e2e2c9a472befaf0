import { readFile, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AgentHost } from "./host";
import type { FlumeEvent } from "./model";
import { FlowRuntime } from "./runtime";
import type { NetcatSource } from "./sources/netcat";
import { eventually } from "@/server/testing/eventually";
import { tempDirs } from "@/server/testing/temp-dir";
import { freePort } from "@/server/testing/tributary-process";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tempDir = tempDirs("bp");

async function drain(rt: FlowRuntime, into: string[]): Promise<void> {
  const tx = rt.channel("c1")!.begin();
  const got: FlumeEvent[] = tx.take(100);
  await tx.commit();
  into.push(...got.map((e) => e.body.toString()));
}

describe("a full channel is back-pressure, not loss", () => {
  it("netcat stops reading and acknowledging while the channel is full, and continues in order once it drains", async () => {
    const dir = tempDir();
    const rt = new FlowRuntime({
      name: "nc",
      sources: { r1: { type: "netcat", bind: "127.0.0.1", port: 0, channels: ["c1"], batchSize: 50 } },
      channels: { c1: { type: "memory", capacity: 100, transactionCapacity: 100 } },
      sinks: {},
    }, { agent: "a1", dataDir: dir });
    await rt.start();
    cleanups.push(() => rt.stop());
    const sock = connect((rt.source("r1") as NetcatSource).port, "127.0.0.1");
    cleanups.push(() => Promise.resolve(void sock.destroy()));
    let oks = 0;
    sock.on("data", (d: Buffer) => (oks += d.toString().split("OK\n").length - 1));
    sock.write(Array.from({ length: 3000 }, (_, i) => `m${i}\n`).join(""));
    await eventually(() => (rt.flumeMetrics()["SOURCE.r1"].ChannelWriteFail as number) > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(rt.flumeMetrics()["SOURCE.r1"].EventAcceptedCount).toBe(100);
    expect(oks).toBe(100);
    const got: string[] = [];
    await eventually(async () => {
      await drain(rt, got);
      return got.length >= 3000;
    });
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => `m${i}`));
    await eventually(() => oks === 3000);
  });

  it("taildir stays at its recorded position while the channel is full", async () => {
    const dir = tempDir();
    const file = join(dir, "app.log");
    await writeFile(file, Array.from({ length: 1000 }, (_, i) => `line-${String(i).padStart(4, "0")}\n`).join(""));
    const pos = join(dir, "pos.json");
    const rt = new FlowRuntime({
      name: "td",
      sources: { r1: { type: "taildir", filegroups: { f1: join(dir, "app\\.log") }, positionFile: pos, pollIntervalMs: 20, batchSize: 50, channels: ["c1"] } },
      channels: { c1: { type: "memory", capacity: 100, transactionCapacity: 100 } },
      sinks: {},
    }, { agent: "a1", dataDir: dir });
    await rt.start();
    cleanups.push(() => rt.stop());
    await eventually(() => (rt.flumeMetrics()["SOURCE.r1"].ChannelWriteFail as number) > 1);
    // 100 lines of 10 bytes are in the channel; the position file says exactly that.
    expect(JSON.parse(await readFile(pos, "utf8"))).toMatchObject({ files: [{ pos: 1000 }] });
    const got: string[] = [];
    await eventually(async () => {
      await drain(rt, got);
      return got.length >= 1000;
    });
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => `line-${String(i).padStart(4, "0")}`));
  });
});

describe("applying a new version", () => {
  it("loses no event: the file channel carries what the old version left to the new one, and the http source's clients retry across the switch", async () => {
    const dir = tempDir();
    // The endpoint refuses at first, so events pile up in the file channel across the redeploys.
    const received: { headers: Record<string, string>; body: string }[] = [];
    let accepting = false;
    const endpoint: Server = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        if (accepting) received.push(...(JSON.parse(text) as typeof received));
        res.writeHead(accepting ? 200 : 503).end();
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => {
      endpoint.closeAllConnections();
      endpoint.close(() => r());
    }));
    const port = await freePort();

    const flow = (version: number) => ({
      name: "ingest",
      sources: { r1: { type: "http", bind: "127.0.0.1", port, channels: ["c1"], interceptors: [{ type: "static", key: "v", value: String(version) }] } },
      channels: { c1: { type: "file", minimumRequiredSpace: 0 } },
      sinks: { k1: { type: "http", channel: "c1", endpoint: `http://127.0.0.1:${(endpoint.address() as { port: number }).port}/`, maxRetries: 0 } },
    });
    const host = new AgentHost({ agent: "a1", dataDir: dir });
    cleanups.push(() => host.close());
    await host.deploy("f", 1, flow(1));

    // A client that posts 1..N one batch at a time and retries until each is accepted.
    let sent = 0;
    let stop = false;
    const client = (async () => {
      while (!stop) {
        const body = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ body: String(sent + i) })));
        const ok = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body, headers: { "content-type": "application/json" } }).then((r) => r.status === 200, () => false);
        if (ok) sent += 10;
        else await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // Counted from now, not from zero: on a busy machine the client may already be far ahead.
    const accepted = (more: number) => {
      const target = sent + more;
      return eventually(() => sent >= target, 20_000, `${more} more events accepted`);
    };
    await accepted(200);
    await host.deploy("f", 2, flow(2));
    await accepted(200);
    await host.deploy("f", 3, flow(3));
    await accepted(200);
    stop = true;
    await client;
    accepting = true;
    await eventually(() => new Set(received.map((r) => r.body)).size >= sent, 30_000);
    const numbers = [...new Set(received.map((r) => Number(r.body)))].sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: sent }, (_, i) => i));
    // Events put under each version kept that version's header.
    expect(new Set(received.map((r) => r.headers.v))).toEqual(new Set(["1", "2", "3"]));
    expect(host.status()).toMatchObject([{ id: "f", version: 3, state: "running" }]);
  }, 60_000);
});
