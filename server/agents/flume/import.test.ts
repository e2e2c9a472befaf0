import { describe, expect, it } from "vitest";
import { parseFlow } from "../flow";
import { exportFlumeProperties } from "./export";
import { importFlumeProperties } from "./import";
import { tempDirs } from "@/server/testing/temp-dir";
import { agentMetricsUrl, runFlumeLinesMain, whileRunning } from "@/server/testing/tributary-process";

const tempDir = tempDirs("agent-cli");

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
a1.sinkgroups.g1.processor.priority.k1 = 5
a1.sinkgroups.g1.processor.priority.k2 = 10
a1.sinkgroups.g1.processor.maxpenalty = 10000
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
    ]));
    expect(flow.sinkgroups).toEqual({ g1: { sinks: ["k1", "k2"], processor: { type: "failover", priority: { k1: 5, k2: 10 }, maxpenalty: 10000 } } });
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

  it("maps Kafka source and sink property names and a load-balancing sink group", () => {
    const { flow, unsupported } = importFlumeProperties([
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1 k2", "a1.sinkgroups = g1",
      "a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource", "a1.sources.r1.channels = c1",
      "a1.sources.r1.kafka.bootstrap.servers = b1:9092,b2:9092", "a1.sources.r1.kafka.topics = orders, payments",
      "a1.sources.r1.kafka.consumer.group.id = flume-orders", "a1.sources.r1.kafka.consumer.auto.offset.reset = latest",
      "a1.sources.r1.batchSize = 500", "a1.sources.r1.batchDurationMillis = 2000",
      "a1.channels.c1.type = memory", "a1.channels.c1.transactionCapacity = 1000",
      "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink", "a1.sinks.k1.channel = c1",
      "a1.sinks.k1.kafka.bootstrap.servers = b3:9092", "a1.sinks.k1.kafka.topic = mirror", "a1.sinks.k1.kafka.flumeBatchSize = 200",
      "a1.sinks.k1.kafka.producer.acks = 1", "a1.sinks.k1.kafka.producer.linger.ms = 5", "a1.sinks.k1.allowTopicOverride = false",
      "a1.sinks.k1.kafka.producer.batch.size = 65536", "a1.sinks.k1.kafka.producer.max.request.size = 2097152",
      "a1.sinks.k2.type = http", "a1.sinks.k2.channel = c1", "a1.sinks.k2.endpoint = http://collector:8080/in",
      "a1.sinkgroups.g1.sinks = k1 k2", "a1.sinkgroups.g1.processor.type = load_balance",
      "a1.sinkgroups.g1.processor.selector = random", "a1.sinkgroups.g1.processor.backoff = true", "a1.sinkgroups.g1.processor.selector.maxTimeOut = 10000",
    ].join("\n"), "a1");
    expect(unsupported).toEqual([
      "a1.sources.r1.batchDurationMillis: ignored (a batch is put as soon as the brokers return it)",
      "a1.sinks.k1.kafka.producer.linger.ms: ignored (batches are sent when the sink takes them)",
    ]);
    const f = parseFlow(flow);
    expect(f.sources.r1).toMatchObject({ type: "topic", bootstrapServers: "b1:9092,b2:9092", topics: ["orders", "payments"], groupId: "flume-orders", fromBeginning: false, batchSize: 500 });
    expect(f.sinks.k1).toMatchObject({ type: "topic", bootstrapServers: "b3:9092", topic: "mirror", batchSize: 200, acks: 1, allowTopicOverride: false, batchBytes: 65_536, maxRequestBytes: 2_097_152 });
    expect(f.sinkgroups.g1).toEqual({ sinks: ["k1", "k2"], processor: { type: "load_balance", selector: "random", backoff: true, "selector.maxTimeOut": 10000 } });
  });

  it("maps the Kafka clients' security, compression and assignor properties of a KafkaSource and a KafkaSink", () => {
    const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="agent" password="pw";';
    const { flow, unsupported } = importFlumeProperties([
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
      "a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource", "a1.sources.r1.channels = c1",
      "a1.sources.r1.kafka.bootstrap.servers = b1:9093", "a1.sources.r1.kafka.topics = orders",
      "a1.sources.r1.kafka.consumer.partition.assignment.strategy = org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
      "a1.sources.r1.kafka.consumer.security.protocol = SASL_SSL", "a1.sources.r1.kafka.consumer.sasl.mechanism = SCRAM-SHA-512",
      `a1.sources.r1.kafka.consumer.sasl.jaas.config = ${jaas}`, "a1.sources.r1.kafka.consumer.ssl.truststore.location = /etc/kafka/ca.pem",
      "a1.sources.r1.kafka.consumer.ssl.truststore.type = PEM",
      "a1.channels.c1.type = memory",
      "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink", "a1.sinks.k1.channel = c1", "a1.sinks.k1.kafka.bootstrap.servers = b1:9093", "a1.sinks.k1.kafka.topic = t",
      "a1.sinks.k1.kafka.producer.security.protocol = SSL", "a1.sinks.k1.kafka.producer.ssl.keystore.location = /etc/kafka/client.pem",
      "a1.sinks.k1.kafka.producer.compression.type = zstd",
    ].join("\n"), "a1");
    expect(unsupported).toEqual([]);
    const f = parseFlow(flow);
    expect(f.sources.r1).toMatchObject({ assignmentStrategy: ["range", "cooperative-sticky"], securityProtocol: "SASL_SSL", saslMechanism: "SCRAM-SHA-512", saslJaasConfig: jaas, sslTruststoreLocation: "/etc/kafka/ca.pem" });
    expect(f.sinks.k1).toMatchObject({ securityProtocol: "SSL", sslKeystoreLocation: "/etc/kafka/client.pem", compression: "zstd" });
  });

  it("maps an exactly-once KafkaSource → KafkaSink pair: the producer's transactional.id and transaction.timeout.ms, the consumer's session.timeout.ms", () => {
    const { flow, unsupported } = importFlumeProperties([
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
      "a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource", "a1.sources.r1.channels = c1",
      "a1.sources.r1.kafka.bootstrap.servers = b1:9092", "a1.sources.r1.kafka.topics = orders", "a1.sources.r1.kafka.consumer.session.timeout.ms = 10000",
      "a1.channels.c1.type = file",
      "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink", "a1.sinks.k1.channel = c1", "a1.sinks.k1.kafka.bootstrap.servers = b1:9092",
      "a1.sinks.k1.kafka.topic = orders-clean", "a1.sinks.k1.allowTopicOverride = false",
      "a1.sinks.k1.kafka.producer.transactional.id = orders-clean-k1", "a1.sinks.k1.kafka.producer.transaction.timeout.ms = 30000",
    ].join("\n"), "a1");
    expect(unsupported).toEqual([]);
    const f = parseFlow(flow);
    expect(f.sources.r1).toMatchObject({ sessionTimeoutMs: 10_000 });
    expect(f.sinks.k1).toMatchObject({ transactionalId: "orders-clean-k1", transactionTimeoutMs: 30_000 });
  });

  it("maps spooldir and exec sources written as in the user guide", () => {
    const { flow, unsupported } = importFlumeProperties([
      "agent-1.channels = ch-1", "agent-1.sources = src-1 src-2", "agent-1.sinks = k1",
      "agent-1.channels.ch-1.type = file",
      "agent-1.sources.src-1.type = spooldir", "agent-1.sources.src-1.channels = ch-1",
      "agent-1.sources.src-1.spoolDir = /var/log/apache/flumeSpool", "agent-1.sources.src-1.fileHeader = true",
      "agent-1.sources.src-1.deserializer = LINE", "agent-1.sources.src-1.deserializer.maxLineLength = 4096",
      "agent-1.sources.src-1.deletePolicy = immediate", "agent-1.sources.src-1.inputCharset = UTF-8",
      "agent-1.sources.src-2.type = exec", "agent-1.sources.src-2.channels = ch-1",
      "agent-1.sources.src-2.command = tail -F /var/log/secure", "agent-1.sources.src-2.restart = true", "agent-1.sources.src-2.restartThrottle = 5000",
      "agent-1.sinks.k1.type = file_roll", "agent-1.sinks.k1.channel = ch-1", "agent-1.sinks.k1.sink.directory = /var/log/flume",
      "agent-1.sinks.k1.sink.serializer = TEXT", "agent-1.sinks.k1.sink.rollInterval = 60",
    ].join("\n"), "agent-1");
    expect(unsupported).toEqual(["agent-1.sources.src-1.inputCharset: not a property of spooldir"]);
    const f = parseFlow(flow);
    expect(f.sources["src-1"]).toMatchObject({ type: "spooldir", spoolDir: "/var/log/apache/flumeSpool", fileHeader: true, deserializer: "line", "deserializer.maxLineLength": 4096, deletePolicy: "immediate" });
    expect(f.sources["src-2"]).toMatchObject({ type: "exec", command: "tail -F /var/log/secure", restart: true, restartThrottle: 5000 });
    expect(f.sinks.k1).toMatchObject({ type: "file_roll", directory: "/var/log/flume", format: "text", rollInterval: 60 });
  });

  it("reports unknown processors and processor properties", () => {
    const { unsupported } = importFlumeProperties([
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1", "a1.sinkgroups = g1 g2",
      "a1.sources.r1.type = seq", "a1.sources.r1.channels = c1", "a1.channels.c1.type = memory",
      "a1.sinks.k1.type = null", "a1.sinks.k1.channel = c1",
      "a1.sinkgroups.g1.sinks = k1", "a1.sinkgroups.g1.processor.type = com.example.Custom",
      "a1.sinkgroups.g2.sinks = k1", "a1.sinkgroups.g2.processor.type = failover", "a1.sinkgroups.g2.processor.colour = red",
    ].join("\n"), "a1");
    expect(unsupported).toEqual([
      "a1.sinkgroups.g1.processor.type = com.example.Custom: only default, failover and load_balance processors exist here",
      "a1.sinkgroups.g2.processor.colour: not a property of the failover sink processor",
    ]);
  });

  it("round-trips a flow with every kind of property through export", () => {
    const flow = parseFlow({
      name: "a1",
      sources: {
        r1: { type: "taildir", channels: ["c1", "c2"], filegroups: { f1: "/var/log/a/.*\\.log", f2: "/var/log/b/x.log" }, positionFile: "/tmp/pos.json",
          interceptors: [{ type: "regex_extractor", regex: "(\\d+) (\\w+)", headers: ["n", "w"] }, { type: "static", key: "k", value: " spaced" }],
          selector: { type: "multiplexing", header: "w", mapping: { a: ["c1"], b: ["c1", "c2"] }, optional: { a: ["c2"] }, default: ["c2"] } },
        r2: { type: "topic", channels: ["c1"], bootstrapServers: "b:9092", topics: ["t1", "t2"] },
      },
      channels: { c1: { type: "memory", capacity: 5000 }, c2: { type: "file", dataDir: "/data/c2" } },
      sinks: {
        k1: { type: "http", channel: "c1", endpoint: "http://h:1/in", headers: { "x-app": "shop" } },
        k2: { type: "topic", channel: "c1", bootstrapServers: "b:9092", topic: "out", acks: -1 },
        k3: { type: "file_roll", channel: "c2", directory: "/out/%Y" },
      },
      sinkgroups: { g1: { sinks: ["k1", "k2"], processor: { type: "failover", priority: { k1: 1, k2: 2 } } } },
    });
    const text = exportFlumeProperties(flow, "a1");
    const back = importFlumeProperties(text, "a1");
    expect(back.unsupported).toEqual([]);
    expect(parseFlow(back.flow)).toEqual(flow);
  });

  it("round-trips the user guide's config through export", () => {
    const conf = GUIDE_CONF.replace(/a1\.sinks\.k2\.type = .*\n/, "a1.sinks.k2.type = null\n").replace(/a1\.sinks\.k2\.kafka\.topic.*\n/, "");
    const flow = parseFlow(importFlumeProperties(conf, "a1").flow);
    const again = parseFlow(importFlumeProperties(exportFlumeProperties(flow, "a1"), "a1").flow);
    expect(again).toEqual(flow);
  });

  it("runs with tributary agent --flume-conf and stops cleanly on SIGTERM", async () => {
    const agent = await runFlumeLinesMain(tempDir(), [
      "a1.sources = r1", "a1.channels = c1", "a1.sinks = k1",
      "a1.sources.r1.type = netcat", "a1.sources.r1.bind = 127.0.0.1", "a1.sources.r1.port = 0", "a1.sources.r1.channels = c1",
      "a1.channels.c1.type = file", "a1.channels.c1.minimumRequiredSpace = 0",
      "a1.sinks.k1.type = null", "a1.sinks.k1.channel = c1",
    ], ["--metrics-port", "0"]);
    await whileRunning(agent, async () => {
      const metrics = (await (await fetch(await agentMetricsUrl(agent))).json()) as Record<string, Record<string, number>>;
      expect(Object.keys(metrics).sort()).toEqual(["CHANNEL.c1", "SINK.k1", "SOURCE.r1"]);
      expect(metrics["CHANNEL.c1"]).toMatchObject({ ChannelCapacity: 1_000_000, ChannelSize: 0 });
    });
  }, 60_000);
});
