import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { eventually } from "@/server/testing/eventually";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("logger-sink");

it("logger sink: a Flume agent file with a logger sink logs each event's headers and the start of its body", async () => {
  const dir = tempDir();
  const conf = join(dir, "a.properties");
  await writeFile(conf, [
    "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
    "a1.sources.r1.type = seq", "a1.sources.r1.totalEvents = 3", "a1.sources.r1.bodySize = 40", "a1.sources.r1.channels = c1",
    "a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = static", "a1.sources.r1.interceptors.i1.key = app",
    "a1.channels.c1.type = memory",
    "a1.sinks.k1.type = logger", "a1.sinks.k1.maxBytesToLog = 4", "a1.sinks.k1.channel = c1", "",
  ].join("\n"));
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "cli-main.ts"), "--flume-conf", conf, "--name", "a1", "--data-dir", join(dir, "data")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: "info" },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await eventually(() => (out.match(/"msg":"event"/g) ?? []).length >= 3, 30_000, "three events logged");
  child.kill("SIGTERM");
  expect(await exit).toBe(0);
  const events = out.split("\n").filter((l) => l.includes('"msg":"event"')).map((l) => JSON.parse(l) as { headers: Record<string, string>; body: string });
  expect(events.map((e) => e.body)).toEqual(["0   ", "1   ", "2   "]);
  expect(events[0].headers).toEqual({ app: "value" });
}, 60_000);
