import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker } from "../compat/harness";
import { eventually } from "@/server/testing/eventually";

/** kafkajs as SASL/SCRAM users: its admin manages ACLs, and its producer and consumer are refused or served by them. */
describe("kafkajs with ACLs", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  const kafka = (user: string) => new Kafka({ brokers: [t.bootstrap], clientId: `kafkajs-${user}`, logLevel: logLevel.NOTHING, sasl: { mechanism: "scram-sha-256", username: user, password: `${user}-pw` }, retry: { retries: 1, initialRetryTime: 100 } });

  beforeAll(async () => {
    t = await startTestBroker({ sasl: { mechanisms: ["SCRAM-SHA-256"], users: { admin: "admin-pw", app: "app-pw" } }, security: { authorizer: "acl", superUsers: ["User:admin"] } });
  });
  afterAll(() => t?.stop());

  it("creates, describes and deletes ACLs with the admin client, and they apply at once", async () => {
    const admin = kafka("admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 1 }] });
    const producer = kafka("app").producer();
    await producer.connect();
    await expect(producer.send({ topic: "orders", messages: [{ value: "refused" }] })).rejects.toThrow(/authoriz/i);

    const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes) => ({ resourceType, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:app", host: "*", operation, permissionType: AclPermissionTypes.ALLOW });
    await admin.createAcls({ acl: [allow(AclResourceTypes.TOPIC, "orders", AclOperationTypes.WRITE), allow(AclResourceTypes.TOPIC, "orders", AclOperationTypes.READ), allow(AclResourceTypes.GROUP, "billing", AclOperationTypes.READ)] });
    const described = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(described.resources.map((r) => `${r.resourceType}:${r.resourceName}:${r.acls.length}`).sort()).toEqual([`${AclResourceTypes.TOPIC}:orders:2`, `${AclResourceTypes.GROUP}:billing:1`].sort());

    await producer.send({ topic: "orders", messages: [{ value: "served" }] });
    await producer.disconnect();

    const consumer = kafka("app").consumer({ groupId: "billing" });
    await consumer.connect();
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: ({ message }) => Promise.resolve(resolve(message.value!.toString())) }));
    expect(got).toBe("served");
    await consumer.disconnect();

    const deleted = await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, principal: "User:app", operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] });
    expect(deleted.filterResponses[0].matchingAcls).toHaveLength(3);
    const refusedAgain = kafka("app").producer();
    await refusedAgain.connect();
    await expect(refusedAgain.send({ topic: "orders", messages: [{ value: "refused" }] })).rejects.toThrow(/authoriz/i);
    await refusedAgain.disconnect();
    await admin.disconnect();
  });

  it("refuses the ACL admin calls of a user without ALTER on the cluster", async () => {
    const admin = kafka("app").admin();
    await admin.connect();
    await expect(admin.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: "x", resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:app", host: "*", operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW }] })).rejects.toThrow(/Cluster authorization failed|CLUSTER_AUTHORIZATION_FAILED|not authorized/i);
    await admin.disconnect();
  });

  it("refuses a transactional producer without WRITE on its transactional id, and commits with it", async () => {
    const admin = kafka("admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "payments", numPartitions: 1 }] });
    const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes) => ({ resourceType, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:app", host: "*", operation, permissionType: AclPermissionTypes.ALLOW });
    await admin.createAcls({ acl: [allow(AclResourceTypes.TOPIC, "payments", AclOperationTypes.WRITE)] });

    const transactional = () => kafka("app").producer({ transactionalId: "payments-tx", idempotent: true, maxInFlightRequests: 1 });
    // Without DESCRIBE the coordinator lookup is refused, which kafkajs reports as no coordinator found.
    const unseen = transactional();
    await unseen.connect();
    await expect(unseen.transaction()).rejects.toThrow(/coordinator/i);
    await unseen.disconnect();

    await admin.createAcls({ acl: [allow(AclResourceTypes.TRANSACTIONAL_ID, "payments-tx", AclOperationTypes.DESCRIBE)] });
    const refused = transactional();
    await refused.connect();
    await expect(refused.transaction()).rejects.toThrow(/Transactional Id authorization failed/);
    await refused.disconnect();

    await admin.createAcls({ acl: [allow(AclResourceTypes.TRANSACTIONAL_ID, "payments-tx", AclOperationTypes.WRITE)] });
    const served = transactional();
    await served.connect();
    const txn = await served.transaction();
    await txn.send({ topic: "payments", messages: [{ value: "paid" }] });
    await txn.commit();
    await served.disconnect();
    // The record and its COMMIT marker, which EndTxn does not wait for (as in Kafka, markers follow the answer).
    const offsets = await eventually(async () => {
      const o = await admin.fetchTopicOffsets("payments");
      return o[0]?.high === "2" ? o : undefined;
    }, 5_000, "the COMMIT marker after the record");
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, high: "2" })]);
    await admin.disconnect();
  });
});
