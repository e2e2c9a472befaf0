import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

describe("config", () => {
  it("uses the documented defaults", () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({ httpPort: 3000, kafkaPort: 9092, bind: "127.0.0.1", autoCreateTopics: true, numPartitions: 1 });
    expect(c.advertisedListener).toEqual({ host: "127.0.0.1", port: 9092 });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.databaseUrl).toBeUndefined();
  });

  it("lets flags override environment variables", () => {
    const env = { TRIBUTARY_HTTP_PORT: "4000", TRIBUTARY_KAFKA_PORT: "9999", TRIBUTARY_AUTO_CREATE_TOPICS: "false" };
    const c = loadConfig({ "http-port": "5000" }, env);
    expect(c.httpPort).toBe(5000);
    expect(c.kafkaPort).toBe(9999);
    expect(c.autoCreateTopics).toBe(false);
    expect(c.advertisedListener.port).toBe(9999);
  });

  it("advertises a reachable address when bound to all interfaces", () => {
    expect(loadConfig({ bind: "0.0.0.0" }, {}).advertisedListener.host).toBe("127.0.0.1");
    expect(loadConfig({ "advertised-listener": "kafka.example.com:19092" }, {}).advertisedListener).toEqual({ host: "kafka.example.com", port: 19092 });
  });

  it("names the setting and the problem, hiding secrets", () => {
    expect(() => loadConfig({ "kafka-port": "70000" }, {})).toThrow(/--kafka-port "70000": .*65535/);
    expect(() => loadConfig({}, { TRIBUTARY_HTTP_PORT: "web" })).toThrow(ConfigError);
    expect(() => loadConfig({}, { TRIBUTARY_HTTP_PORT: "web" })).toThrow(/^TRIBUTARY_HTTP_PORT "web"/);
    expect(() => loadConfig({}, { DATABASE_URL: "mysql://root:hunter2@x/db" })).toThrow(/DATABASE_URL \(hidden\): must start with postgres:\/\//);
    expect(() => loadConfig({}, { TRIBUTARY_ADMIN_PASSWORD: "short" })).toThrow(/at least 8/);
  });

  it("sizes the request memory pool to hold at least the largest request", () => {
    expect(loadConfig({}, {})).toMatchObject({ queuedMaxRequestBytes: 256 * 1024 * 1024, socketRequestMaxBytes: 100 * 1024 * 1024, maxPartitions: 100_000 });
    expect(loadConfig({ "queued-max-request-bytes": "1048576", "socket-request-max-bytes": "1048576" }, {}).queuedMaxRequestBytes).toBe(1048576);
    expect(() => loadConfig({}, { TRIBUTARY_QUEUED_MAX_REQUEST_BYTES: "1048576" })).toThrow(/--queued-max-request-bytes 1048576 is smaller than --socket-request-max-bytes 104857600/);
  });

  it("turns SASL on only with mechanisms and credentials", () => {
    expect(loadConfig({}, {}).saslMechanisms).toEqual([]);
    const c = loadConfig({ "sasl-mechanisms": "plain, scram-sha-256" }, { TRIBUTARY_SASL_USERS: "alice:s3cret:with:colons,bob:pw" });
    expect(c.saslMechanisms).toEqual(["PLAIN", "SCRAM-SHA-256"]);
    expect(c.saslUsers).toEqual({ alice: "s3cret:with:colons", bob: "pw" });
    expect(() => loadConfig({ "sasl-mechanisms": "GSSAPI" }, { TRIBUTARY_SASL_USERS: "a:b" })).toThrow(/PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
    expect(() => loadConfig({ "sasl-mechanisms": "PLAIN" }, {})).toThrow(/no --sasl-users/);
    expect(() => loadConfig({}, { TRIBUTARY_SASL_USERS: "nopassword" })).toThrow(/TRIBUTARY_SASL_USERS \(hidden\)/);
  });

  it("takes the console's public URL and the proxies to trust, refusing what is not one", () => {
    expect(loadConfig({}, {})).toMatchObject({ publicUrl: undefined, trustedProxies: [] });
    const c = loadConfig({ "public-url": "https://Tributary.example.com/console/" }, { TRIBUTARY_TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8,fd00::/8" });
    expect(c.publicUrl).toBe("https://tributary.example.com");
    expect(c.trustedProxies).toEqual(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
    expect(() => loadConfig({ "public-url": "ftp://x" }, {})).toThrow(/--public-url "ftp:\/\/x": must be an http:\/\/ or https:\/\/ URL/);
    expect(() => loadConfig({ "trusted-proxies": "proxy.local" }, {})).toThrow(/--trusted-proxies "proxy.local": must be addresses or CIDR ranges/);
    expect(() => loadConfig({ "trusted-proxies": "10.0.0.0/33" }, {})).toThrow(/CIDR/);
  });

  it("joins a cluster only with a node id and a Postgres server, with Kafka's replication defaults", () => {
    const single = loadConfig({}, {});
    expect(single.nodeId).toBeUndefined();
    expect(single).toMatchObject({ minInsyncReplicas: 1, replicaLagTimeMaxMs: 30_000, uncleanLeaderElectionEnable: false, offsetsTopicReplicationFactor: 3, brokerSessionTimeoutMs: 6000 });
    const c = loadConfig({ "node-id": "2", rack: "eu-1a", "unclean-leader-election-enable": "true" }, { DATABASE_URL: "postgres://db/tributary", TRIBUTARY_DEFAULT_REPLICATION_FACTOR: "2" });
    expect(c).toMatchObject({ nodeId: 2, rack: "eu-1a", defaultReplicationFactor: 2, uncleanLeaderElectionEnable: true });
    expect(() => loadConfig({ "node-id": "1" }, {})).toThrow(/--node-id is set but no --database-url .*Postgres server/);
    expect(() => loadConfig({ "node-id": "-1" }, { DATABASE_URL: "postgres://db/x" })).toThrow(/--node-id "-1"/);
    expect(() => loadConfig({ "broker-session-timeout-ms": "10" }, {})).toThrow(/--broker-session-timeout-ms/);
  });
});
