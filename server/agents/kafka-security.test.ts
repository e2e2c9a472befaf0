import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestBroker } from "../broker/compat/harness";
import { KafkaClient } from "../kafka/client";
import { startTestProxy } from "../kafka/client/testing";
import { kafkaClientSecurity, kafkaSecuritySchema } from "./kafka-security";
import { FlowRuntime } from "./runtime";
import { expectDelivered } from "./testing/topics";

const parse = (c: Record<string, unknown>) => kafkaSecuritySchema.parse(c);

describe("Kafka security properties", () => {
  it("reads PlainLoginModule and ScramLoginModule logins, quoted values with escapes included", () => {
    expect(kafkaClientSecurity(parse({ securityProtocol: "SASL_PLAINTEXT", saslJaasConfig: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="p\\"w;d";' }), ["b:9092"]))
      .toEqual({ sasl: { mechanism: "PLAIN", username: "alice", password: 'p"w;d' } });
    expect(kafkaClientSecurity(parse({ securityProtocol: "SASL_PLAINTEXT", saslMechanism: "SCRAM-SHA-512", saslJaasConfig: "org.apache.kafka.common.security.scram.ScramLoginModule required username=bob password=x" }), ["b:9092"]))
      .toEqual({ sasl: { mechanism: "SCRAM-SHA-512", username: "bob", password: "x" } });
  });

  it("says what is wrong with a login that cannot work", () => {
    const sasl = (c: Record<string, unknown>) => () => kafkaClientSecurity(parse({ securityProtocol: "SASL_SSL", ...c }), ["b:9092"]);
    expect(sasl({})).toThrow(/securityProtocol SASL_SSL needs saslJaasConfig/);
    expect(sasl({ saslMechanism: "SCRAM-SHA-256", saslJaasConfig: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b";' })).toThrow(/saslMechanism SCRAM-SHA-256 signs in with org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule, not .*PlainLoginModule/);
    expect(sasl({ saslJaasConfig: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="a";' })).toThrow(/needs username="…" and password="…"/);
    expect(sasl({ saslJaasConfig: "username=a password=b" })).toThrow(/must read `<LoginModule> required/);
    expect(() => kafkaClientSecurity(parse({ saslJaasConfig: "x required a=b;" }), ["b:9092"])).toThrow(/securityProtocol is PLAINTEXT; use SASL_PLAINTEXT or SASL_SSL/);
    expect(() => kafkaClientSecurity(parse({ securityProtocol: "SSL", sslTruststoreLocation: "/nonexistent/ca.pem" }), ["b:9092"])).toThrow(/cannot read the truststore \/nonexistent\/ca\.pem/);
    expect(() => parse({ sslTruststoreType: "JKS" })).toThrow(/convert a JKS or PKCS12 truststore to PEM/);
  });

  it("signs in to the embedded broker with its internal credential only when the component has no login of its own", () => {
    const local = { bootstrap: "127.0.0.1:9092", credential: { mechanism: "SCRAM-SHA-512" as const, username: "internal", password: "pw" } };
    expect(kafkaClientSecurity(parse({}), ["127.0.0.1:9092"], local)).toEqual({ sasl: local.credential });
    expect(kafkaClientSecurity(parse({}), ["elsewhere:9092"], local)).toEqual({});
    expect(kafkaClientSecurity(parse({ securityProtocol: "SASL_PLAINTEXT", saslJaasConfig: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="me" password="x";' }), ["127.0.0.1:9092"], local).sasl).toMatchObject({ username: "me" });
  });
});

describe("a topic sink over TLS", () => {
  let dir: string;
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-agent-tls-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "ca.pem"), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
    proxy = await startTestProxy({ tls: { key: await readFile(join(dir, "key.pem"), "utf8"), cert: await readFile(join(dir, "ca.pem"), "utf8") } });
    // The broker advertises the TLS proxy, so every connection the sink makes is TLS.
    broker = await startTestBroker({ advertisedPort: proxy.port });
    proxy.target(`127.0.0.1:${broker.broker.address().port}`);
  });
  afterAll(async () => {
    await proxy.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const flow = (security: Record<string, unknown>) => new FlowRuntime({
    name: "tls",
    sources: { r1: { type: "seq", channels: ["c1"], totalEvents: 20 } },
    channels: { c1: { type: "memory" } },
    sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: proxy.address, topic: "tls-out", ...security } },
  }, { agent: "a1", dataDir: join(dir, "agent") });

  it("checks the brokers' certificate against ssl.truststore.location (PEM) and delivers", async () => {
    const rt = flow({ securityProtocol: "SSL", sslTruststoreLocation: join(dir, "ca.pem") });
    const reader = new KafkaClient({ bootstrap: [proxy.address], tls: { ca: await readFile(join(dir, "ca.pem"), "utf8") } });
    await expectDelivered(rt, reader, "tls-out", 20);
  }, 60_000);

  it("without the CA, refuses the brokers' certificate and backs off saying so", async () => {
    const rt = flow({ securityProtocol: "SSL" });
    await rt.start();
    try {
      await eventually(() => rt.components().k1.state === "backing_off" || undefined, 30_000, "the sink to back off");
      expect(rt.components().k1.lastError).toMatch(/self.signed certificate|unable to verify|certificate/i);
    } finally {
      await rt.stop();
    }
  }, 60_000);
});
