import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect, it } from "vitest";
import { eventually, kcat, spawnKcat, startTestBroker } from "../../broker/compat/harness";
import { ListOffsetsTimestamp } from "../../kafka/constants";
import { KafkaClient } from "../../kafka/client";
import { agentMetricsUrl, freePort, runAgent, whileRunning } from "@/server/testing/tributary-process";
import type { DeadLetterLine } from "./dead-letters";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("topic-limits");

/**
 * The topic sink under takes bigger than a broker accepts in one batch, through the real agent
 * process (`tributary agent --flume-conf`) and the real broker.
 */

type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;

async function highWatermark(broker: TestBroker, topic: string): Promise<number> {
  const client = new KafkaClient({ bootstrap: [broker.bootstrap], clientId: "hw" });
  try {
    const ends = await client.admin.listOffsets([{ topic, partition: 0, timestamp: ListOffsetsTimestamp.LATEST }]);
    return ends.reduce((n, o) => n + o.offset, 0);
  } catch {
    return 0;
  } finally {
    await client.close();
  }
}

it("tails a 1,000,000-line file of 190-byte lines with kafka.flumeBatchSize = 10000 through a file channel: every line arrives", async ({ annotate }) => {
  const LINES = 1_000_000;
  const dir = tempDir();
  const broker = await startTestBroker();
  try {
    // Line i is its number, zero-padded, then padding to 190 bytes.
    const fh = await open(join(dir, "app.log"), "w");
    for (let start = 0; start < LINES; start += 10_000) {
      let chunk = "";
      for (let i = start; i < start + 10_000; i++) chunk += `${String(i).padStart(7, "0")} ${"x".repeat(182)}\n`;
      await fh.write(chunk);
    }
    await fh.close();
    const conf = join(dir, "flume.properties");
    await writeFile(conf, `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.positionFile = ${join(dir, "taildir_position.json")}
a1.sources.r1.filegroups = f1
a1.sources.r1.filegroups.f1 = ${join(dir, "app\\.log")}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${join(dir, "checkpoint")}
a1.channels.c1.dataDirs = ${join(dir, "channel")}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.topic = lines
a1.sinks.k1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sinks.k1.kafka.flumeBatchSize = 10000
a1.sinks.k1.channel = c1
`);
    const t0 = performance.now();
    await whileRunning(runAgent(conf, join(dir, "data")), async () => {
      await eventually(async () => (await highWatermark(broker, "lines")) >= LINES || undefined, 280_000, `${LINES} records in topic lines`);
      const seconds = (performance.now() - t0) / 1000;
      void annotate(`${LINES} lines delivered in ${seconds.toFixed(1)} s (agent start to the last acknowledgement): ${Math.round(LINES / seconds)} lines/s`);
    });
    const seen = new Uint8Array(LINES);
    let records = 0;
    let malformed = 0;
    const reader = spawnKcat(["-b", broker.bootstrap, "-C", "-t", "lines", "-o", "beginning", "-e", "-q", "-f", "%s\n"]);
    for await (const line of createInterface({ input: reader.stdout })) {
      records++;
      seen[Number(line.slice(0, 7))] = 1;
      if (line.length !== 190) malformed++;
    }
    expect(malformed).toBe(0);
    expect(seen.reduce((n, s) => n + s, 0)).toBe(LINES);
    void annotate(`${records - LINES} duplicates (at-least-once)`);
  } finally {
    await broker.stop();
  }
}, 360_000);

it("an event too large for the topic goes to the dead-letter file, counted and logged once, while the rest keeps flowing", async () => {
  const dir = tempDir();
  const broker = await startTestBroker();
  try {
    const port = await freePort();
    const conf = join(dir, "flume.properties");
    await writeFile(conf, `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = http
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.topic = mixed
a1.sinks.k1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sinks.k1.channel = c1
`);
    const agent = runAgent(conf, join(dir, "data"));
    await whileRunning(agent, async () => {
      const metricsUrl = await agentMetricsUrl(agent);
      const huge = (c: string) => c.repeat(2 * 1024 * 1024);
      const posts = [
        Array.from({ length: 50 }, (_, i) => `small ${i}`).join("\n"),
        huge("a"),
        Array.from({ length: 50 }, (_, i) => `small ${50 + i}`).join("\n"),
        huge("b"),
        Array.from({ length: 50 }, (_, i) => `small ${100 + i}`).join("\n"),
      ];
      for (const body of posts) {
        // A full channel answers 503; a client retries, as Flume's HTTP clients do.
        const status = await eventually(async () => {
          const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body, headers: { "content-type": "text/plain" } });
          await res.arrayBuffer();
          return res.status === 503 ? undefined : res.status;
        }, 30_000, "the channel to take a post");
        expect(status).toBe(200);
      }
      const got = await eventually(async () => {
        const text = await kcat(["-b", broker.bootstrap, "-C", "-t", "mixed", "-o", "beginning", "-e", "-q"]).catch(() => "");
        const lines = text.split("\n").filter(Boolean);
        return lines.length >= 150 ? lines : undefined;
      }, 30_000, "150 small events in topic mixed");
      expect(got).toEqual(Array.from({ length: 150 }, (_, i) => `small ${i}`));
      const metrics = (await (await fetch(metricsUrl)).json()) as Record<string, Record<string, number>>;
      expect(metrics["SINK.k1"]).toMatchObject({ EventDeadLetterCount: 2, EventDrainSuccessCount: 152 });
      const letters = (await readFile(join(dir, "data", "a1", "k1", "dead-letters.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as DeadLetterLine);
      expect(letters.map((l) => Buffer.from(l.body, "base64").toString())).toEqual([huge("a"), huge("b")]);
      expect(letters[0]).toMatchObject({ topic: "mixed", reason: expect.stringMatching(/^a record batch of 2097\d+ bytes exceeds the topic's max\.message\.bytes 1048588$/) });
      expect(agent.stdout().split("\n").filter((l) => l.includes("too large for its topic"))).toHaveLength(1);
    });
  } finally {
    await broker.stop();
  }
}, 120_000);
