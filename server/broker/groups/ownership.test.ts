import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../kafka/errors";
import type { RequestOf } from "../../kafka/protocol";
import { LogManager } from "../log/log-manager";
import { TransactionCoordinator } from "../transactions/coordinator";
import { GroupCoordinator } from "./coordinator";
import { coordinatorPartition } from "./coordinator-partition";
import { OFFSETS_TOPIC } from "./offsets-store";

const PARTITIONS = 4;
const ctx = { apiVersion: 8, clientId: "test", clientHost: "127.0.0.1" };
let dir: string;
let logs: LogManager;
let groups: GroupCoordinator;

/** Two group ids that live in different __consumer_offsets partitions. */
const A = "orders-app";
const B = ["billing", "payments", "analytics", "audit"].find((g) => coordinatorPartition(g, PARTITIONS) !== coordinatorPartition(A, PARTITIONS))!;
const partitionOf = (g: string) => coordinatorPartition(g, PARTITIONS);

function commit(groupId: string, offset: number): RequestOf<"OffsetCommit"> {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  };
}

const committed = (groupId: string) => groups.offsetFetch({ groupId, topics: [{ name: "orders", partitionIndexes: [0] }], groups: [], requireStable: false }, { ...ctx, apiVersion: 7 }).topics?.[0].partitions[0].committedOffset;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "tributary-ownership-"));
  logs = LogManager.open({ dataDir: dir });
  await logs.createTopic(OFFSETS_TOPIC, { partitions: PARTITIONS });
  await logs.createTopic("orders", { partitions: 1 });
  groups = new GroupCoordinator({ logs, initialRebalanceDelayMs: 0 });
  await groups.start({ followLeadership: true });
});

afterEach(async () => {
  groups.close();
  await logs.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("group coordinator ownership of __consumer_offsets partitions", () => {
  it("serves only the groups of the partitions it leads, and each group writes to its own partition", async () => {
    expect(groups.coordinatorError(A)).toBe(ErrorCode.NOT_COORDINATOR);
    await groups.coordinate(new Set([partitionOf(A)]));
    expect(groups.coordinatorError(A)).toBe(ErrorCode.NONE);
    expect(groups.coordinatorError(B)).toBe(ErrorCode.NOT_COORDINATOR);
    await groups.offsetCommit(commit(A, 42), ctx);
    expect(logs.partition(OFFSETS_TOPIC, partitionOf(A)).highWatermark).toBe(1);
    for (let p = 0; p < PARTITIONS; p++) if (p !== partitionOf(A)) expect(logs.partition(OFFSETS_TOPIC, p).highWatermark).toBe(0);
  });

  it("drops a partition's groups when leadership leaves and loads them from the log when it returns", async () => {
    await groups.coordinate(new Set([partitionOf(A), partitionOf(B)]));
    await groups.offsetCommit(commit(A, 7), ctx);
    await groups.offsetCommit(commit(B, 9), ctx);
    // A member waiting in JoinGroup is told to find the new coordinator.
    const waiting = groups.joinGroup({ groupId: A, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000, memberId: "", groupInstanceId: "static-1", protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("m") }], reason: null }, ctx);

    await groups.coordinate(new Set([partitionOf(B)]));
    expect(groups.coordinatorError(A)).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await waiting).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(groups.listGroups({ statesFilter: [] }).groups.map((g) => g.groupId)).toEqual([B]);
    expect(committed(B)).toBe(9);

    await groups.coordinate(new Set([partitionOf(A), partitionOf(B)]));
    expect(committed(A)).toBe(7);
    expect(groups.listGroups({ statesFilter: [] }).groups.map((g) => g.groupId).sort()).toEqual([A, B].sort());
  });

  it("adds the group's own __consumer_offsets partition to a transaction (AddOffsetsToTxn), where its TxnOffsetCommit is written", () => {
    const txns = new TransactionCoordinator({ logs, onOffsetsMarker: () => {} });
    expect(txns.offsetsPartition(A)).toEqual({ topic: OFFSETS_TOPIC, partition: partitionOf(A) });
    expect(groups.offsets.partitionFor(A)).toBe(partitionOf(A));
    expect(partitionOf(A)).not.toBe(partitionOf(B));
  });

  it("answers COORDINATOR_LOAD_IN_PROGRESS while a partition is being read", async () => {
    const loading = groups.coordinate(new Set([partitionOf(A)]));
    expect(groups.coordinatorError(A)).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await loading;
    expect(groups.coordinatorError(A)).toBe(ErrorCode.NONE);
  });
});
