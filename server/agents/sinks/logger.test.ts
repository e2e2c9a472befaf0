import { expect, it } from "vitest";
import { eventually } from "@/server/testing/eventually";
import { tempDirs } from "@/server/testing/temp-dir";
import { runFlumeLinesMain, whileRunning } from "@/server/testing/tributary-process";

const tempDir = tempDirs("logger-sink");

it("logger sink: a Flume agent file with a logger sink logs each event's headers and the start of its body", async () => {
  const agent = await runFlumeLinesMain(tempDir(), [
    "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
    "a1.sources.r1.type = seq", "a1.sources.r1.totalEvents = 3", "a1.sources.r1.bodySize = 40", "a1.sources.r1.channels = c1",
    "a1.sources.r1.interceptors = i1", "a1.sources.r1.interceptors.i1.type = static", "a1.sources.r1.interceptors.i1.key = app",
    "a1.channels.c1.type = memory",
    "a1.sinks.k1.type = logger", "a1.sinks.k1.maxBytesToLog = 4", "a1.sinks.k1.channel = c1",
  ]);
  await whileRunning(agent, () => eventually(() => (agent.stdout().match(/"msg":"event"/g) ?? []).length >= 3, 30_000, "three events logged"));
  const events = agent.stdout().split("\n").filter((l) => l.includes('"msg":"event"')).map((l) => JSON.parse(l) as { headers: Record<string, string>; body: string });
  expect(events.map((e) => e.body)).toEqual(["0   ", "1   ", "2   "]);
  expect(events[0].headers).toEqual({ app: "value" });
}, 60_000);
