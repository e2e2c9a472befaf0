import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { expect, it } from "vitest";
import { eventually, kcat, startTestBroker } from "../../broker/compat/harness";
import { tempDirs } from "@/server/testing/temp-dir";
import { agentMetricsUrl, freePort, runAgentMain, whileRunning } from "@/server/testing/tributary-process";

const tempDir = tempDirs("flume-conf");

/**
 * The acceptance case: an unchanged Flume agent file (netcat → file channel → KafkaSink, written
 * as the Flume user guide writes it) run by `tributary agent --flume-conf`, delivering to the real
 * broker; kcat reads the lines back.
 */
it("runs a Flume netcat → file channel → KafkaSink config against the broker, read back with kcat", async () => {
  const dir = tempDir();
  const broker = await startTestBroker();
  try {
    const admin = broker.kafka("admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "weblogs", numPartitions: 1 }] });
    await admin.disconnect();
    const port = await freePort();
    const conf = join(dir, "flume.properties");
    await writeFile(conf, `
# Name the components on this agent
a1.sources = r1
a1.sinks = k1
a1.channels = c1

# Describe/configure the source
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.interceptors = i1
a1.sources.r1.interceptors.i1.type = static
a1.sources.r1.interceptors.i1.key = datacenter
a1.sources.r1.interceptors.i1.value = NEW_YORK

# Use a channel which buffers events in files
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${join(dir, "checkpoint")}
a1.channels.c1.dataDirs = ${join(dir, "data")}
a1.channels.c1.minimumRequiredSpace = 0

# Describe the sink
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.topic = weblogs
a1.sinks.k1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sinks.k1.kafka.flumeBatchSize = 20
a1.sinks.k1.kafka.producer.acks = 1

# Bind the source and sink to the channel
a1.sources.r1.channels = c1
a1.sinks.k1.channel = c1
`);
    const agent = runAgentMain(["--flume-conf", conf, "--name", "a1", "--metrics-port", "0"]);
    await whileRunning(agent, async () => {
      const metricsUrl = await agentMetricsUrl(agent);
      expect(agent.stderr()).toMatch(/checkpointDir: ignored/);
      const sock = connect(port, "127.0.0.1");
      let acks = "";
      sock.on("data", (d: Buffer) => (acks += d.toString()));
      sock.write(Array.from({ length: 100 }, (_, i) => `GET /page/${i}\n`).join(""));
      await eventually(() => acks.split("OK\n").length - 1 === 100 || undefined, 20_000, "100 OKs");
      sock.end();
      const out = await eventually(async () => {
        const text = await kcat(["-b", broker.bootstrap, "-C", "-t", "weblogs", "-o", "beginning", "-e", "-q", "-f", "%h %s\n"]);
        return text.trim().split("\n").length >= 100 ? text : undefined;
      }, 30_000, "100 records in weblogs");
      const lines = out.trim().split("\n");
      const metrics = (await (await fetch(metricsUrl)).json()) as Record<string, Record<string, number>>;
      expect(metrics["SOURCE.r1"]).toMatchObject({ EventAcceptedCount: 100 });
      expect(lines.map((l) => l.slice(l.indexOf(" ") + 1))).toEqual(Array.from({ length: 100 }, (_, i) => `GET /page/${i}`));
      expect(lines[0]).toMatch(/^datacenter=NEW_YORK /);
    });
  } finally {
    await broker.stop();
  }
}, 90_000);

/**
 * Flume's KafkaSink (the Java producer) lets the broker create a topic it does not know yet; the
 * same unchanged file must deliver here to a topic nobody created.
 */
it("a Flume KafkaSink config naming a topic that does not exist yet delivers to it, the broker creating it", async () => {
  const dir = tempDir();
  const broker = await startTestBroker();
  try {
    const conf = join(dir, "flume.properties");
    await writeFile(conf, `
a1.sources = r1
a1.sinks = k1
a1.channels = c1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 50
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.topic = created-by-first-send
a1.sinks.k1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sinks.k1.channel = c1
`);
    await whileRunning(runAgentMain(["--flume-conf", conf, "--name", "a1", "--data-dir", join(dir, "data")]), async () => {
      const out = await eventually(async () => {
        const text = await kcat(["-b", broker.bootstrap, "-C", "-t", "created-by-first-send", "-o", "beginning", "-e", "-q"]).catch(() => "");
        return text.trim().split("\n").length >= 50 ? text : undefined;
      }, 30_000, "50 records in created-by-first-send");
      expect(out.trim().split("\n").map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });
  } finally {
    await broker.stop();
  }
}, 90_000);
