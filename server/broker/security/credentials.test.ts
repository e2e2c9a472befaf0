import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AclOperation as Op, AclResourceType as Type, ScramMechanism } from "../../kafka/constants";
import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { startTestBroker } from "../compat/harness";
import { saltPassword } from "./scram";
import { call, grant, userConnection } from "./testing";

/**
 * SCRAM users managed over the protocol: created with AlterUserScramCredentials they log in at
 * once (SCRAM and PLAIN), are described without secrets, survive a restart with their ACLs,
 * and --sasl-users seeds only the first start.
 */
describe("SCRAM credentials through the admin API", () => {
  const sasl = { mechanisms: ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] as ("SCRAM-SHA-512" | "SCRAM-SHA-256" | "PLAIN")[], users: { admin: "first-admin-pw" } };
  const security = { authorizer: "acl" as const, superUsers: ["User:admin"] };
  let t: Awaited<ReturnType<typeof startTestBroker>> | undefined;
  afterAll(() => t?.stop());

  it("adds, describes, persists and deletes a user", async () => {
    t = await startTestBroker({ sasl, security });
    const admin = await userConnection(t.bootstrap, "admin", "first-admin-pw", "SCRAM-SHA-512");
    const salt = randomBytes(16);
    const added = await call(admin, Apis.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [{ name: "bob", mechanism: ScramMechanism.SCRAM_SHA_512, iterations: 8192, salt, saltedPassword: saltPassword("SCRAM-SHA-512", "bob-pw", salt, 8192) }],
    });
    expect(added.results).toEqual([{ user: "bob", errorCode: 0, errorMessage: null }]);

    // At once, by SCRAM and by PLAIN; a wrong password is refused.
    (await userConnection(t.bootstrap, "bob", "bob-pw", "SCRAM-SHA-512")).close();
    (await userConnection(t.bootstrap, "bob", "bob-pw", "PLAIN")).close();
    await expect(userConnection(t.bootstrap, "bob", "wrong", "SCRAM-SHA-512")).rejects.toThrow(/SASL_AUTHENTICATION_FAILED|Invalid username or password/);
    // bob has SCRAM-SHA-512 only.
    await expect(userConnection(t.bootstrap, "bob", "bob-pw", "SCRAM-SHA-256")).rejects.toThrow(/Invalid username or password/);

    const described = await call(admin, Apis.DescribeUserScramCredentials, 0, { users: [{ name: "bob" }, { name: "nobody" }] });
    expect(described.results).toEqual([
      { user: "bob", errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: ScramMechanism.SCRAM_SHA_512, iterations: 8192 }] },
      { user: "nobody", errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: expect.stringContaining("nobody") as string, credentialInfos: [] },
    ]);
    const refused = await call(admin, Apis.AlterUserScramCredentials, 0, { deletions: [], upsertions: [{ name: "carol", mechanism: ScramMechanism.SCRAM_SHA_256, iterations: 100, salt, saltedPassword: saltPassword("SCRAM-SHA-256", "x", salt, 4096) }] });
    expect(refused.results[0].errorCode).toBe(ErrorCode.UNACCEPTABLE_CREDENTIAL);

    await grant(admin, "User:bob", [[Op.WRITE, Type.TOPIC, "bobs"]]);
    admin.close();
    const stored = readFileSync(join(t.dataDir, "security.json"), "utf8");
    expect(stored).not.toContain("first-admin-pw");
    expect(stored).not.toContain("bob-pw");

    // A restart with another --sasl-users changes nothing: the stored credentials are used.
    await t.broker.close();
    const dataDir = t.dataDir;
    t = await startTestBroker({ dataDir, sasl: { ...sasl, users: { admin: "second-admin-pw", eve: "eve-pw" } }, security });
    await expect(userConnection(t.bootstrap, "admin", "second-admin-pw")).rejects.toThrow(/Invalid username or password/);
    await expect(userConnection(t.bootstrap, "eve", "eve-pw")).rejects.toThrow(/Invalid username or password/);
    const again = await userConnection(t.bootstrap, "admin", "first-admin-pw");
    const bob = await userConnection(t.bootstrap, "bob", "bob-pw", "SCRAM-SHA-512");
    const acls = await call(again, Apis.DescribeAcls, 1, { resourceTypeFilter: Type.ANY, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: "User:bob", hostFilter: null, operation: Op.ANY, permissionType: 1 });
    expect(acls.resources).toEqual([{ resourceType: Type.TOPIC, resourceName: "bobs", patternType: 3, acls: [{ principal: "User:bob", host: "*", operation: Op.WRITE, permissionType: 3 }] }]);
    bob.close();

    const deleted = await call(again, Apis.AlterUserScramCredentials, 0, { deletions: [{ name: "bob", mechanism: ScramMechanism.SCRAM_SHA_512 }], upsertions: [] });
    expect(deleted.results).toEqual([{ user: "bob", errorCode: 0, errorMessage: null }]);
    await expect(userConnection(t.bootstrap, "bob", "bob-pw", "SCRAM-SHA-512")).rejects.toThrow(/Invalid username or password/);
    again.close();
  });

  it("makes the broker's internal user a super user that is never stored", async () => {
    const b = await startTestBroker({ sasl, security });
    try {
      const internal = b.broker.internalCredential!;
      const conn = await userConnection(b.bootstrap, internal.username, internal.password, internal.mechanism);
      const res = await call(conn, Apis.DescribeUserScramCredentials, 0, { users: null });
      expect(res.errorCode).toBe(0);
      expect(res.results.map((r) => r.user)).toEqual(["admin"]);
      conn.close();
      expect(readFileSync(join(b.dataDir, "security.json"), "utf8")).not.toContain(internal.username);
    } finally {
      await b.stop();
    }
  });

  it("answers the ACL APIs with SECURITY_DISABLED without an authorizer, and serves the rest", async () => {
    const open = await startTestBroker({ sasl, security: { authorizer: "none" } });
    try {
      const anyone = await userConnection(open.bootstrap, "admin", "first-admin-pw");
      const res = await call(anyone, Apis.DescribeAcls, 1, { resourceTypeFilter: Type.ANY, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: 1 });
      expect(res.errorCode).toBe(ErrorCode.SECURITY_DISABLED);
      const meta = await call(anyone, Apis.Metadata, 9, { topics: null, includeTopicAuthorizedOperations: true });
      // Without an authorizer everything is allowed, and KIP-430's bit sets say so.
      const everyTopicOperation = [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS].reduce((bits, op) => bits | (1 << op), 0);
      expect(meta.topics.length).toBeGreaterThan(0);
      for (const topic of meta.topics) expect(topic.topicAuthorizedOperations).toBe(everyTopicOperation);
      anyone.close();
    } finally {
      await open.stop();
    }
  });
});
