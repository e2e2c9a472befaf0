import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMoves, previewDrain } from "../admin/reassign";
import { KafkaClient } from "../kafka/client";
import { BrokerCluster } from "@/server/testing/broker-cluster";
import { kcatMetadata, run } from "@/server/testing/kcat";
import { tempDirs } from "@/server/testing/temp-dir";
import { clusterDatabase, eventually } from "./test-support";

const SESSION_MS = 3000;
let db: Awaited<ReturnType<typeof clusterDatabase>>;
let cluster: BrokerCluster;
let client: KafkaClient;
const tempDir = tempDirs("reassign-processes");
const live = new Set([1, 2, 3]);

beforeAll(async () => {
  db = await clusterDatabase();
  cluster = await BrokerCluster.start({ nodeIds: [...live], databaseUrl: db.url, sessionTimeoutMs: SESSION_MS, dataDir: tempDir });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.close();
  await db?.dispose();
}, 60_000);

const bootstrap = () => [...live].map((id) => `127.0.0.1:${cluster.port(id)}`).join(",");

/** kcat's idempotent acks=all producer; resolves once it exited cleanly, so every line is acknowledged. */
async function produce(topic: string, lines: string[], partition?: number): Promise<void> {
  const child = spawn("kcat", ["-P", "-b", bootstrap(), "-t", topic, ...(partition === undefined ? [] : ["-p", String(partition)]), "-X", "enable.idempotence=true", "-X", "acks=all", "-X", "message.timeout.ms=30000"], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.once("exit", resolve);
    child.stdin.end(lines.join("\n") + "\n");
  });
  expect(code, stderr).toBe(0);
}

/** Everything kcat reads of a topic, as `partition value` lines in log order per partition. */
async function consume(topic: string): Promise<string[]> {
  const { stdout } = await run("kcat", ["-C", "-b", bootstrap(), "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p %s\\n"]);
  return stdout.split("\n").filter(Boolean);
}

async function partitions(topic: string) {
  const asked = [...live][0];
  return (await kcatMetadata(cluster.port(asked), topic))?.topics[0]?.partitions ?? [];
}

const recordBytes = (nodeId: number, topic: string, partition: number) => {
  const dir = join(cluster.dataDir(nodeId), "log", `${topic}-${partition}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
};

const reassignmentsDone = () => eventually(async () => ((await client.admin.listPartitionReassignments()).length === 0 ? true : undefined), 30_000, "the reassignments complete");

describe("reassignment and drains across `tributary broker` processes", () => {
  it("moves a partition onto a fourth broker, which serves every record after the old replica's broker stops; the old replica keeps no records", async () => {
    client = new KafkaClient({ bootstrap: bootstrap().split(",") });
    // Just started, the broker asked may still be joining: it answers "retry" until it has read the live brokers.
    await eventually(() => client.admin.createTopics([{ name: "scale", numPartitions: 1, replicationFactor: 2 }]).then(() => true, (err: unknown) => (/already exists/i.test(String(err)) ? true : undefined)), 10_000, "scale created");
    const before = await eventually(async () => {
      const [p] = await partitions("scale");
      return p && p.leader > 0 && p.isrs.length === 2 ? p : undefined;
    }, 10_000, "scale in sync on two brokers");
    const sent = Array.from({ length: 500 }, (_, i) => `s-${String(i).padStart(4, "0")}`);
    await produce("scale", sent, 0);

    await cluster.add(4);
    live.add(4);
    await cluster.waitForBrokers(4);
    // The leader leaves (unless it is broker 1, drained next): broker 4 takes its place, preferred.
    const replicas = before.replicas.map((r) => r.id);
    const old = before.leader !== 1 ? before.leader : replicas.find((id) => id !== 1)!;
    const kept = replicas.find((id) => id !== old)!;
    await client.admin.alterPartitionReassignments([{ topic: "scale", partition: 0, replicas: [4, kept] }]);
    await reassignmentsDone();
    // A leader that stays keeps the lead; the preferred election hands it to broker 4.
    if ((await partitions("scale"))[0]?.leader !== 4) await client.admin.electLeaders("preferred", [{ topic: "scale", partition: 0 }]);
    await eventually(async () => ((await partitions("scale"))[0]?.leader === 4 ? true : undefined), 10_000, "broker 4 leads scale-0");
    await eventually(() => (recordBytes(old, "scale", 0) === 0 ? true : undefined), 10_000, "the old replica's records deleted");

    await cluster.terminate(old);
    live.delete(old);
    // Its session lapses: the cluster names three live brokers again.
    await cluster.waitForBrokers(3);
    expect(await consume("scale")).toEqual(sent.map((v) => `0 ${v}`));
  }, 60_000);

  it("drains broker 1 while producing, then stops it: every partition stays available and every acknowledged record is read back once", async () => {
    const drained = 1;
    expect(live.has(drained)).toBe(true);
    await client.admin.createTopics([{ name: "spread", numPartitions: 4, replicationFactor: 2 }]);
    await eventually(async () => {
      const ps = await partitions("spread");
      return ps.length === 4 && ps.every((p) => p.leader > 0 && p.isrs.length === 2) ? true : undefined;
    }, 10_000, "spread in sync");
    const batch = (tag: string) => Array.from({ length: 300 }, (_, i) => `${tag}-${i}`);
    const sent = [...batch("a")];
    await produce("spread", batch("a"));

    const plan = await previewDrain(client, drained);
    expect(plan.moves.length).toBeGreaterThan(0);
    expect(plan.moves.every((m) => m.from.includes(drained) && !m.to.includes(drained) && m.to.length === m.from.length)).toBe(true);
    await applyMoves(client, plan.moves);
    sent.push(...batch("b"));
    await produce("spread", batch("b"));
    await reassignmentsDone();
    const after = await eventually(async () => {
      const ps = await partitions("spread");
      return ps.every((p) => p.leader !== drained && !p.replicas.some((r) => r.id === drained)) ? ps : undefined;
    }, 10_000, `nothing left on broker ${drained}`);
    expect(after).toHaveLength(4);

    await cluster.terminate(drained);
    live.delete(drained);
    await cluster.waitForBrokers(2);
    const ps = await partitions("spread");
    expect(ps.every((p) => p.leader > 0 && p.isrs.length === 2)).toBe(true);
    sent.push(...batch("c"));
    await produce("spread", batch("c"));
    const read = await consume("spread");
    expect(read.map((l) => l.slice(l.indexOf(" ") + 1)).sort()).toEqual([...sent].sort());
  }, 60_000);
});
