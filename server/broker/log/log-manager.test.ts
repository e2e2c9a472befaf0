import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { LogManager, PRODUCER_ID_BLOCK_SIZE } from "./log-manager";
import { ErrorCode } from "../../kafka/errors";
import { tempDirs } from "@/server/testing/temp-dir";

const tempDir = tempDirs("topics");

const codeOf = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
};

describe("topics", () => {
  it("persist name, id, partitions and configs atomically across restarts; delete removes the files", async () => {
    const dataDir = tempDir();
    const logs = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    const created = await logs.createTopic("orders", { partitions: 3, configs: { "retention.ms": "1000", "cleanup.policy": "compact,delete" } });
    await logs.partition("orders", 2).append(encodeRecordBatch([{ key: Buffer.from("k"), value: Buffer.from("v") }]));
    await logs.createPartitions("orders", 5);
    await logs.incrementalAlterConfigs("orders", [{ name: "retention.ms", op: "set", value: "5000" }, { name: "cleanup.policy", op: "subtract", value: "delete" }]);
    await logs.createTopic("doomed", { partitions: 2 });
    const clusterId = logs.clusterId;
    await logs.close();
    expect(readdirSync(join(dataDir, "log")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    JSON.parse(readFileSync(join(dataDir, "log", "topics.json"), "utf8")); // whole, valid JSON

    const again = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    expect(again.clusterId).toBe(clusterId);
    expect(again.topic("orders")).toEqual({ name: "orders", topicId: created.topicId, partitions: 5, configs: { "retention.ms": "5000", "cleanup.policy": "compact" } });
    expect(again.partition("orders", 2).logEndOffset).toBe(1);
    expect(again.partition("orders", 2).logSettings).toMatchObject({ retentionMs: 5000, compact: true, deleteOld: false });
    expect(again.describeConfigs("orders").find((c) => c.name === "retention.ms")).toMatchObject({ value: "5000", isDefault: false, source: "topic" });
    await again.deleteTopic("doomed");
    expect(existsSync(join(dataDir, "log", "doomed-0"))).toBe(false);
    expect(again.topic("doomed")).toBeUndefined();
    await again.close();
    const third = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    expect(third.topics().map((t) => t.name)).toEqual(["orders"]);
    await third.close();
  });

  it("are named as Kafka allows even where the name is a JavaScript object's own (constructor, __proto__, toString)", async () => {
    const dataDir = tempDir();
    const logs = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    const names = ["constructor", "__proto__", "toString", "hasOwnProperty"];
    expect(names.map((n) => logs.topic(n))).toEqual([undefined, undefined, undefined, undefined]);
    for (const name of names) {
      await logs.createTopic(name, { partitions: 1 });
      await logs.partition(name, 0).append(encodeRecordBatch([{ key: null, value: Buffer.from(name) }]));
    }
    expect(logs.topics().map((t) => t.name).sort()).toEqual([...names].sort());
    await logs.close();
    const again = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    expect(names.map((n) => again.topic(n)?.partitions)).toEqual([1, 1, 1, 1]);
    expect(names.map((n) => again.partition(n, 0).logEndOffset)).toEqual([1, 1, 1, 1]);
    await again.deleteTopic("constructor");
    expect(again.topic("constructor")).toBeUndefined();
    await again.close();
  });

  it("validates names, partition counts and configs as Kafka does, changing nothing on error", async () => {
    const logs = LogManager.open({ dataDir: tempDir(), backgroundIntervalMs: 60_000 });
    await logs.createTopic("metrics.cpu", { partitions: 1 });
    expect(await codeOf(() => logs.createTopic("bad name", { partitions: 1 }))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(await codeOf(() => logs.createTopic("x".repeat(250), { partitions: 1 }))).toBe(17);
    expect(await codeOf(() => logs.createTopic("..", { partitions: 1 }))).toBe(17);
    expect(await codeOf(() => logs.createTopic("metrics_cpu", { partitions: 1 }))).toBe(17); // collides with metrics.cpu
    expect(await codeOf(() => logs.createTopic("metrics.cpu", { partitions: 1 }))).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect(await codeOf(() => logs.createTopic("zero", { partitions: 0 }))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(await codeOf(() => logs.createTopic("cfg", { partitions: 1, configs: { "no.such.config": "1" } }))).toBe(ErrorCode.INVALID_CONFIG);
    // Names an object has of its own are no config names either.
    for (const name of ["constructor", "toString", "__proto__"]) expect(await codeOf(() => logs.createTopic("cfg", { partitions: 1, configs: { [name]: "1" } }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(await codeOf(() => logs.createTopic("cfg", { partitions: 1, configs: { "retention.ms": "soon" } }))).toBe(40);
    expect(await codeOf(() => logs.createTopic("cfg", { partitions: 1, configs: { "cleanup.policy": "archive" } }))).toBe(40);
    expect(await codeOf(() => logs.createTopic("cfg", { partitions: 1, configs: { "min.cleanable.dirty.ratio": "1.5" } }))).toBe(40);
    expect(await codeOf(() => logs.createPartitions("metrics.cpu", 1))).toBe(37);
    expect(await codeOf(() => logs.alterConfigs("metrics.cpu", { "segment.bytes": "-5" }))).toBe(40);
    expect(await codeOf(() => logs.alterConfigs("nope", {}))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(logs.topics().map((t) => t.name)).toEqual(["metrics.cpu"]);
    expect(logs.topic("metrics.cpu")!.configs).toEqual({});
    await logs.close();
  });
});

describe("producer ids", () => {
  const reservedEnd = (dataDir: string) => (JSON.parse(readFileSync(join(dataDir, "log", "topics.json"), "utf8")) as { nextProducerId: number }).nextProducerId;

  it("are reserved a block at a time: one topics.json write per 1,000 ids, and a restart never hands one out again", async () => {
    const dataDir = tempDir();
    const logs = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    const first = (await logs.initProducerId()).producerId;
    expect(reservedEnd(dataDir)).toBe(first + PRODUCER_ID_BLOCK_SIZE);
    const seen = new Set([first]);
    for (let i = 1; i < PRODUCER_ID_BLOCK_SIZE; i++) seen.add((await logs.initProducerId()).producerId);
    // The whole first block was handed out without writing again.
    expect(reservedEnd(dataDir)).toBe(first + PRODUCER_ID_BLOCK_SIZE);
    // Asked for at once, past the block: the callers share the next block's write, and no id repeats.
    const burst = await Promise.all(Array.from({ length: 1500 }, () => logs.initProducerId()));
    for (const { producerId, producerEpoch } of burst) {
      expect(producerEpoch).toBe(0);
      seen.add(producerId);
    }
    expect(seen.size).toBe(2500);
    expect(reservedEnd(dataDir)).toBe(first + 3 * PRODUCER_ID_BLOCK_SIZE);
    await logs.close();

    const again = LogManager.open({ dataDir, backgroundIntervalMs: 60_000 });
    const afterRestart = (await again.initProducerId()).producerId;
    expect(afterRestart).toBe(first + 3 * PRODUCER_ID_BLOCK_SIZE);
    expect(seen.has(afterRestart)).toBe(false);
    await again.close();
  });
});
