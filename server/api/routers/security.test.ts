import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AclOperation as Op, AclPermissionType, AclResourceType as Type, PatternType } from "../../kafka/constants";
import { listAudit } from "../../control/audit";
import { createUser } from "../../control/users";
import { userConnection } from "../../broker/security/testing";
import { ClusterConnections } from "../../admin/clusters";
import { appRouter } from "../root";
import { startRouterEnv } from "../testing";
import { createCallerFactory } from "../trpc";

/**
 * The console's security router over the protocol against a broker with --authorizer acl (the
 * console's connection a super user): ACLs, the access check, SCRAM users and quotas, admin-only
 * and audited without the password; a broker without an authorizer is answered with why.
 */
let env: Awaited<ReturnType<typeof startRouterEnv>>;
const callerOf = createCallerFactory(appRouter);
let admin: () => ReturnType<typeof callerOf>;

const binding = { resourceType: Type.TOPIC, resourceName: "orders-", patternType: PatternType.PREFIXED, principal: "User:bob", host: "*", operation: Op.READ, permission: AclPermissionType.ALLOW };

beforeAll(async () => {
  env = await startRouterEnv({ sasl: { mechanisms: ["SCRAM-SHA-512", "PLAIN"], users: {} }, security: { authorizer: "acl" } });
  // As `tributary start` wires it: the console logs in as the broker's internal principal.
  await env.clusters.close();
  env.services.clusters = new ClusterConnections(env.database.db, env.broker.bootstrap, env.broker.broker.internalCredential);
  const user = await createUser(env.database.db, { username: "ada", password: "admin-password", role: "admin" });
  let n = 0;
  admin = () => callerOf({ services: env.services, db: env.database.db, user, sessionToken: undefined, requestId: `sec-${++n}`, clientAddress: "127.0.0.1", https: false, userAgent: "vitest", setCookie: () => undefined, audit: {} });
}, 60_000);
afterAll(async () => {
  await env?.services.clusters?.close();
  await env?.stop();
});

describe("security router", () => {
  it("lists, adds, checks and deletes ACLs; viewers read but may not change", async () => {
    await admin().security.createAcl({ cluster: "embedded", binding });
    await admin().security.createAcl({ cluster: "embedded", binding: { ...binding, resourceName: "orders-secret", patternType: PatternType.LITERAL, permission: AclPermissionType.DENY } });
    const overview = await env.viewer().security.overview({ cluster: "embedded" });
    expect(overview.acls).toMatchObject({ ok: true, items: expect.arrayContaining([binding]) as unknown });

    const open = await env.viewer().security.check({ cluster: "embedded", principal: "User:bob", topic: "orders-eu" });
    expect(open.operations.filter((o) => o.allowed).map((o) => o.operation).sort()).toEqual([Op.READ, Op.DESCRIBE].sort());
    const denied = await env.viewer().security.check({ cluster: "embedded", principal: "User:bob", topic: "orders-secret" });
    // DENY READ wins over the prefixed ALLOW; DESCRIBE, implied by the ALLOW READ, stays (Kafka's rule).
    expect(denied.operations.filter((o) => o.allowed).map((o) => o.operation)).toEqual([Op.DESCRIBE]);
    expect(denied.acls).toHaveLength(2);

    await expect(env.viewer().security.createAcl({ cluster: "embedded", binding })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(env.operator().security.deleteAcl({ cluster: "embedded", binding })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await admin().security.deleteAcl({ cluster: "embedded", binding })).toEqual({ deleted: 1 });
    const audit = await listAudit(env.database.db, { action: "security.deleteAcl", limit: 50 });
    expect(audit.items.find((r) => r.outcome === "ok")?.details).toMatchObject({ before: [binding] });
  });

  it("adds a SCRAM user who logs in at once, changes its password and deletes it; the password is never audited", async () => {
    await admin().security.setPassword({ cluster: "embedded", user: "carol", mechanism: "SCRAM-SHA-512", password: "carol-first-pw" });
    (await userConnection(env.broker.bootstrap, "carol", "carol-first-pw", "SCRAM-SHA-512")).close();
    await admin().security.setPassword({ cluster: "embedded", user: "carol", mechanism: "SCRAM-SHA-512", password: "carol-second-pw" });
    await expect(userConnection(env.broker.bootstrap, "carol", "carol-first-pw", "SCRAM-SHA-512")).rejects.toThrow(/Invalid username or password/);
    (await userConnection(env.broker.bootstrap, "carol", "carol-second-pw", "SCRAM-SHA-512")).close();
    const users = await env.viewer().security.overview({ cluster: "embedded" });
    expect(users.users).toEqual({ ok: true, items: [{ user: "carol", mechanisms: [{ mechanism: "SCRAM-SHA-512", iterations: 8192 }] }] });
    await admin().security.deleteUser({ cluster: "embedded", user: "carol", mechanisms: ["SCRAM-SHA-512"] });
    await expect(userConnection(env.broker.bootstrap, "carol", "carol-second-pw", "SCRAM-SHA-512")).rejects.toThrow(/Invalid username or password/);
    const trail = JSON.stringify((await listAudit(env.database.db, { action: "security.setPassword", limit: 50 })).items);
    expect(trail).toContain("carol");
    expect(trail).not.toContain("carol-first-pw");
    expect(trail).not.toContain("carol-second-pw");
    await expect(admin().security.setPassword({ cluster: "embedded", user: "x", mechanism: "SCRAM-SHA-256", password: "short" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("sets and removes quotas, audited with before and after", async () => {
    const entity = [{ entityType: "user" as const, entityName: "bob" }];
    await admin().security.setQuota({ cluster: "embedded", entity, values: { producer_byte_rate: 1_048_576 } });
    await admin().security.setQuota({ cluster: "embedded", entity, values: { producer_byte_rate: null, consumer_byte_rate: 2_097_152 } });
    const { quotas } = await env.viewer().security.overview({ cluster: "embedded" });
    expect(quotas).toEqual({ ok: true, items: [{ entity, values: { consumer_byte_rate: 2_097_152 } }] });
    const last = (await listAudit(env.database.db, { action: "security.setQuota", limit: 50 })).items[0];
    expect(last.details).toMatchObject({ before: { producer_byte_rate: 1_048_576 }, after: { producer_byte_rate: null, consumer_byte_rate: 2_097_152 } });
    await expect(admin().security.setQuota({ cluster: "embedded", entity: [], values: { producer_byte_rate: 1 } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("security router on a cluster without an authorizer", () => {
  it("says the cluster does not serve ACLs, and still lists users and quotas", async () => {
    const open = await startRouterEnv();
    try {
      const overview = await open.viewer().security.overview({ cluster: "embedded" });
      expect(overview.acls).toEqual({ ok: false, reason: expect.stringMatching(/does not serve ACLs.*SECURITY_DISABLED/) as unknown });
      expect(overview.users).toEqual({ ok: true, items: [] });
      expect(overview.quotas).toEqual({ ok: true, items: [] });
    } finally {
      await open.stop();
    }
  });
});
