import { appendFile, mkdir, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FlowRuntime } from "../runtime";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("taildir");

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
  const dir = tempDir();
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
  }
}, 60_000);

it("a taildir source retargeted to other files reads them from their start, keeping positions only for files still at their recorded path", async () => {
  const dir = tempDir();
  const positionFile = join(dir, "pos.json");
  const flow = (filegroups: Record<string, string>) => ({
    name: "td",
    sources: { r1: { type: "taildir", filegroups, positionFile, pollIntervalMs: 20, channels: ["c1"] } },
    channels: { c1: { type: "memory", capacity: 10_000, transactionCapacity: 1000 } },
    sinks: {},
  });
  const run = async (filegroups: Record<string, string>, want: number) => {
    const rt = new FlowRuntime(flow(filegroups), { agent: "a1", dataDir: dir });
    await rt.start();
    try {
      const got = await drain(rt, want);
      await new Promise((r) => setTimeout(r, 100));
      return [...got, ...(await drain(rt, 0))];
    } finally {
      await rt.stop();
    }
  };
  await mkdir(join(dir, "a"));
  await mkdir(join(dir, "b"));
  await writeFile(join(dir, "a", "app.log"), "a1\na2\na3\n");
  expect(await run({ f1: join(dir, "a", "app\\.log") }, 3)).toEqual(["a1", "a2", "a3"]);
  // Widened: app.log keeps its position; the file newly matched is read from its start.
  await appendFile(join(dir, "a", "app.log"), "a4\n");
  await writeFile(join(dir, "a", "db.log"), "d1\n");
  expect((await run({ f1: join(dir, "a", ".*\\.log") }, 2)).sort()).toEqual(["a4", "d1"]);
  // Moved elsewhere: a file whose inode the position file names (a filesystem reuses the inode of a
  // deleted file for the next one, as ext4 does) is still a new file, read from its start.
  await rm(join(dir, "a", "app.log"));
  const lines = Array.from({ length: 9 }, (_, i) => `n${i + 1}`);
  await writeFile(join(dir, "b", "new.log"), `${lines.join("\n")}\n`);
  const saved = JSON.parse(await readFile(positionFile, "utf8")) as { filegroups: Record<string, string>; files: { inode: number; pos: number; file: string }[] };
  const app = saved.files.find((f) => f.file.endsWith("app.log"))!;
  app.inode = (await stat(join(dir, "b", "new.log"))).ino;
  await writeFile(positionFile, JSON.stringify(saved));
  expect(await run({ f1: join(dir, "b", ".*\\.log") }, 9)).toEqual(lines);
  expect(JSON.parse(await readFile(positionFile, "utf8"))).toMatchObject({ filegroups: { f1: join(dir, "b", ".*\\.log") }, files: [{ file: join(dir, "b", "new.log"), pos: 27 }] });
}, 60_000);

it("reads a position file written by Flume's TaildirSource (a bare array) and resumes from it", async () => {
  const dir = tempDir();
  await writeFile(join(dir, "app.log"), "old1\nold2\nnew1\n");
  const { ino } = await stat(join(dir, "app.log"));
  await writeFile(join(dir, "pos.json"), JSON.stringify([{ inode: ino, pos: 10, file: join(dir, "app.log") }]));
  const rt = new FlowRuntime({
    name: "td",
    sources: { r1: { type: "taildir", filegroups: { f1: join(dir, "app\\.log") }, positionFile: join(dir, "pos.json"), pollIntervalMs: 20, channels: ["c1"] } },
    channels: { c1: { type: "memory" } },
    sinks: {},
  }, { agent: "a1", dataDir: dir });
  await rt.start();
  try {
    expect(await drain(rt, 1)).toEqual(["new1"]);
  } finally {
    await rt.stop();
  }
}, 30_000);
