import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../broker";
import { ClusterMember } from "../../cluster/member";
import { ClusterStore } from "../../cluster/store";
import { clusterDatabase, eventually } from "../../cluster/test-support";
import { AclOperation as Op, AclPermissionType, AclResourceType as Type, PatternType, ScramMechanism } from "../../kafka/constants";
import { KafkaClient } from "../../kafka/client";
import { Acks } from "../../kafka/constants";
import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { PgSecurityStore } from "./pg-store";
import { saltPassword } from "./scram";
import { call, grant, userConnection, type UserConnection } from "./testing";

/**
 * Two brokers in one process sharing a database: what one broker's admin API changes (SCRAM
 * users, ACLs, quotas) applies on the other within a second, and survives restarting both with
 * fresh data dirs, since it lives in the cluster's Postgres.
 */
let db: Awaited<ReturnType<typeof clusterDatabase>>;
const dirs: string[] = [];
const running = new Set<Broker>();
const sasl = { mechanisms: ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] as ("SCRAM-SHA-512" | "SCRAM-SHA-256" | "PLAIN")[] };
const security = { authorizer: "acl" as const, superUsers: ["User:admin"] };

async function startBroker(nodeId: number, seedUsers: Record<string, string>): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), `tributary-security-${nodeId}-`));
  dirs.push(dataDir);
  const cluster = new ClusterMember(ClusterStore.open(db.url, 1), { nodeId, sessionTimeoutMs: 3000, uncleanLeaderElection: false });
  const broker = await Broker.start({ dataDir, host: "127.0.0.1", port: 0, nodeId, cluster, groupInitialRebalanceDelayMs: 0, sasl: { ...sasl, users: seedUsers }, security, openSecurityStore: () => PgSecurityStore.open(db.url) });
  running.add(broker);
  return broker;
}

async function stop(b: Broker): Promise<void> {
  running.delete(b);
  await b.close();
}

/** Logs in, retrying until `withinMs`; the time it took. */
async function loginTime(bootstrap: string, user: string, password: string, withinMs: number): Promise<number> {
  const started = Date.now();
  const conn = await eventually(() => userConnection(bootstrap, user, password, "SCRAM-SHA-512").catch(() => undefined), withinMs, `${user} logging in on ${bootstrap}`);
  conn.close();
  return Date.now() - started;
}

beforeAll(async () => {
  db = await clusterDatabase();
}, 60_000);

afterAll(async () => {
  for (const b of running) await b.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await db?.dispose();
});

describe("ACLs, SCRAM credentials and quotas shared by a cluster's brokers", () => {
  it("applies a change made on one broker on the other within a second, and keeps it over restarts", async () => {
    // Started together, both try to seed --sasl-users: one stores it, and it is the same for both.
    let [one, two] = await Promise.all([startBroker(1, { admin: "admin-pw" }), startBroker(2, { admin: "admin-pw" })]);
    const conns: UserConnection[] = [];
    const admin1 = await userConnection(one.bootstrap, "admin", "admin-pw", "SCRAM-SHA-512");
    const admin2 = await userConnection(two.bootstrap, "admin", "admin-pw", "SCRAM-SHA-512");
    conns.push(admin1, admin2);
    try {
      const salt = randomBytes(16);
      const added = await call(admin1, Apis.AlterUserScramCredentials, 0, {
        deletions: [],
        upsertions: [{ name: "bob", mechanism: ScramMechanism.SCRAM_SHA_512, iterations: 4096, salt, saltedPassword: saltPassword("SCRAM-SHA-512", "bob-pw", salt, 4096) }],
      });
      expect(added.results[0].errorCode).toBe(ErrorCode.NONE);
      expect(await loginTime(two.bootstrap, "bob", "bob-pw", 5000)).toBeLessThan(1000);

      // An ACL granted through broker 2 lets bob create a topic through broker 1.
      const bob1 = await userConnection(one.bootstrap, "bob", "bob-pw", "SCRAM-SHA-512");
      conns.push(bob1);
      const create = () => call(bob1, Apis.CreateTopics, 5, { topics: [{ name: "bobs", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true });
      expect((await create()).topics[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      await grant(admin2, "User:bob", [[Op.CREATE, Type.TOPIC, "bobs"]]);
      await eventually(async () => ((await create()).topics[0].errorCode === ErrorCode.NONE ? true : undefined), 1000, "bob's CREATE ACL on broker 1");

      // A quota set through broker 1 is described by broker 2.
      const entity = [{ entityType: "user", entityName: "bob" }];
      await call(admin1, Apis.AlterClientQuotas, 1, { entries: [{ entity, ops: [{ key: "producer_byte_rate", value: 1_048_576, remove: false }] }], validateOnly: false });
      const quota = await eventually(async () => {
        const r = await call(admin2, Apis.DescribeClientQuotas, 1, { components: [{ entityType: "user", matchType: 0, match: "bob" }], strict: false });
        return r.entries?.length ? r.entries : undefined;
      }, 1000, "bob's quota on broker 2");
      expect(quota).toEqual([{ entity, values: [{ key: "producer_byte_rate", value: 1_048_576 }] }]);
    } finally {
      for (const c of conns) c.close();
    }

    // Both restart with new data dirs and another --sasl-users: what the cluster stored stands.
    const oldInternal = one.internalCredential!;
    await stop(one);
    await stop(two);
    [one, two] = await Promise.all([startBroker(1, { admin: "other-pw" }), startBroker(2, { admin: "other-pw" })]);
    await expect(userConnection(two.bootstrap, "admin", "other-pw", "SCRAM-SHA-512")).rejects.toThrow(/Invalid username or password/);
    await loginTime(two.bootstrap, "bob", "bob-pw", 5000);
    const admin = await userConnection(one.bootstrap, "admin", "admin-pw", "SCRAM-SHA-512");
    try {
      const acls = await call(admin, Apis.DescribeAcls, 1, { resourceTypeFilter: Type.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: "User:bob", hostFilter: null, operation: Op.ANY, permissionType: AclPermissionType.ANY });
      expect(acls.resources).toEqual([{ resourceType: Type.TOPIC, resourceName: "bobs", patternType: PatternType.LITERAL, acls: [{ principal: "User:bob", host: "*", operation: Op.CREATE, permissionType: AclPermissionType.ALLOW }] }]);

      // Broker 1's internal user (its console, lag sampler, agents) is a super user on broker 2; the one of its last start is gone.
      const internal = one.internalCredential!;
      const asInternal = await userConnection(two.bootstrap, internal.username, internal.password, internal.mechanism);
      const described = await call(asInternal, Apis.DescribeAcls, 1, { resourceTypeFilter: Type.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: AclPermissionType.ANY });
      expect(described.errorCode).toBe(ErrorCode.NONE);
      asInternal.close();
      await expect(userConnection(two.bootstrap, oldInternal.username, oldInternal.password, oldInternal.mechanism)).rejects.toThrow(/Invalid username or password/);
      const users = await call(admin, Apis.DescribeUserScramCredentials, 0, { users: null });
      expect(users.results.map((r) => r.user)).toEqual(["admin", "bob"]);

      // A deleted user is refused on the other broker as soon as it is gone.
      await call(admin, Apis.AlterUserScramCredentials, 0, { deletions: [{ name: "bob", mechanism: ScramMechanism.SCRAM_SHA_512 }], upsertions: [] });
      await eventually(() => userConnection(two.bootstrap, "bob", "bob-pw", "SCRAM-SHA-512").then((c) => c.close(), () => true), 1000, "bob refused on broker 2");
    } finally {
      admin.close();
    }
  }, 60_000);

  it("replicates between brokers whose listeners take only SASL: a follower logs in to its leader as its broker's internal user", async () => {
    for (const b of [...running]) await stop(b);
    const brokers = await Promise.all([startBroker(1, { admin: "admin-pw" }), startBroker(2, { admin: "admin-pw" })]);
    const client = new KafkaClient({ bootstrap: [brokers[0].bootstrap], sasl: { mechanism: "SCRAM-SHA-512", username: "admin", password: "admin-pw" } });
    try {
      await eventually(() => (brokers.every((b) => b.cluster!.metadata().brokers.length === 2) ? true : undefined), 10_000, "both brokers live");
      await client.admin.createTopics([{ name: "audited", numPartitions: 1, replicationFactor: 2 }]);
      await eventually(() => (brokers.every((b) => b.cluster!.metadata().topics.get("audited")?.partitions[0].isr.length === 2) ? true : undefined), 10_000, "audited on both brokers");
      const producer = client.producer({ acks: Acks.ALL });
      const [sent] = await producer.send([{ topic: "audited", partition: 0, value: Buffer.from("replicated over SASL") }]);
      expect(sent.offset).toBe(0);
      // acks=all answered: the follower fetched it, which it can only do logged in.
      for (const b of brokers) expect(b.logs.partition("audited", 0).logEndOffset).toBe(1);
      await producer.close();
    } finally {
      await client.close();
    }
  }, 60_000);
});
