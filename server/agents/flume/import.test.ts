import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFlow } from "../flow";
import { exportFlumeProperties, importFlumeProperties } from "./import";

// Written as in the Flume user guide: a netcat source with interceptors and a multiplexing selector.
const GUIDE_CONF = `
# example.conf: A single-node Flume configuration
a1.sources = r1
a1.sinks = k1 k2
a1.channels = c1 c2

a1.sources.r1.type = netcat
a1.sources.r1.bind = localhost
a1.sources.r1.port = 44444
a1.sources.r1.channels = c1 c2
a1.sources.r1.interceptors = i1 i2
a1.sources.r1.interceptors.i1.type = host
a1.sources.r1.interceptors.i1.hostHeader = hostname
a1.sources.r1.interceptors.i2.type = org.apache.flume.interceptor.StaticInterceptor$Builder
a1.sources.r1.interceptors.i2.key = state
a1.sources.r1.interceptors.i2.value = CA
a1.sources.r1.selector.type = multiplexing
a1.sources.r1.selector.header = state
a1.sources.r1.selector.mapping.CA = c1
a1.sources.r1.selector.mapping.AZ = c2
a1.sources.r1.selector.default = c2

a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.keep-alive = 3
a1.channels.c2.type = file
a1.channels.c2.checkpointDir = /mnt/flume/checkpoint
a1.channels.c2.dataDirs = /mnt/flume/data

a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
a1.sinks.k2.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k2.kafka.topic = mytopic
a1.sinks.k2.channel = c2
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
`;

describe("Flume .properties import", () => {
  it("maps a user-guide config and reports what it cannot carry over", () => {
    const { flow, unsupported } = importFlumeProperties(GUIDE_CONF, "a1");
    expect(flow.sources.r1).toEqual({
      type: "netcat", bind: "localhost", port: 44444, channels: ["c1", "c2"],
      interceptors: [{ type: "host", hostHeader: "hostname" }, { type: "static", key: "state", value: "CA" }],
      selector: { type: "multiplexing", header: "state", mapping: { CA: ["c1"], AZ: ["c2"] }, optional: {}, default: ["c2"] },
    });
    expect(flow.channels.c1).toEqual({ type: "memory", capacity: 1000, transactionCapacity: 100 });
    expect(flow.channels.c2).toEqual({ type: "file", dataDir: "/mnt/flume/data" });
    expect(unsupported).toEqual(expect.arrayContaining([
      expect.stringMatching(/^a1\.channels\.c1\.keep-alive: ignored/),
      expect.stringMatching(/^a1\.channels\.c2\.checkpointDir: ignored/),
      expect.stringMatching(/^a1\.sinkgroups\.g1: sink groups/),
    ]));
    expect(flow.sinks.k2).toEqual({ type: "topic", topic: "mytopic", channel: "c2" });
    // Flume requires kafka.bootstrap.servers too; the error names the property.
    expect(() => parseFlow(flow)).toThrow(/sinks\.k2\.bootstrapServers/);
  });

  it("maps a TAILDIR source with file groups", () => {
    const { flow, unsupported } = importFlumeProperties([
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
      "a1.sources.r1.type = TAILDIR", "a1.sources.r1.channels = c1", "a1.sources.r1.positionFile = /var/log/flume/taildir_position.json",
      "a1.sources.r1.filegroups = f1 f2", "a1.sources.r1.filegroups.f1 = /var/log/test1/example.log", "a1.sources.r1.filegroups.f2 = /var/log/test2/.*log.*",
      "a1.sources.r1.fileHeader = true",
      "a1.channels.c1.type = memory", "a1.sinks.k1.type = logger", "a1.sinks.k1.channel = c1",
    ].join("\n"), "a1");
    expect(unsupported).toEqual([]);
    expect(parseFlow(flow).sources.r1).toMatchObject({ type: "taildir", fileHeader: true, filegroups: { f1: "/var/log/test1/example.log", f2: "/var/log/test2/.*log.*" } });
  });

  it("round-trips through export", () => {
    const conf = GUIDE_CONF.replace(/a1\.sinks\.k2\.type = .*\n/, "a1.sinks.k2.type = null\n").replace(/a1\.sinks\.k2\.kafka\.topic.*\n/, "");
    const flow = parseFlow(importFlumeProperties(conf, "a1").flow);
    const again = parseFlow(importFlumeProperties(exportFlumeProperties(flow, "a1"), "a1").flow);
    expect(again).toEqual(flow);
  });

  it("runs with tributary agent --flume-conf and stops cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tributary-agent-cli-"));
    try {
      const conf = join(dir, "agent.properties");
      await writeFile(conf, [
        "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
        "a1.sources.r1.type = netcat", "a1.sources.r1.bind = 127.0.0.1", "a1.sources.r1.port = 0", "a1.sources.r1.channels = c1",
        "a1.channels.c1.type = file", "a1.channels.c1.minimumRequiredSpace = 0",
        "a1.sinks.k1.type = null", "a1.sinks.k1.channel = c1", "",
      ].join("\n"));
      const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "cli-main.ts"), "--flume-conf", conf, "--name", "a1", "--data-dir", join(dir, "data"), "--metrics-port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      const metricsUrl = await new Promise<string>((resolve, reject) => {
        child.on("exit", (code) => reject(new Error(`agent exited ${code}: ${err}`)));
        child.stderr.on("data", (d: Buffer) => {
          err += d.toString();
          const m = /metrics at (\S+)/.exec(err);
          if (m && err.includes("running flow")) resolve(m[1]!);
        });
      });
      const metrics = (await (await fetch(metricsUrl)).json()) as Record<string, Record<string, number>>;
      expect(Object.keys(metrics).sort()).toEqual(["CHANNEL.c1", "SINK.k1", "SOURCE.r1"]);
      expect(metrics["CHANNEL.c1"]).toMatchObject({ ChannelCapacity: 1_000_000, ChannelSize: 0 });
      const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
