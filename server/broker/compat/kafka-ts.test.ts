import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, createKafkaClient, saslScramSha256, saslScramSha512, setLogger } from "kafka-ts";
import { startTestBroker } from "./harness";

const quiet = () => undefined;
setLogger({ debug: quiet, info: quiet, warn: quiet, error: quiet });

describe("kafka-ts against a SASL broker", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    t = await startTestBroker({ sasl: { mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"], users: { alice: "alice-secret" } } });
  });
  afterAll(() => t.stop());

  // kafka-ts decodes the salt to a string before deriving the key: that works with Kafka, whose
  // salts are text, and fails with a salt of arbitrary bytes.
  for (const [name, mechanism] of [["SCRAM-SHA-256", saslScramSha256], ["SCRAM-SHA-512", saslScramSha512]] as const) {
    it(`authenticates with ${name} when the client reads the salt as text`, async () => {
      const [host, port] = t.bootstrap.split(":");
      const cluster = createKafkaClient({ clientId: "scram", bootstrapServers: [{ host, port: Number(port) }], sasl: mechanism({ username: "alice", password: "alice-secret" }) }).createCluster();
      await cluster.connect();
      const meta = await cluster.sendRequest(API.METADATA, { topics: null });
      await cluster.disconnect();
      expect(meta.brokers).toHaveLength(1);
    });
  }
});
