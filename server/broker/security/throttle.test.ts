import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Acks, QuotaMatchType } from "../../kafka/constants";
import { Apis } from "../../kafka/messages";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { startTestBroker } from "../compat/harness";
import { call, userConnection, type UserConnection } from "./testing";

/**
 * Client quotas over the protocol: set with AlterClientQuotas, a producer over its byte rate gets
 * its answer with throttleTimeMs and its connection is not read for that long, while another
 * user on the same broker is answered at once. (The sustained rate is measured by
 * `npm run bench:quotas`.)
 */
describe("client quotas", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  let admin: UserConnection;
  let limited: UserConnection;

  beforeAll(async () => {
    t = await startTestBroker({ sasl: { mechanisms: ["SCRAM-SHA-256"], users: { admin: "admin-pw", limited: "limited-pw" } } });
    admin = await userConnection(t.bootstrap, "admin", "admin-pw");
    limited = await userConnection(t.bootstrap, "limited", "limited-pw");
  });
  afterAll(async () => {
    admin?.close();
    limited?.close();
    await t?.stop();
  });

  it("stores quotas and describes them by entity", async () => {
    const set = await call(admin, Apis.AlterClientQuotas, 1, {
      entries: [
        { entity: [{ entityType: "user", entityName: "limited" }], ops: [{ key: "producer_byte_rate", value: 50_000, remove: false }] },
        { entity: [{ entityType: "client-id", entityName: null }], ops: [{ key: "consumer_byte_rate", value: 1e9, remove: false }] },
        { entity: [{ entityType: "user", entityName: "x" }], ops: [{ key: "bogus_rate", value: 1, remove: false }] },
      ],
      validateOnly: false,
    });
    expect(set.entries.map((e) => e.errorCode)).toEqual([0, 0, 42]);
    const users = await call(admin, Apis.DescribeClientQuotas, 1, { components: [{ entityType: "user", matchType: QuotaMatchType.SPECIFIED, match: null }], strict: false });
    expect(users.entries).toEqual([{ entity: [{ entityType: "user", entityName: "limited" }], values: [{ key: "producer_byte_rate", value: 50_000 }] }]);
    const defaults = await call(admin, Apis.DescribeClientQuotas, 1, { components: [{ entityType: "client-id", matchType: QuotaMatchType.DEFAULT, match: null }], strict: true });
    expect(defaults.entries).toEqual([{ entity: [{ entityType: "client-id", entityName: null }], values: [{ key: "consumer_byte_rate", value: 1e9 }] }]);
  });

  it("throttles a producer over its byte rate and mutes its connection, not another user's", async () => {
    // 600 kB at once is 60 kB/s over Kafka's ten-second minimum window: 20% over 50 kB/s, so 2 s of throttle.
    const records = encodeRecordBatch([{ key: null, value: Buffer.alloc(600_000, 1) }]);
    const produce = (conn: UserConnection) => call(conn, Apis.Produce, 7, { transactionalId: null, acks: Acks.LEADER, timeoutMs: 5000, topicData: [{ name: "quota", partitionData: [{ index: 0, records }] }] });
    await produce(admin);
    const over = await produce(limited);
    expect(over.responses[0].partitionResponses[0].errorCode).toBe(0);
    expect(over.throttleTimeMs).toBeGreaterThan(1500);
    expect(over.throttleTimeMs).toBeLessThan(2500);
    const started = Date.now();
    const [next, other] = await Promise.all([call(limited, Apis.Metadata, 9, { topics: [] }).then(() => Date.now() - started), call(admin, Apis.Metadata, 9, { topics: [] }).then(() => Date.now() - started)]);
    expect(next).toBeGreaterThan(over.throttleTimeMs - 200);
    expect(other).toBeLessThan(500);
    expect((await produce(admin)).throttleTimeMs).toBe(0);
  });
});
