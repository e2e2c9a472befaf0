import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../db/client";
import { testDatabases } from "../../../db/testing";
import { ClusterConnections, EMBEDDED_CLUSTER } from "../../admin/clusters";
import { FlowRuntime } from "../../agents/runtime";
import { AclOperation as Op, AclResourceType as Type } from "../../kafka/constants";
import { LagSampler } from "../../metrics/lag";
import { eventually, startTestBroker } from "../compat/harness";
import { grant, userConnection } from "./testing";

/**
 * With --authorizer acl and SASL, and no ACL naming them, the process's own clients keep working:
 * the console's connections and the lag sampler (ClusterConnections) and a flow on the embedded
 * agent log in as the broker's internal principal, a super user. A standalone agent's flow uses
 * the login in its configuration and gets exactly that user's ACLs.
 */
let t: Awaited<ReturnType<typeof startTestBroker>>;
let db: Database;
let disposeDb: () => Promise<void>;
let clusters: ClusterConnections;
let dir: string;
const JAAS = (user: string, password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-internal-"));
  t = await startTestBroker({ sasl: { mechanisms: ["SCRAM-SHA-256"], users: { admin: "admin-pw", agent: "agent-pw" } }, security: { authorizer: "acl", superUsers: ["User:admin"] } });
  const opened = await testDatabases()[0].open();
  db = opened.database;
  disposeDb = opened.dispose;
  clusters = new ClusterConnections(db.db, t.bootstrap, t.broker.internalCredential);
  const admin = await userConnection(t.bootstrap, "admin", "admin-pw");
  await grant(admin, "User:agent", [[Op.WRITE, Type.TOPIC, "agent-out"], [Op.CREATE, Type.TOPIC, "agent-out"]]);
  admin.close();
}, 60_000);

afterAll(async () => {
  await clusters?.close();
  await db?.close();
  await disposeDb?.();
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("internal principals under --authorizer acl", () => {
  it("the console's connection creates and describes topics, and the lag sampler reads groups, with no ACL granted", async () => {
    const client = await clusters.client(EMBEDDED_CLUSTER);
    await client.admin.createTopics([{ name: "console-made", numPartitions: 1 }]);
    await client.admin.commitOffsets("billing", [{ topic: "console-made", partition: 0, offset: 0 }]);
    const meta = await client.admin.metadata(["console-made"]);
    expect(meta.topics.find((x) => x.name === "console-made")?.partitions).toHaveLength(1);
    const lag = new LagSampler(clusters, 60_000, 60);
    await lag.sample(EMBEDDED_CLUSTER, 1000);
    expect(lag.lastError(EMBEDDED_CLUSTER)).toBeNull();
    expect(lag.latest(EMBEDDED_CLUSTER)?.groups.map((g) => g.groupId)).toEqual(["billing"]);
  });

  it("an embedded agent's flow writes as the internal principal; a standalone flow gets its own user's ACLs", async () => {
    const local = { bootstrap: t.bootstrap, credential: t.broker.internalCredential! };
    const login = { securityProtocol: "SASL_PLAINTEXT", saslMechanism: "SCRAM-SHA-256", saslJaasConfig: JAAS("agent", "agent-pw") };
    const rt = new FlowRuntime({
      name: "internal",
      sources: { r1: { type: "seq", channels: ["c1", "c2", "c3"], totalEvents: 5 } },
      channels: { c1: { type: "memory" }, c2: { type: "memory" }, c3: { type: "memory" } },
      sinks: {
        // No login of its own: the embedded broker's internal principal.
        embedded: { type: "topic", channel: "c1", bootstrapServers: t.bootstrap, topic: "embedded-out" },
        allowed: { type: "topic", channel: "c2", bootstrapServers: t.bootstrap, topic: "agent-out", ...login },
        refused: { type: "topic", channel: "c3", bootstrapServers: t.bootstrap, topic: "not-the-agents", ...login },
      },
    }, { agent: "embedded", dataDir: join(dir, "flow"), localKafka: local });
    await rt.start();
    try {
      const drained = (sink: string) => rt.flumeMetrics()[`SINK.${sink}`].EventDrainSuccessCount as number;
      await eventually(() => (drained("embedded") >= 5 && drained("allowed") >= 5) || undefined, 30_000, "both permitted sinks to deliver");
      await eventually(() => rt.components().refused.state === "backing_off" || undefined, 30_000, "the refused sink to back off");
      expect(rt.components().refused.lastError).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized/i);
      expect(drained("refused")).toBe(0);
    } finally {
      await rt.stop();
    }
  }, 60_000);
});
