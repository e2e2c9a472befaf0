import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FlowRuntime } from "../runtime";
import { expandPath } from "./file-roll";

it("expands Flume's escapes from the timestamp header", () => {
  const ts = new Date(2024, 2, 5, 7, 8, 9).getTime();
  expect(expandPath("/d/%Y/%m/%d/%H%M%S/%{region}-%s", { headers: { timestamp: String(ts), region: "eu" }, body: Buffer.alloc(0) }, false))
    .toBe(`/d/2024/03/05/070809/eu-${ts}`);
});

it("seq → file channel → file_roll: every event in closed files, rolled by count, per header directory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-file-roll-"));
  try {
    const rt = new FlowRuntime({
      name: "roll",
      sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 2500, batchSize: 100, interceptors: [{ type: "static", key: "region", value: "eu" }] } },
      channels: { c1: { type: "file", minimumRequiredSpace: 0, transactionCapacity: 1000 } },
      sinks: { k1: { type: "file_roll", channel: "c1", directory: join(dir, "out", "%{region}"), rollCount: 1000, rollInterval: 0, batchSize: 500 } },
    }, { agent: "a1", dataDir: join(dir, "data") });
    await rt.start();
    const end = Date.now() + 20_000;
    while ((rt.flumeMetrics()["SINK.k1"]!.EventDrainSuccessCount as number) < 2500 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await rt.stop();
    const files = (await readdir(join(dir, "out", "eu"))).sort();
    expect(files.every((f) => f.endsWith(".log"))).toBe(true);
    expect(files).toHaveLength(3);
    const lines = (await Promise.all(files.map((f) => readFile(join(dir, "out", "eu", f), "utf8")))).join("").split("\n").filter(Boolean);
    expect(lines.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
