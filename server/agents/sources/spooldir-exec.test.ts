import { mkdir, readdir, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FlowRuntime } from "../runtime";
import type { FlumeEvent } from "../model";
import type { ExecSource } from "./exec";
import { eventually } from "@/server/testing/eventually";
import { tempDirs } from "@/server/testing/temp-dir";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tempDir = tempDirs("src");

async function start(flow: Record<string, unknown>, dataDir: string): Promise<FlowRuntime> {
  const rt = new FlowRuntime({ name: "s", channels: { c1: { type: "memory", capacity: 100_000, transactionCapacity: 1000 } }, sinks: {}, ...flow }, { agent: "a1", dataDir });
  await rt.start();
  cleanups.push(() => rt.stop());
  return rt;
}

function drain(rt: FlowRuntime): FlumeEvent[] {
  const tx = rt.channel("c1")!.begin();
  const got = tx.take(1000);
  void tx.commit();
  return got;
}

describe("spooldir source", () => {
  it("ingests complete files oldest first, line by line, then renames them .COMPLETED", async () => {
    const dir = tempDir();
    const spool = join(dir, "spool");
    await mkdir(spool);
    // Written elsewhere and moved in, as spooling directories require.
    await writeFile(join(dir, "a.log"), "a1\na2\r\na3");
    await writeFile(join(dir, "b.log"), "b1\n\nb3\n");
    await rename(join(dir, "a.log"), join(spool, "a.log"));
    await new Promise((r) => setTimeout(r, 20));
    await rename(join(dir, "b.log"), join(spool, "b.log"));
    await writeFile(join(spool, "skip.tmp"), "x\n");
    const rt = await start({ sources: { r1: { type: "spooldir", channels: ["c1"], spoolDir: spool, ignorePattern: "\\.tmp$", basenameHeader: true, pollDelay: 20, batchSize: 2 } } }, dir);
    await eventually(async () => (await readdir(spool)).filter((f) => f.endsWith(".COMPLETED")).length === 2);
    const events = drain(rt);
    expect(events.map((e) => e.body.toString())).toEqual(["a1", "a2", "a3", "b1", "", "b3"]);
    expect(events.map((e) => e.headers.basename)).toEqual(["a.log", "a.log", "a.log", "b.log", "b.log", "b.log"]);
    expect((await readdir(spool)).sort()).toEqual([".flumespool", "a.log.COMPLETED", "b.log.COMPLETED", "skip.tmp"]);
  });

  it("json deserializer: one event per array element or line; deletePolicy immediate; a file that is not JSON is set aside", async () => {
    const dir = tempDir();
    const spool = join(dir, "spool");
    await mkdir(spool);
    await writeFile(join(spool, "1.json"), JSON.stringify([{ id: 1 }, { id: 2, tags: ["x"] }], null, 2));
    await writeFile(join(spool, "2.json"), '{"id":3}\n{"id":4}\n');
    await writeFile(join(spool, "3.json"), "{oops");
    const rt = await start({ sources: { r1: { type: "spooldir", channels: ["c1"], spoolDir: spool, deserializer: "json", deletePolicy: "immediate", pollDelay: 20 } } }, dir);
    await eventually(async () => (await readdir(spool)).sort().join() === ".flumespool,3.json.INVALID");
    expect(drain(rt).map((e) => JSON.parse(e.body.toString()) as unknown)).toEqual([{ id: 1 }, { id: 2, tags: ["x"] }, { id: 3 }, { id: 4 }]);
  });

  it("resumes inside a file after a restart, and keeps its place while the channel is full", async () => {
    const dir = tempDir();
    const spool = join(dir, "spool");
    await mkdir(spool);
    await writeFile(join(spool, "big.log"), Array.from({ length: 250 }, (_, i) => `l${i}\n`).join(""));
    const flow = { sources: { r1: { type: "spooldir", channels: ["c1"], spoolDir: spool, pollDelay: 20, batchSize: 50 } }, channels: { c1: { type: "file", capacity: 100, transactionCapacity: 50, minimumRequiredSpace: 0 } } };
    const rt1 = new FlowRuntime({ name: "s", sinks: {}, ...flow }, { agent: "a1", dataDir: dir });
    await rt1.start();
    await eventually(() => rt1.flumeMetrics()["SOURCE.r1"].ChannelWriteFail as number > 0);
    expect(rt1.channel("c1")!.size()).toBe(100);
    await rt1.stop();
    expect(await readdir(spool)).toContain("big.log");
    // Restart: the file channel still holds the first 100 lines; take them and let the source continue at line 100.
    const rt2 = await start({ sources: flow.sources, channels: { c1: { ...flow.channels.c1, capacity: 1000 } } }, dir);
    await eventually(async () => (await readdir(spool)).includes("big.log.COMPLETED"));
    const all: FlumeEvent[] = [];
    for (let got = -1; got !== 0;) {
      const tx = rt2.channel("c1")!.begin();
      const batch = tx.take(50);
      await tx.commit();
      all.push(...batch);
      got = batch.length;
    }
    expect(all.map((e) => e.body.toString())).toEqual(Array.from({ length: 250 }, (_, i) => `l${i}`));
  });
});

describe("exec source", () => {
  it("turns the command's stdout lines into events in batches, including a last line without newline", async () => {
    const dir = tempDir();
    const rt = await start({ sources: { r1: { type: "exec", channels: ["c1"], command: "for i in $(seq 1 45); do echo line-$i; done; printf tail", batchSize: 10, batchTimeout: 50 } } }, dir);
    await eventually(() => rt.channel("c1")!.size() === 46);
    const bodies = drain(rt).map((e) => e.body.toString());
    expect(bodies).toEqual([...Array.from({ length: 45 }, (_, i) => `line-${i + 1}`), "tail"]);
    expect(rt.flumeMetrics()["SOURCE.r1"]).toMatchObject({ EventAcceptedCount: 46 });
  });

  it("restarts the command after it exits when restart is on, waiting restartThrottle", async () => {
    const dir = tempDir();
    const rt = await start({ sources: { r1: { type: "exec", channels: ["c1"], command: "echo ran; exit 3", restart: true, restartThrottle: 100, batchTimeout: 10 } } }, dir);
    await eventually(() => rt.channel("c1")!.size() >= 3);
    expect((rt.source("r1") as ExecSource).runs).toBeGreaterThanOrEqual(3);
    expect(drain(rt).every((e) => e.body.toString() === "ran")).toBe(true);
  });

  it("does not read the command's output while the channel is full, so nothing is dropped", async () => {
    const dir = tempDir();
    const rt = await start({
      sources: { r1: { type: "exec", channels: ["c1"], command: "seq 1 3000", batchSize: 100, batchTimeout: 10 } },
      channels: { c1: { type: "memory", capacity: 500, transactionCapacity: 100 } },
    }, dir);
    await eventually(() => (rt.flumeMetrics()["SOURCE.r1"].ChannelWriteFail as number) > 0);
    const got: string[] = [];
    await eventually(() => {
      got.push(...drain(rt).map((e) => e.body.toString()));
      return got.length >= 3000;
    });
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => String(i + 1)));
  });
});

describe("source problems show in the flow's component status", () => {
  it("a spooldir file it cannot take and a command that cannot run make their sources back off with the reason", async () => {
    const dir = tempDir();
    const spool = join(dir, "spool");
    await mkdir(spool);
    await writeFile(join(spool, "big.json"), JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ i }))));
    const rt = await start({
      sources: {
        r1: { type: "spooldir", channels: ["c1"], spoolDir: spool, deserializer: "json", maxJsonFileBytes: 100, pollDelay: 20 },
        r2: { type: "exec", channels: ["c1"], command: "echo hi", shell: join(dir, "no-such-shell") },
      },
    }, dir);
    await eventually(() => rt.components().r1.state === "backing_off" && rt.components().r2.state === "backing_off");
    expect(rt.components().r1.lastError).toMatch(/big\.json is \d+ bytes, over maxJsonFileBytes 100; raise it or split the file/);
    expect(rt.components().r2.lastError).toMatch(/cannot run .*no-such-shell echo hi: .*ENOENT.*check command and shell/);
    expect(rt.components().c1.state).toBe("running");
  });
});

describe("spooldir source retargeted", () => {
  it("starts a file afresh when the position was counted by another deserializer or in another spool directory", async () => {
    const dir = tempDir();
    const spool = join(dir, "in1");
    await mkdir(spool);
    const values = Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i }));
    await writeFile(join(spool, "x.json"), `${values.join("\n")}\n`);
    // A channel with room for two batches and no sink: the source stops mid-file, its position recorded.
    const small = { c1: { type: "memory", capacity: 20, transactionCapacity: 10 } };
    const spooldir = (extra: Record<string, unknown>) => ({ r1: { type: "spooldir", channels: ["c1"], spoolDir: spool, pollDelay: 20, batchSize: 10, trackerDir: "../tracker", ...extra } });
    const first = await start({ channels: small, sources: spooldir({ deserializer: "line" }) }, dir);
    await eventually(() => first.channel("c1")!.size() === 20);
    await first.stop();
    // The same file read as JSON: the recorded byte offset is no count of values, so all 50 come again.
    const second = await start({ sources: spooldir({ deserializer: "json" }) }, dir);
    await eventually(async () => (await readdir(spool)).includes("x.json.COMPLETED"));
    expect(drain(second).map((e) => e.body.toString())).toEqual(values);
    await second.stop();
    // Another directory sharing the tracker directory: its x.json is its own, read from the start.
    const spool2 = join(dir, "in2");
    await mkdir(spool2);
    await writeFile(join(spool2, "x.json"), `${values.join("\n")}\n`);
    const third = await start({ channels: small, sources: { r1: { ...spooldir({ deserializer: "json" }).r1, spoolDir: spool2 } } }, dir);
    await eventually(() => third.channel("c1")!.size() === 20);
    await third.stop();
    const fourth = await start({ sources: { r1: { ...spooldir({ deserializer: "json" }).r1, spoolDir: spool } } }, dir);
    await writeFile(join(spool, "y.json"), '{"y":1}\n');
    await eventually(async () => (await readdir(spool)).includes("y.json.COMPLETED"));
    expect(drain(fourth).map((e) => e.body.toString())).toEqual(['{"y":1}']);
  });
});
