import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FlowRuntime } from "../runtime";
import { expandPath } from "./file-roll";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("file-roll");

it("expands Flume's escapes from the timestamp header", () => {
  const ts = new Date(2024, 2, 5, 7, 8, 9).getTime();
  expect(expandPath("/d/%Y/%m/%d/%H%M%S/%{region}-%s", { headers: { timestamp: String(ts), region: "eu" }, body: Buffer.alloc(0) }, false))
    .toBe(`/d/2024/03/05/070809/eu-${ts}`);
});

it("seq → file channel → file_roll: every event in closed files, rolled by count, per header directory", async () => {
  const dir = tempDir();
  const rt = new FlowRuntime({
    name: "roll",
    sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 2500, batchSize: 100, interceptors: [{ type: "static", key: "region", value: "eu" }] } },
    channels: { c1: { type: "file", minimumRequiredSpace: 0, transactionCapacity: 1000 } },
    sinks: { k1: { type: "file_roll", channel: "c1", directory: join(dir, "out", "%{region}"), rollCount: 1000, rollInterval: 0, batchSize: 500 } },
  }, { agent: "a1", dataDir: join(dir, "data") });
  await rt.start();
  const end = Date.now() + 20_000;
  while ((rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount as number) < 2500 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  await rt.stop();
  const files = (await readdir(join(dir, "out", "eu"))).sort();
  expect(files.every((f) => f.endsWith(".log"))).toBe(true);
  expect(files).toHaveLength(3);
  const lines = (await Promise.all(files.map((f) => readFile(join(dir, "out", "eu", f), "utf8")))).join("").split("\n").filter(Boolean);
  expect(lines.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
}, 60_000);

it("rounds the timestamp down for the escapes (round, roundValue, roundUnit)", () => {
  const ts = new Date(2024, 2, 5, 7, 44, 9).getTime();
  const e = { headers: { timestamp: String(ts) }, body: Buffer.alloc(0) };
  expect(expandPath("%H%M", e, false, 15 * 60_000)).toBe("0730");
  expect(expandPath("%y-%H", e, false, 3_600_000)).toBe("24-07");
});

it("csv with quoting, gzip members readable at every commit, and rollInterval closing .tmp files into final names", async () => {
  const { gunzipSync } = await import("node:zlib");
  const dir = tempDir();
  const rt = new FlowRuntime({
    name: "csv",
    sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 300, batchSize: 50, interceptors: [{ type: "static", key: "note", value: 'say "hi", then\nleave' }] } },
    channels: { c1: { type: "memory" } },
    sinks: { k1: { type: "file_roll", channel: "c1", directory: join(dir, "out"), format: "csv", columns: ["note", "body", "missing"], gzip: true, rollInterval: 1, batchSize: 50 } },
  }, { agent: "a1", dataDir: join(dir, "data") });
  await rt.start();
  const end = Date.now() + 20_000;
  while ((rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount as number) < 300 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  // While open, the file is .tmp — and already a valid gzip stream of the committed batches.
  const open = (await readdir(join(dir, "out"))).filter((f) => f.endsWith(".csv.gz.tmp"));
  expect(open).toHaveLength(1);
  expect(gunzipSync(await readFile(join(dir, "out", open[0]))).toString().split("\r\n").filter(Boolean)).toHaveLength(300);
  // rollInterval 1 s closes it without a stop.
  while ((await readdir(join(dir, "out"))).some((f) => f.endsWith(".tmp")) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const files = await readdir(join(dir, "out"));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^events-\d+-\d+\.csv\.gz$/);
  const rows = gunzipSync(await readFile(join(dir, "out", files[0]))).toString();
  expect(rows.startsWith('"say ""hi"", then\nleave",0,\r\n"say ""hi"", then\nleave",1,\r\n')).toBe(true);
  await rt.stop();
}, 60_000);

it("escapes /, \\, .. and NUL in header values so a path cannot leave its directory", () => {
  const e = (v: string) => ({ headers: { tenant: v, timestamp: "0" }, body: Buffer.alloc(0) });
  expect(expandPath("/d/%{tenant}/x", e("../../etc"), false)).toBe("/d/%2E%2E%2F%2E%2E%2Fetc/x");
  expect(expandPath("/d/%{tenant}", e("a\\b\u0000c"), false)).toBe("/d/a%5Cb%00c");
  expect(expandPath("/d/%{tenant}", e(".."), false)).toBe("/d/%2E%2E");
  // Dots that only a neighbouring expansion would turn into "..".
  expect(expandPath("/d/%{tenant}%{tenant}", e("."), false)).toBe("/d/%2E%2E");
  expect(expandPath("/d/.%{tenant}", e("."), false)).toBe("/d/.%2E");
  expect(expandPath("/d/%{tenant}", e("eu.west-1"), false)).toBe("/d/eu.west-1");
});

it("keeps an event with header tenant=../../x inside the configured directory (real files)", async () => {
  const dir = tempDir();
  const root = join(dir, "a", "b", "out");
  const rt = new FlowRuntime({
    name: "escape",
    sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 3, batchSize: 3, interceptors: [{ type: "static", key: "tenant", value: "../../x" }] } },
    channels: { c1: { type: "memory" } },
    sinks: { k1: { type: "file_roll", channel: "c1", directory: join(root, "%{tenant}"), rollCount: 3, rollInterval: 0, batchSize: 3 } },
  }, { agent: "a1", dataDir: join(dir, "data") });
  await rt.start();
  const end = Date.now() + 20_000;
  while ((rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount as number) < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  await rt.stop();
  expect(await readdir(join(dir, "a"))).toEqual(["b"]);
  expect(await readdir(join(dir, "a", "b"))).toEqual(["out"]);
  const [sub] = await readdir(root);
  expect(sub).toBe("%2E%2E%2F%2E%2E%2Fx");
  const [file] = await readdir(join(root, sub));
  expect((await readFile(join(root, sub, file), "utf8")).split("\n").filter(Boolean)).toEqual(["0", "1", "2"]);
}, 60_000);
