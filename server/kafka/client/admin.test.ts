import { describe, expect, it } from "vitest";
import { withBrokerAndClient, type TestBroker } from "./testing";
import { eventually, kcat } from "../../broker/compat/harness";
import { ConfigResourceType, ConfigSource, ListOffsetsTimestamp } from "../constants";
import { KafkaClient, KafkaClientError } from "./index";

let t: TestBroker;
let client: KafkaClient;
withBrokerAndClient({ numPartitions: 1 }, "admin-test", (env) => ({ t, client } = env));

describe("admin", () => {
  it("creates, describes, grows and deletes topics; a duplicate says what to do", async () => {
    await client.admin.createTopics([{ name: "adm", numPartitions: 2, configs: { "retention.ms": "3600000" } }]);
    const md = await client.admin.metadata(["adm"]);
    expect(md.topics[0].partitions.map((p) => p.partition)).toEqual([0, 1]);
    const err = await client.admin.createTopics([{ name: "adm", numPartitions: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaClientError);
    expect((err as KafkaClientError).type).toBe("TOPIC_ALREADY_EXISTS");
    expect((err as KafkaClientError).message).toMatch(/creating topic adm: TOPIC_ALREADY_EXISTS .*; pick another topic name/);
    await client.admin.createPartitions([{ topic: "adm", count: 5 }]);
    expect((await client.admin.metadata(["adm"])).topics[0].partitions).toHaveLength(5);
    const all = await client.admin.metadata();
    expect(all.topics.map((x) => x.name)).toContain("adm");
    await client.admin.deleteTopics(["adm"]);
    expect((await client.admin.metadata(["adm"])).topics).toEqual([]);
  });

  it("describes, alters and incrementally alters topic configs", async () => {
    await client.admin.createTopics([{ name: "cfg", numPartitions: 1, configs: { "retention.ms": "3600000" } }]);
    const read = async () => new Map((await client.admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: "cfg" }]))[0].configs.map((c) => [c.name, c]));
    const before = await read();
    expect(before.get("retention.ms")).toMatchObject({ value: "3600000", source: ConfigSource.TOPIC_CONFIG, isDefault: false });
    expect(before.get("cleanup.policy")).toMatchObject({ value: "delete", isDefault: true });
    await client.admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: "cfg", ops: [{ name: "cleanup.policy", op: "SET", value: "compact" }, { name: "retention.ms", op: "DELETE" }] }]);
    const after = await read();
    expect(after.get("cleanup.policy")!.value).toBe("compact");
    expect(after.get("retention.ms")!.isDefault).toBe(true);
    await client.admin.alterConfigs([{ type: ConfigResourceType.TOPIC, name: "cfg", configs: { "retention.ms": "60000" } }]);
    const replaced = await read();
    // AlterConfigs replaces the whole set: cleanup.policy returns to its default.
    expect([replaced.get("retention.ms")!.value, replaced.get("cleanup.policy")!.value]).toEqual(["60000", "delete"]);
    const keys = await client.admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: "cfg", keys: ["retention.ms"] }]);
    expect(keys[0].configs.map((c) => c.name)).toEqual(["retention.ms"]);
    await expect(client.admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: "cfg", ops: [{ name: "no.such.config", op: "SET", value: "1" }] }])).rejects.toThrow(/INVALID_CONFIG.*check the config names and values/);
  });

  it("lists offsets (earliest, latest, by time) in one request per leader and deletes records", async () => {
    await client.admin.createTopics([{ name: "offs", numPartitions: 3 }]);
    const p = client.producer();
    const t0 = Date.now();
    await p.send(Array.from({ length: 30 }, (_, i) => ({ topic: "offs", partition: i % 3, value: Buffer.from(`x${i}`), timestamp: t0 + i * 1000 })));
    await p.close();
    const q = (timestamp: number) => [0, 1, 2].map((partition) => ({ topic: "offs", partition, timestamp }));
    const byPartition = (rows: { partition: number; offset: number }[]) => rows.sort((a, b) => a.partition - b.partition).map((r) => r.offset);
    expect(byPartition(await client.admin.listOffsets(q(ListOffsetsTimestamp.EARLIEST)))).toEqual([0, 0, 0]);
    expect(byPartition(await client.admin.listOffsets(q(ListOffsetsTimestamp.LATEST)))).toEqual([10, 10, 10]);
    // Partition 0 holds t0, t0+3s, t0+6s…, partition 1 t0+1s, t0+4s…, partition 2 t0+2s, t0+5s…
    expect(byPartition(await client.admin.listOffsets(q(t0 + 4000)))).toEqual([2, 1, 1]);
    expect(byPartition(await client.admin.listOffsets(q(t0 + 3_600_000)))).toEqual([-1, -1, -1]);
    const low = await client.admin.deleteRecords([{ topic: "offs", partition: 1, offset: 4 }]);
    expect(low).toEqual([{ topic: "offs", partition: 1, offset: 4 }]);
    expect(byPartition(await client.admin.listOffsets(q(ListOffsetsTimestamp.EARLIEST)))).toEqual([0, 4, 0]);
  });

  it("lists, describes and deletes groups; fetches all offsets, commits outside a generation, deletes offsets", async () => {
    await client.admin.createTopics([{ name: "gt", numPartitions: 2 }]);
    await kcat(["-b", t.bootstrap, "-P", "-t", "gt", "-p", "0"], "a\nb\nc\n");
    await client.admin.commitOffsets("ops", [{ topic: "gt", partition: 0, offset: 2 }, { topic: "gt", partition: 1, offset: 0 }]);
    expect((await client.admin.fetchOffsets("ops")).map((o) => [o.topic, o.partition, o.offset])).toEqual([["gt", 0, 2], ["gt", 1, 0]]);
    expect((await client.admin.fetchOffsets("ops", [{ topic: "gt", partitions: [0] }])).map((o) => o.offset)).toEqual([2]);
    // kcat commits in the group, so the group has a member while it runs and none after.
    await kcat(["-b", t.bootstrap, "-G", "kc", "-X", "auto.offset.reset=earliest", "-e", "gt"]);
    const listed = await client.admin.listGroups();
    expect(listed.map((g) => g.groupId)).toEqual(expect.arrayContaining(["kc", "ops"]));
    const [kc, missing] = await client.admin.describeGroups(["kc", "never-seen"]);
    expect(kc).toMatchObject({ groupId: "kc", state: "Empty", protocolType: "consumer", members: [] });
    expect(missing.state).toBe("Dead");
    expect((await client.admin.fetchOffsets("kc")).map((o) => o.offset)).toEqual([3]);
    await client.admin.deleteOffsets("ops", "gt", [1]);
    expect((await client.admin.fetchOffsets("ops")).map((o) => o.partition)).toEqual([0]);
    // A group with a live member keeps the offsets of topics its subscription names (the coordinator reads the subscription's topics).
    const live = client.consumer({ groupId: "live", topics: ["gt"], autoOffsetReset: "earliest", maxWaitMs: 100 });
    try {
      await eventually(async () => (await live.poll(), live.assignment().length === 2 || undefined), 20_000, "the live member's assignment");
      await expect(client.admin.deleteOffsets("live", "gt", [0])).rejects.toThrow(/GROUP_SUBSCRIBED_TO_TOPIC/);
    } finally {
      await live.close();
    }
    await client.admin.deleteGroups(["kc"]);
    expect((await client.admin.listGroups()).map((g) => g.groupId)).not.toContain("kc");
    await expect(client.admin.deleteGroups(["kc"])).rejects.toThrow(/deleting group kc: GROUP_ID_NOT_FOUND; check the group id/);
  });

  it("describes log dirs: every partition's bytes on disk, as the broker's log reports them", async () => {
    await client.admin.createTopics([{ name: "sized", numPartitions: 2 }]);
    const p = client.producer();
    await p.send(Array.from({ length: 100 }, (_, i) => ({ topic: "sized", partition: 0, value: Buffer.alloc(200, i) })));
    await p.close();
    const [dir] = await client.admin.describeLogDirs([{ topic: "sized", partitions: [0, 1] }]);
    expect(dir).toMatchObject({ nodeId: 0, errorCode: 0, logDir: t.broker.logs.logDir });
    const size = (n: number) => dir.partitions.find((x) => x.partition === n)!.sizeBytes;
    expect(size(0)).toBe(t.broker.logs.partition("sized", 0).sizeBytes);
    expect(size(0)).toBeGreaterThan(100 * 200);
    expect(size(1)).toBe(0);
    const all = await client.admin.describeLogDirs();
    expect(all[0].partitions.filter((x) => x.topic === "sized")).toHaveLength(2);
  });

  it("describes the cluster", async () => {
    const d = await client.admin.describeCluster();
    expect(d.brokers).toEqual([{ nodeId: 0, host: "127.0.0.1", port: Number(t.bootstrap.split(":")[1]), rack: null }]);
    expect(d.clusterId).toMatch(/\S+/);
    expect(d.controllerId).toBe(0);
  });
});
