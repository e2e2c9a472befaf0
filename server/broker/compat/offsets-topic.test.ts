import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Apis } from "../../kafka/messages";
import { decodeRecords, encodeRecordBatch, type Record as KafkaRecord } from "../../kafka/records/batch";
import { LogManager } from "../log/log-manager";
import { startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";

/**
 * __consumer_offsets in Kafka's record formats, checked against the byte layout Kafka documents
 * (OffsetCommitKey v1, OffsetCommitValue v3, GroupMetadataKey v2, GroupMetadataValue v3) with a
 * decoder written here from that layout, not with the broker's own.
 */
class Bytes {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  int16 = () => this.take(2).readInt16BE(0);
  int32 = () => this.take(4).readInt32BE(0);
  int64 = () => Number(this.take(8).readBigInt64BE(0));
  string = (): string | null => {
    const n = this.int16();
    return n < 0 ? null : this.take(n).toString("utf8");
  };
  bytes = () => this.take(this.int32());
  private take(n: number): Buffer {
    const out = this.b.subarray(this.at, this.at + n);
    if (out.length < n) throw new Error(`needed ${n} bytes at ${this.at} of ${this.b.length}`);
    this.at += n;
    return out;
  }
  get done() {
    return this.at === this.b.length;
  }
}

const dirs: string[] = [];
const clients: TestConnection[] = [];
const brokers: Awaited<ReturnType<typeof startTestBroker>>[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.stop(true);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(dataDir: string) {
  const t = await startTestBroker({ dataDir });
  brokers.push(t);
  const c = await TestConnection.open(t.bootstrap);
  clients.push(c);
  return { t, c };
}

async function committed(c: TestConnection, group: string, topic: string, partitions: number[]): Promise<number[]> {
  const res = await c.request(Apis.OffsetFetch, 8, { groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: partitions }] }], requireStable: false });
  return res.groups[0].topics[0].partitions.map((p) => p.committedOffset);
}

async function offsetsTopic(c: TestConnection): Promise<KafkaRecord[]> {
  const res = await c.request(Apis.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "__consumer_offsets", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 8 << 20 }] }], forgottenTopicsData: [], rackId: "" });
  return decodeRecords(res.responses[0].partitions[0].records ?? Buffer.alloc(0));
}

describe("__consumer_offsets", () => {
  it("keeps the offsets of a data dir written in the old JSON format, and migrates them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tributary-offsets-"));
    dirs.push(dataDir);
    // The fixture: what brokers before Kafka's format wrote, record for record.
    const logs = LogManager.open({ dataDir });
    await logs.createTopic("__consumer_offsets", { partitions: 1, configs: { "cleanup.policy": "compact" } });
    await logs.createTopic("orders", { partitions: 2 });
    const json = (g: string, p: number, offset: number | null) => ({
      key: Buffer.from(JSON.stringify({ g, t: "orders", p })),
      value: offset === null ? null : Buffer.from(JSON.stringify({ offset, leaderEpoch: -1, metadata: null, commitTimestamp: Date.now() })),
    });
    await logs.partition("__consumer_offsets", 0).append(encodeRecordBatch([json("billing", 0, 5), json("billing", 1, 7), json("old", 0, 1), json("old", 0, null), json("billing", 1, 8)]));
    await logs.close();

    let { t, c } = await open(dataDir);
    expect(await committed(c, "billing", "orders", [0, 1])).toEqual([5, 8]);
    expect(await committed(c, "old", "orders", [0])).toEqual([-1]);
    // Every JSON key now ends in a tombstone, so compaction can remove them.
    const last = new Map<string, Buffer | null>();
    for (const r of await offsetsTopic(c)) last.set(r.key!.toString("latin1"), r.value);
    const jsonKeys = [...last.keys()].filter((k) => k.startsWith("{"));
    expect(jsonKeys).toHaveLength(3);
    expect(jsonKeys.map((k) => last.get(k))).toEqual([null, null, null]);

    // After the migration: a restart still has the offsets, and a deleted group stays deleted.
    await t.stop(true);
    brokers.pop();
    ({ t, c } = await open(dataDir));
    expect(await committed(c, "billing", "orders", [0, 1])).toEqual([5, 8]);
    expect((await c.request(Apis.DeleteGroups, 2, { groupsNames: ["billing"] })).results[0].errorCode).toBe(0);
    await t.stop(true);
    brokers.pop();
    ({ c } = await open(dataDir));
    expect(await committed(c, "billing", "orders", [0, 1])).toEqual([-1, -1]);
  });

  it("writes offset commits and group metadata in Kafka's binary key and value schemas", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tributary-offsets-"));
    dirs.push(dataDir);
    const { c } = await open(dataDir);
    await c.request(Apis.Metadata, 9, { topics: [{ name: "orders" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    const joinGroup = (memberId: string) => c.request(Apis.JoinGroup, 5, { groupId: "billing", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, memberId, groupInstanceId: "inst-1", protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("subscription") }] });
    const joined = await joinGroup("");
    expect(joined.errorCode).toBe(0);
    const synced = await c.request(Apis.SyncGroup, 3, { groupId: "billing", generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: "inst-1", assignments: [{ memberId: joined.memberId, assignment: Buffer.from("assignment") }] });
    expect(synced.errorCode).toBe(0);
    const commit = await c.request(Apis.OffsetCommit, 8, { groupId: "billing", generationIdOrMemberEpoch: joined.generationId, memberId: joined.memberId, groupInstanceId: "inst-1", topics: [{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: "meta" }] }] });
    expect(commit.topics[0].partitions[0].errorCode).toBe(0);

    const records = await offsetsTopic(c);
    const offsetRecord = records.find((r) => r.key!.readInt16BE(0) === 1)!;
    const key = new Bytes(offsetRecord.key!);
    expect([key.int16(), key.string(), key.string(), key.int32(), key.done]).toEqual([1, "billing", "orders", 0, true]);
    const value = new Bytes(offsetRecord.value!);
    const [version, offset, leaderEpoch, metadata, commitTimestamp] = [value.int16(), value.int64(), value.int32(), value.string(), value.int64()];
    expect({ version, offset, leaderEpoch, metadata, done: value.done }).toEqual({ version: 3, offset: 42, leaderEpoch: 3, metadata: "meta", done: true });
    expect(Math.abs(commitTimestamp - Date.now())).toBeLessThan(60_000);

    const groupRecord = records.find((r) => r.key!.readInt16BE(0) === 2)!;
    const gk = new Bytes(groupRecord.key!);
    expect([gk.int16(), gk.string(), gk.done]).toEqual([2, "billing", true]);
    const gv = new Bytes(groupRecord.value!);
    const head = { version: gv.int16(), protocolType: gv.string(), generation: gv.int32(), protocol: gv.string(), leader: gv.string(), currentStateTimestamp: gv.int64(), members: gv.int32() };
    expect(head).toMatchObject({ version: 3, protocolType: "consumer", generation: joined.generationId, protocol: "range", leader: joined.memberId, members: 1 });
    const member = { memberId: gv.string(), groupInstanceId: gv.string(), clientId: gv.string(), clientHost: gv.string(), rebalanceTimeout: gv.int32(), sessionTimeout: gv.int32(), subscription: gv.bytes().toString(), assignment: gv.bytes().toString() };
    expect(member).toEqual({ memberId: joined.memberId, groupInstanceId: "inst-1", clientId: "test", clientHost: "127.0.0.1", rebalanceTimeout: 20_000, sessionTimeout: 10_000, subscription: "subscription", assignment: "assignment" });
    expect(gv.done).toBe(true);
  });
});
