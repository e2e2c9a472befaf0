import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { testDatabases } from "../../db/testing";
import { startTestBroker } from "../broker/compat/harness";
import { ClusterConnections } from "../admin/clusters";
import { checkFlow, checkFlowTopics, clusterTopicCatalog } from "./flows";

const flowTo = (bootstrapServers: string, topic: string, sink: Record<string, unknown> = {}) => ({
  name: "f",
  sources: { r1: { type: "seq", channels: ["c1"] } },
  channels: { c1: { type: "memory" } },
  sinks: { k1: { type: "org.apache.flume.sink.kafka.KafkaSink", channel: "c1", bootstrapServers, topic, ...sink } },
});

describe("flow validation against the topic sinks' clusters", () => {
  let strict: Awaited<ReturnType<typeof startTestBroker>>;
  let lenient: Awaited<ReturnType<typeof startTestBroker>>;
  let db: { database: Database; dispose(): Promise<void> };
  let clusters: ClusterConnections;

  beforeAll(async () => {
    strict = await startTestBroker({ autoCreateTopics: false });
    lenient = await startTestBroker();
    const admin = strict.kafka("admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "exists" }] });
    await admin.disconnect();
    db = await testDatabases()[0].open();
    // The strict broker is this console's embedded one; the lenient one is a cluster added on the Clusters page.
    clusters = new ClusterConnections(db.database.db, strict.bootstrap);
    const { clusters: table } = await import("../../db/schema");
    await db.database.db.insert(table).values({ name: "lenient", bootstrapServers: lenient.bootstrap });
  }, 60_000);
  afterAll(async () => {
    await clusters.close();
    await db.dispose();
    await strict.stop();
    await lenient.stop();
  });

  it("warns, without making the flow invalid, when the topic is missing and the cluster will not create it", async () => {
    const flow = flowTo(strict.bootstrap, "missing");
    expect(checkFlow(flow)).toEqual([]);
    expect(await checkFlowTopics(flow, clusterTopicCatalog(clusters))).toEqual([
      { path: ["sinks", "k1", "topic"], warning: true, message: 'topic "missing" does not exist on cluster embedded, which does not create topics (auto.create.topics.enable=false): create the topic first, or the sink backs off until it exists' },
    ]);
    expect(await checkFlowTopics(flowTo(strict.bootstrap, "exists"), clusterTopicCatalog(clusters))).toEqual([]);
  });

  it("says nothing when the cluster creates missing topics, unless the sink turned that off", async () => {
    const catalog = clusterTopicCatalog(clusters);
    expect(await checkFlowTopics(flowTo(lenient.bootstrap, "missing"), catalog)).toEqual([]);
    expect(await checkFlowTopics(flowTo(`${lenient.bootstrap}, other:9092`, "missing", { allowAutoTopicCreation: false }), catalog)).toEqual([
      { path: ["sinks", "k1", "topic"], warning: true, message: 'topic "missing" does not exist on cluster lenient and allowAutoTopicCreation is off: create the topic first, or the sink backs off until it exists' },
    ]);
    // Asking did not create it.
    const admin = lenient.kafka("admin").admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain("missing");
    await admin.disconnect();
  });

  it("leaves a sink unchecked when its cluster is not one the console manages", async () => {
    expect(await checkFlowTopics(flowTo("elsewhere:9092", "missing", { allowAutoTopicCreation: false }), clusterTopicCatalog(clusters))).toEqual([]);
  });
});
