import { appendFile, mkdir, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FlowRuntime } from "../runtime";

async function drain(rt: FlowRuntime, want: number): Promise<string[]> {
  const out: string[] = [];
  const end = Date.now() + 20_000;
  while (out.length < want && Date.now() < end) {
    const tx = rt.channel("c1")!.begin();
    for (const e of tx.take(1000)) out.push(e.body.toString());
    await tx.commit();
    await new Promise((r) => setTimeout(r, 10));
  }
  return out;
}

it("taildir follows rotation and truncation and resumes from its position file after a restart", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-taildir-"));
  const log = join(dir, "logs", "app.log");
  const flow = {
    name: "td",
    sources: { r1: { type: "taildir", filegroups: { f1: join(dir, "logs", "app\\.log.*") }, positionFile: join(dir, "pos.json"), pollIntervalMs: 20, channels: ["c1"], fileHeader: true } },
    channels: { c1: { type: "memory", capacity: 10_000, transactionCapacity: 1000 } },
    sinks: {},
  };
  await mkdir(join(dir, "logs"));
  await writeFile(log, "a1\na2\r\npartial");
  let rt = new FlowRuntime(flow, { agent: "a1", dataDir: dir });
  try {
    await rt.start();
    expect(await drain(rt, 2)).toEqual(["a1", "a2"]);
    await appendFile(log, "-done\nb1\n");
    // Rotation: the old file is renamed and a new one starts.
    await rename(log, join(dir, "logs", "app.log.1"));
    await writeFile(log, "c1\n");
    expect((await drain(rt, 3)).sort()).toEqual(["b1", "c1", "partial-done"]);
    await rt.stop();
    await appendFile(log, "c2\n");
    rt = new FlowRuntime(flow, { agent: "a1", dataDir: dir });
    await rt.start();
    expect(await drain(rt, 1)).toEqual(["c2"]);
    await truncate(log, 0);
    await appendFile(log, "d1\n");
    expect(await drain(rt, 1)).toEqual(["d1"]);
  } finally {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
