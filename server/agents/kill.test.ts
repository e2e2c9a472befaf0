import { type ChildProcess, spawn } from "node:child_process";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startTestBroker } from "../broker/compat/harness";
import { createTopics, readTopics } from "./testing/topics";

/**
 * A taildir → file channel → `sink` flow in a child agent, killed with SIGKILL repeatedly while
 * lines are appended and the log rotates; then a last clean run until `delivered()` holds every line.
 * Returns the lines that never arrived.
 */
async function killRepeatedly(dir: string, sink: Record<string, unknown>, delivered: () => Promise<Set<string>>): Promise<{ missing: string[]; lines: number }> {
  await mkdir(join(dir, "logs"));
  const flow = {
    name: "k",
    sources: { r1: { type: "taildir", filegroups: { f1: join(dir, "logs", "app\\.log.*") }, positionFile: join(dir, "pos.json"), pollIntervalMs: 20, batchSize: 200, channels: ["c1"] } },
    channels: { c1: { type: "file", minimumRequiredSpace: 0, transactionCapacity: 1000 } },
    sinks: { k1: { channel: "c1", batchSize: 200, ...sink } },
  };
  const config = join(dir, "flow.json");
  await writeFile(config, JSON.stringify(flow));
  const startAgent = () => spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "cli-main.ts"), "--config", config, "--data-dir", join(dir, "data")], { stdio: ["ignore", "ignore", "pipe"] });
  const started = (child: ChildProcess) => new Promise<void>((resolve, reject) => {
    let err = "";
    child.once("exit", (code) => reject(new Error(`agent exited ${code}: ${err}`)));
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("running flow")) resolve();
    });
  });
  const log = join(dir, "logs", "app.log");
  let line = 0;
  let rotations = 0;
  for (let round = 0; round < 4; round++) {
    const child = startAgent();
    await started(child);
    for (let burst = 0; burst < 10; burst++) {
      await appendFile(log, Array.from({ length: 100 }, () => `line-${line++}\n`).join(""));
      if (burst === 5) await rename(log, join(dir, "logs", `app.log.${++rotations}`));
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
  // A last clean run drains what the killed runs left in the files and the channel.
  const child = startAgent();
  await started(child);
  const end = Date.now() + 60_000;
  let seen = await delivered();
  while (seen.size < line && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await delivered();
  }
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  child.kill("SIGTERM");
  expect(await exited).toEqual({ code: 0, signal: null });
  seen = await delivered();
  return { missing: Array.from({ length: line }, (_, i) => `line-${i}`).filter((l) => !seen.has(l)), lines: line };
}

it("taildir → file channel → file_roll loses no line across repeated SIGKILLs and rotations", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-agent-kill-"));
  try {
    const out = join(dir, "out");
    const { missing, lines } = await killRepeatedly(dir, { type: "file_roll", directory: out, rollCount: 500, rollInterval: 0 }, async () => {
      const seen = new Set<string>();
      for (const f of await readdir(out).catch(() => [] as string[])) {
        for (const l of (await readFile(join(out, f), "utf8")).split("\n")) if (l) seen.add(l);
      }
      return seen;
    });
    expect(lines).toBe(4000);
    expect(missing).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 150_000);

it("taildir → file channel → topic on the real broker loses no line across repeated SIGKILLs and rotations", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-agent-kill-topic-"));
  const broker = await startTestBroker();
  await createTopics(broker.bootstrap, [{ name: "lines", numPartitions: 3 }]);
  try {
    const seen = async () => new Set((await readTopics(broker.bootstrap, ["lines"])).map((r) => r.value!.toString()));
    const { missing, lines } = await killRepeatedly(dir, { type: "topic", bootstrapServers: broker.bootstrap, topic: "lines" }, seen);
    expect(lines).toBe(4000);
    expect(missing).toEqual([]);
  } finally {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
