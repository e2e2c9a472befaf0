import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "@/server/paths";
import { tempDirs } from "@/server/testing/temp-dir";
import { freePort } from "@/server/testing/tributary-process";
import { kcatMetadata, run } from "@/server/testing/kcat";
import { clusterDatabase, eventually } from "./test-support";

const bin = join(projectRoot, "bin", "tributary.mjs");
const SESSION_MS = 2000;

let db: Awaited<ReturnType<typeof clusterDatabase>>;
const tempDir = tempDirs("broker");
const processes = new Map<number, { child: ChildProcess; port: number }>();

async function brokerArgs(nodeId: number): Promise<{ args: string[]; port: number }> {
  const port = await freePort();
  const dataDir = tempDir();
  const args = ["broker", "--node-id", String(nodeId), "--database-url", db.url, "--kafka-port", String(port), "--advertised-listener", `127.0.0.1:${port}`, "--data-dir", dataDir, "--broker-session-timeout-ms", String(SESSION_MS)];
  return { args, port };
}

const env = { ...process.env, TRIBUTARY_LOG_LEVEL: "warn" };

beforeAll(async () => {
  db = await clusterDatabase();
  // Bundle the server once, so the brokers started together do not all build it.
  await run(process.execPath, [bin, "--version"]);
  for (const id of [1, 2, 3]) {
    const { args, port } = await brokerArgs(id);
    processes.set(id, { child: spawn(process.execPath, [bin, ...args], { env, stdio: "ignore" }), port });
  }
}, 60_000);

afterAll(async () => {
  for (const { child } of processes.values()) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  }
  await db.dispose();
});

describe("three `tributary broker --node-id` processes sharing one Postgres", () => {
  it("register, and kcat -L on any of them lists all three brokers and the controller", async () => {
    for (const { port } of processes.values()) {
      const meta = await eventually(async () => {
        const m = await kcatMetadata(port);
        return m && m.brokers.length === 3 ? m : undefined;
      }, 30_000, `three brokers listed by the broker on ${port}`);
      expect(meta.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
      expect(meta.brokers.map((b) => b.name).sort()).toEqual([...processes.values()].map((p) => `127.0.0.1:${p.port}`).sort());
      expect([1, 2, 3]).toContain(meta.controllerid);
    }
  }, 60_000);

  it("elects a new leader from the ISR when the leader is SIGKILLed, and refuses a second process with a live node id", async () => {
    const port1 = processes.get(1)!.port;
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
    const { child } = processes.get(leader)!;
    const killedAt = Date.now();
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const survivor = [...processes.entries()].find(([id]) => id !== leader)![1].port;
    const moved = await eventually(async () => {
      const p = (await kcatMetadata(survivor, "payments"))?.topics[0]?.partitions[0];
      return p && p.leader !== leader && p.leader !== -1 ? p : undefined;
    }, SESSION_MS * 5, "a new leader");
    expect(moved.isrs.map((r) => r.id)).not.toContain(leader);
    expect(Date.now() - killedAt).toBeLessThan(SESSION_MS * 5);
    const after = (await kcatMetadata(survivor))!;
    expect(after.brokers.map((b) => b.id)).not.toContain(leader);

    const liveId = moved.leader;
    const { args } = await brokerArgs(liveId);
    const second = await run(process.execPath, [bin, ...args], { env }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`node id ${liveId} belongs to a live broker at 127\\.0\\.0\\.1:${processes.get(liveId)!.port}`));
  }, 60_000);
});
