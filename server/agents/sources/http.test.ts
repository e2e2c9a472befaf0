import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FlowRuntime } from "../runtime";
import type { HttpSource } from "./http";

it("http source: JSON, NDJSON and text batches, bearer token, 400 on bad JSON, 503 with Retry-After when the channel is full", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-http-source-"));
  const rt = new FlowRuntime({
    name: "h",
    sources: { r1: { type: "http", bind: "127.0.0.1", port: 0, token: "s3cret", channels: ["c1"] } },
    channels: { c1: { type: "memory", capacity: 5, transactionCapacity: 5 } },
    sinks: {},
  }, { agent: "a1", dataDir: dir });
  try {
    await rt.start();
    const url = `http://127.0.0.1:${(rt.source("r1") as HttpSource).port}/`;
    const post = (body: string, type: string, token = "s3cret") =>
      fetch(url, { method: "POST", body, headers: { "content-type": type, authorization: `Bearer ${token}` } });
    expect((await post("[]", "application/json", "wrong")).status).toBe(401);
    expect((await post("[{", "application/json")).status).toBe(400);
    expect((await post(JSON.stringify([{ headers: { a: "1" }, body: "x" }, { body: "y" }]), "application/json")).status).toBe(200);
    expect((await post('{"body":"n1"}\n{"body":"n2"}\n', "application/x-ndjson")).status).toBe(200);
    expect((await post("t1\n", "text/plain")).status).toBe(200);
    const full = await post("t2\nt3\n", "text/plain");
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("1");
    const tx = rt.channel("c1")!.begin();
    const got = tx.take(10);
    await tx.commit();
    expect(got.map((e) => e.body.toString())).toEqual(["x", "y", "n1", "n2", "t1"]);
    expect(got[0].headers).toEqual({ a: "1" });
    expect(rt.flumeMetrics()["SOURCE.r1"]).toMatchObject({ EventReceivedCount: 7, EventAcceptedCount: 5, ChannelWriteFail: 1 });
  } finally {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
