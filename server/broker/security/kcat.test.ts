import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AclOperation as Op, AclResourceType as Type, PatternType } from "../../kafka/constants";
import { Apis } from "../../kafka/messages";
import { kcat, startTestBroker } from "../compat/harness";
import { call, grant, userConnection, type UserConnection } from "./testing";

/**
 * kcat (librdkafka) as two SASL/SCRAM users: `reader` may read every topic starting with a-
 * (one PREFIXED ACL), `writer` may only write a-1 (one LITERAL ACL).
 */
describe("kcat with two users and ACLs", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  let admin: UserConnection;
  const as = (user: string) => ["-b", t.bootstrap, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", `sasl.username=${user}`, "-X", `sasl.password=${user}-pw`];

  beforeAll(async () => {
    t = await startTestBroker({ autoCreateTopics: false, sasl: { mechanisms: ["SCRAM-SHA-256"], users: { admin: "admin-pw", reader: "reader-pw", writer: "writer-pw" } }, security: { authorizer: "acl", superUsers: ["User:admin"] } });
    admin = await userConnection(t.bootstrap, "admin", "admin-pw");
    const made = await call(admin, Apis.CreateTopics, 4, { topics: ["a-1", "a-2", "b-1"].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000 });
    expect(made.topics.every((x) => x.errorCode === 0)).toBe(true);
    await grant(admin, "User:reader", [[Op.READ, Type.TOPIC, "a-"]], PatternType.PREFIXED);
    await grant(admin, "User:writer", [[Op.WRITE, Type.TOPIC, "a-1"]]);
  });
  afterAll(async () => {
    admin?.close();
    await t?.stop();
  });

  it("lets the writer write a-1 only", async () => {
    await kcat([...as("writer"), "-P", "-t", "a-1", "-p", "0"], "one\ntwo\n");
    await expect(kcat([...as("writer"), "-P", "-t", "a-2", "-p", "0"], "nope\n")).rejects.toThrow(/authorization failed/i);
    await expect(kcat([...as("writer"), "-C", "-t", "a-1", "-p", "0", "-o", "beginning", "-e"])).rejects.toThrow(/authorization failed/i);
  });

  it("lets the reader read every a- topic and nothing else, and write none", async () => {
    await kcat([...as("admin"), "-P", "-t", "a-2", "-p", "0"], "second\n");
    await kcat([...as("admin"), "-P", "-t", "b-1", "-p", "0"], "hidden\n");
    expect((await kcat([...as("reader"), "-C", "-t", "a-1", "-p", "0", "-o", "beginning", "-e", "-q"])).trim().split("\n")).toEqual(["one", "two"]);
    expect((await kcat([...as("reader"), "-C", "-t", "a-2", "-p", "0", "-o", "beginning", "-e", "-q"])).trim()).toBe("second");
    await expect(kcat([...as("reader"), "-C", "-t", "b-1", "-p", "0", "-o", "beginning", "-e", "-q"])).rejects.toThrow(/authorization failed/i);
    await expect(kcat([...as("reader"), "-P", "-t", "a-1", "-p", "0"], "nope\n")).rejects.toThrow(/authorization failed/i);
    // Its metadata lists only the topics it may describe.
    const listed = JSON.parse(await kcat([...as("reader"), "-L", "-J"])) as { topics: { topic: string }[] };
    expect(listed.topics.map((x) => x.topic).sort()).toEqual(["a-1", "a-2"]);
  });
});
