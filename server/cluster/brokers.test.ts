import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterDatabase, eventually } from "./test-support";
import { bin, kcatMetadata, ProcessCluster, run } from "./test-processes";

const SESSION_MS = 2000;

let db: Awaited<ReturnType<typeof clusterDatabase>>;
let cluster: ProcessCluster;
const env = { ...process.env, TRIBUTARY_LOG_LEVEL: "warn" };

beforeAll(async () => {
  db = await clusterDatabase();
  await ProcessCluster.build();
  cluster = new ProcessCluster({ databaseUrl: db.url, sessionTimeoutMs: SESSION_MS });
  for (const id of [1, 2, 3]) await cluster.start(id);
}, 60_000);

afterAll(async () => {
  await cluster?.stopAll();
  await db?.dispose();
});

describe("three `tributary broker --node-id` processes sharing one Postgres", () => {
  it("register, and kcat -L on any of them lists all three brokers and the controller", async () => {
    for (const { port } of cluster.brokers.values()) {
      const meta = await eventually(async () => {
        const m = await kcatMetadata(port);
        return m && m.brokers.length === 3 ? m : undefined;
      }, 30_000, `three brokers listed by the broker on ${port}`);
      expect(meta.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
      expect(meta.brokers.map((b) => b.name).sort()).toEqual([...cluster.brokers.values()].map((p) => `127.0.0.1:${p.port}`).sort());
      expect([1, 2, 3]).toContain(meta.controllerid);
    }
  }, 60_000);

  it("elects a new leader from the ISR when the leader is SIGKILLed, and refuses a second process with a live node id", async () => {
    const port1 = cluster.brokers.get(1)!.port;
    // Auto-created with the cluster default: three replicas.
    const produced = run("kcat", ["-b", `127.0.0.1:${port1}`, "-P", "-t", "payments", "-m", "10"]);
    produced.child.stdin!.end("first\n");
    await produced;
    const created = await eventually(async () => {
      const m = await kcatMetadata(port1, "payments");
      const p = m?.topics[0]?.partitions[0];
      return p && p.leader >= 1 ? p : undefined;
    }, 20_000, "payments to have a leader");
    expect(created.replicas.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    const leader = created.leader;
    const killedAt = Date.now();
    await cluster.signal(leader, "SIGKILL");
    const survivor = [...cluster.brokers.values()].find((b) => b.nodeId !== leader)!.port;
    const moved = await eventually(async () => {
      const p = (await kcatMetadata(survivor, "payments"))?.topics[0]?.partitions[0];
      return p && p.leader !== leader && p.leader !== -1 ? p : undefined;
    }, SESSION_MS * 5, "a new leader");
    expect(moved.isrs.map((r) => r.id)).not.toContain(leader);
    expect(Date.now() - killedAt).toBeLessThan(SESSION_MS * 5);
    const after = (await kcatMetadata(survivor))!;
    expect(after.brokers.map((b) => b.id)).not.toContain(leader);

    const liveId = moved.leader;
    const { args } = await cluster.argsFor(liveId, { newDataDir: true });
    const second = await run(process.execPath, [bin, ...args], { env }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`node id ${liveId} belongs to a live broker at 127\\.0\\.0\\.1:${cluster.brokers.get(liveId)!.port}`));
  }, 60_000);
});
