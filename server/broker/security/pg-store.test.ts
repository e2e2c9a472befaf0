import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterDatabase, eventually } from "../../cluster/test-support";
import { AclOperation, AclPermissionType, AclResourceType, PatternType } from "../../kafka/constants";
import type { Acl } from "./acl";
import { PgSecurityStore } from "./pg-store";
import type { SecurityState } from "./store";

const acl = (resourceName: string): Acl => ({ resourceType: AclResourceType.TOPIC, resourceName, patternType: PatternType.LITERAL, principal: "User:bob", host: "*", operation: AclOperation.READ, permission: AclPermissionType.ALLOW });
const names = (s: SecurityState) => s.acls.map((a) => a.resourceName).sort();

let db: Awaited<ReturnType<typeof clusterDatabase>>;
const stores: PgSecurityStore[] = [];
async function open(pollMs?: number): Promise<PgSecurityStore> {
  const s = await PgSecurityStore.open(db.url, { pollMs });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  db = await clusterDatabase();
}, 60_000);

afterAll(async () => {
  for (const s of stores) await s.close();
  await db?.dispose();
});

describe("security metadata in the cluster's Postgres", () => {
  it("stores ACLs, credentials and quotas, and another store applies them within a second", async () => {
    const a = await open();
    const b = await open();
    const seen: SecurityState[] = [];
    b.onChange((s) => seen.push(s));
    const credential = { salt: "c2FsdA==", iterations: 4096, storedKey: "c3RvcmVk", serverKey: "c2VydmVy" };
    const started = Date.now();
    await a.update((s) => ({ ...s, acls: [acl("orders")], scram: { bob: { "SCRAM-SHA-256": credential } }, quotas: [{ entity: { user: null }, values: { producer_byte_rate: 1024 } }] }));
    await eventually(() => (b.state.acls.length ? true : undefined), 5000, "the ACL on the other store");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(b.state).toEqual({ acls: [acl("orders")], scram: { bob: { "SCRAM-SHA-256": credential } }, quotas: [{ entity: { user: null }, values: { producer_byte_rate: 1024 } }], seeded: false, internal: {} });
    expect(seen.at(-1)).toEqual(b.state);

    // Changes and removals, and a reopened store reads what is stored.
    await b.update((s) => ({ ...s, acls: [acl("payments")], scram: {}, quotas: [{ entity: { clientId: "app" }, values: { producer_byte_rate: 2048 } }], seeded: true }));
    await eventually(() => (names(a.state)[0] === "payments" ? true : undefined), 5000, "the change on the first store");
    const reopened = await open();
    expect(reopened.state).toEqual({ acls: [acl("payments")], scram: {}, quotas: [{ entity: { clientId: "app" }, values: { producer_byte_rate: 2048 } }], seeded: true, internal: {} });
  });

  it("never loses a change when brokers change the metadata at the same time", async () => {
    const a = await open();
    const b = await open();
    const add = (store: PgSecurityStore, name: string) => store.update((s) => ({ ...s, acls: [...s.acls, acl(name)] }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => [add(a, `a-${i}`), add(b, `b-${i}`)]).flat());
    const expected = [...Array.from({ length: 10 }, (_, i) => `a-${i}`), ...Array.from({ length: 10 }, (_, i) => `b-${i}`)];
    for (const s of [a, b]) await eventually(() => (names(s.state).filter((n) => /^[ab]-/.test(n)).length === 20 ? true : undefined), 5000, "all twenty ACLs");
    expect(names(a.state).filter((n) => /^[ab]-/.test(n))).toEqual(expected.sort());
  });

  it("applies a change whose notification was lost, by polling the version", async () => {
    const watcher = await open(300);
    // A write without NOTIFY, as a notification dropped during a reconnect would look.
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql.begin(async (tx) => {
        await tx`insert into cluster_acls (resource_type, resource_name, pattern_type, principal, host, operation, permission) values (${AclResourceType.TOPIC}, 'silent', ${PatternType.LITERAL}, 'User:bob', '*', ${AclOperation.READ}, ${AclPermissionType.ALLOW})`;
        await tx`update cluster_security set version = version + 1`;
      });
    } finally {
      await sql.end();
    }
    await eventually(() => (names(watcher.state).includes("silent") ? true : undefined), 3000, "the unannounced ACL");
  });

  it("answers a retriable error when the database is gone, and keeps the last state", async () => {
    const s = await PgSecurityStore.open(db.url);
    const before = s.state;
    await s.close();
    await expect(s.update((x) => x)).rejects.toMatchObject({ code: 7, message: expect.stringMatching(/unreachable.*retry/) as string });
    expect(s.state).toBe(before);
  });
});
