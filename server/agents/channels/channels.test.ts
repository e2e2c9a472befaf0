import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChannelFullError, type Channel, type FlumeEvent, TransactionCapacityError } from "../model";
import { FileChannel, fileChannelSchema } from "./file";
import { MemoryChannel, memoryChannelSchema } from "./memory";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "tributary-channel-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const ev = (i: number): FlumeEvent => ({ headers: { id: String(i) }, body: Buffer.from(`event-${i}`) });
const ids = (es: FlumeEvent[]) => es.map((e) => Number(e.headers.id));

async function put(ch: Channel, from: number, n: number): Promise<void> {
  const tx = ch.begin();
  tx.put(Array.from({ length: n }, (_, i) => ev(from + i)));
  await tx.commit();
}

function makeChannels(): Array<[string, () => Promise<Channel>]> {
  return [
    ["memory", () => Promise.resolve(new MemoryChannel("m", memoryChannelSchema.parse({ type: "memory", capacity: 10, transactionCapacity: 5 })))],
    ["file", async () => new FileChannel("f", fileChannelSchema.parse({ type: "file", dataDir: await tempDir(), capacity: 10, transactionCapacity: 5, minimumRequiredSpace: 0 }))],
  ];
}

describe("channel transactions", () => {
  for (const [kind, make] of makeChannels()) {
    it(`${kind}: puts are visible only after commit; rolled-back takes come back first, in order`, async () => {
      const ch = await make();
      await ch.start();
      const tx = ch.begin();
      tx.put([ev(1), ev(2), ev(3)]);
      const peek = ch.begin();
      expect(peek.take(5)).toEqual([]);
      peek.rollback();
      await tx.commit();
      const t1 = ch.begin();
      expect(ids(t1.take(2))).toEqual([1, 2]);
      t1.rollback();
      const t2 = ch.begin();
      expect(ids(t2.take(5))).toEqual([1, 2, 3]);
      await t2.commit();
      expect(ch.size()).toBe(0);
      expect(ch.stats()).toMatchObject({ EventPutSuccessCount: 3, EventTakeSuccessCount: 3, ChannelCapacity: 10 });
      await ch.stop();
    });

    it(`${kind}: capacity and transactionCapacity are enforced`, async () => {
      const ch = await make();
      await ch.start();
      const tx = ch.begin();
      expect(() => tx.put(Array.from({ length: 6 }, (_, i) => ev(i)))).toThrow(TransactionCapacityError);
      tx.rollback();
      await put(ch, 0, 5);
      await put(ch, 5, 5);
      // Taken but uncommitted events still occupy the channel.
      const taker = ch.begin();
      taker.take(5);
      const full = ch.begin();
      full.put([ev(10)]);
      await expect(full.commit()).rejects.toThrow(ChannelFullError);
      full.rollback();
      await taker.commit();
      expect(ch.stats().ChannelFillPercentage).toBe(50);
      await put(ch, 10, 1);
      expect(ch.size()).toBe(6);
      await ch.stop();
    });
  }
});

describe("file channel", () => {
  it("replays committed puts minus committed takes after a restart, and checkpoints the log", async () => {
    const dataDir = await tempDir();
    const cfg = fileChannelSchema.parse({ type: "file", dataDir, minimumRequiredSpace: 0, checkpointBytes: 64 * 1024 });
    const a = new FileChannel("f", cfg);
    await a.start();
    for (let i = 0; i < 200; i++) await put(a, i * 10, 10);
    for (let i = 0; i < 150; i++) {
      const tx = a.begin();
      expect(tx.take(10)).toHaveLength(10);
      await tx.commit();
    }
    const open = a.begin();
    open.take(10);
    await a.stop();
    // 2000 events of ~40 bytes were written; the checkpoint kept the log near the live size.
    expect((await stat(join(dataDir, "log"))).size).toBeLessThan(64 * 1024 + 20_000);
    const b = new FileChannel("f", cfg);
    await b.start();
    expect(b.size()).toBe(500);
    const tx = b.begin();
    const got = tx.take(5000);
    expect(ids(got)).toEqual(Array.from({ length: 500 }, (_, i) => 1500 + i));
    await tx.commit();
    await b.stop();
  });

  it("concurrent commits share fsyncs (group commit)", async () => {
    const ch = new FileChannel("f", fileChannelSchema.parse({ type: "file", dataDir: await tempDir(), minimumRequiredSpace: 0 }));
    await ch.start();
    await Promise.all(Array.from({ length: 200 }, (_, i) => put(ch, i * 10, 10)));
    expect(ch.size()).toBe(2000);
    expect(ch.fsyncCount).toBeLessThan(200);
    await ch.stop();
  });

  it("refuses puts below minimumRequiredSpace", async () => {
    const ch = new FileChannel("f", fileChannelSchema.parse({ type: "file", dataDir: await tempDir(), minimumRequiredSpace: Number.MAX_SAFE_INTEGER }));
    await ch.start();
    const tx = ch.begin();
    tx.put([ev(1)]);
    await expect(tx.commit()).rejects.toThrow(/minimumRequiredSpace/);
    await ch.stop();
  });

  it("loses no committed event and resurrects no committed take across repeated SIGKILLs", async () => {
    const dataDir = await tempDir();
    const putOk = new Set<number>();
    const takeOk = new Set<number>();
    const takeTried = new Set<number>();
    let next = 0;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "testing", "file-channel-kill-child.ts"), dataDir, String(next)], { stdio: ["ignore", "pipe", "inherit"] });
      let buf = "";
      let lines = 0;
      await new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", () => resolve());
        child.stdout.on("data", (d: Buffer) => {
          buf += d.toString();
          const parts = buf.split("\n");
          buf = parts.pop()!;
          for (const l of parts) {
            if (l.startsWith("P ")) putOk.add(Number(l.slice(2)));
            else if (l.startsWith("T ")) takeOk.add(Number(l.slice(2)));
            else if (l.startsWith("t ")) takeTried.add(Number(l.slice(2)));
            lines++;
          }
          if (lines > 3000 + Math.random() * 3000 && !child.killed) child.kill("SIGKILL");
        });
      });
      next += 10_000_000;
    }
    expect(putOk.size).toBeGreaterThan(5000);
    expect(takeOk.size).toBeGreaterThan(0);
    const ch = new FileChannel("f", fileChannelSchema.parse({ type: "file", dataDir, minimumRequiredSpace: 0 }));
    await ch.start();
    const tx = ch.begin();
    const left = new Set<number>();
    for (let got = tx.take(10_000); got.length > 0; got = tx.take(10_000)) for (const id of ids(got)) left.add(id);
    tx.rollback();
    await ch.stop();
    for (const id of putOk) if (!takeTried.has(id)) expect(left.has(id), `committed event ${id} lost`).toBe(true);
    for (const id of takeOk) expect(left.has(id), `committed take ${id} came back`).toBe(false);
  }, 120_000);
});
