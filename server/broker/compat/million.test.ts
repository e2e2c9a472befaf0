import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, kcat, spawnKcat, startTestBroker } from "./harness";

const TOTAL = 1_000_000;
const PARTITIONS = 4;
const GROUP = "million-readers";

/** A kcat -G member whose output lines ("partition offset value") are parsed as they arrive. */
function groupMember(bootstrap: string, name: string, sink: Consumed) {
  const child = spawnKcat(["-b", bootstrap, "-G", GROUP, "-X", "auto.offset.reset=earliest", "-X", "heartbeat.interval.ms=300", "-X", "session.timeout.ms=6000", "-X", "client.id=" + name, "-q", "-u", "-f", "%p %o %s\\n", "million"]);
  let tail = "";
  let count = 0;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (tail + chunk).split("\n");
    tail = lines.pop()!;
    for (const line of lines) {
      const [p, o, v] = line.split(" ");
      sink.add(name, Number(p), Number(o), Number(v));
      count++;
    }
  });
  const stderr: string[] = [];
  child.stderr.setEncoding("utf8").on("data", (c: string) => stderr.push(c));
  return {
    child,
    get count() {
      return count;
    },
    /** SIGTERM: kcat closes its consumer, which commits its offsets and leaves the group. */
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
    stderr,
  };
}

class Consumed {
  readonly times = new Uint8Array(TOTAL);
  total = 0;
  /** Per member and partition, the last offset seen: a member must read each partition in order. */
  private last = new Map<string, number>();
  /** Per partition, value by offset: the broker must keep the producer's order. */
  readonly byOffset = Array.from({ length: PARTITIONS }, () => new Map<number, number>());
  outOfOrder = 0;

  /** Distinct values seen: what the test waits for, so a duplicate cannot stand in for a missing record. */
  unique = 0;

  add(member: string, p: number, o: number, v: number): void {
    if (this.times[v]++ === 0) this.unique++;
    this.total++;
    const key = `${member}/${p}`;
    if ((this.last.get(key) ?? -1) >= o) this.outOfOrder++;
    this.last.set(key, o);
    this.byOffset[p].set(o, v);
  }
}

async function produce(bootstrap: string, from: number, to: number): Promise<void> {
  const lines: string[] = [];
  for (let i = from; i < to; i++) lines.push(`k${i % 997}:${i}`);
  await kcat(["-b", bootstrap, "-P", "-t", "million", "-K", ":", "-X", "linger.ms=20", "-X", "batch.num.messages=10000"], lines.join("\n") + "\n", 60_000);
}

describe("a million records through a consumer group", () => {
  const running: ChildProcess[] = [];
  afterAll(() => {
    for (const c of running) if (c.exitCode === null) c.kill("SIGKILL");
  });

  it("are consumed exactly once and in order per partition across a member joining and leaving, and the committed offsets survive a restart", async () => {
    const t = await startTestBroker({ numPartitions: PARTITIONS });
    try {
      const seen = new Consumed();
      await produce(t.bootstrap, 0, 400_000);
      const a = groupMember(t.bootstrap, "member-a", seen);
      running.push(a.child);
      await eventually(() => seen.unique >= 400_000, 60_000, "member a to read the first 400,000");

      const admin = t.kafka().admin();
      await admin.connect();
      const b = groupMember(t.bootstrap, "member-b", seen);
      running.push(b.child);
      await eventually(async () => {
        const g = (await admin.describeGroups([GROUP])).groups[0];
        return g.state === "Stable" && g.members.length === 2 ? true : undefined;
      }, 30_000, "both members in a stable group");
      await produce(t.bootstrap, 400_000, 700_000);
      await eventually(() => seen.unique >= 700_000, 60_000, "700,000 records read by two members");
      expect(b.count).toBeGreaterThan(0);

      await b.stop(); // b leaves; a takes over b's partitions from b's committed offsets
      await produce(t.bootstrap, 700_000, TOTAL);
      await eventually(() => seen.unique >= TOTAL, 60_000, "all records read");
      await a.stop();

      const missing = seen.times.findIndex((n) => n === 0);
      const twice = seen.times.findIndex((n) => n > 1);
      expect({ total: seen.total, missing, twice, outOfOrder: seen.outOfOrder }).toEqual({ total: TOTAL, missing: -1, twice: -1, outOfOrder: 0 });
      // Within each partition, values rise with offsets: the producer's order was kept.
      for (const partition of seen.byOffset) {
        const offsets = [...partition.keys()].sort((x, y) => x - y);
        expect(offsets[offsets.length - 1]).toBe(offsets.length - 1);
        for (let i = 1; i < offsets.length; i++) if (partition.get(i)! <= partition.get(i - 1)!) throw new Error(`partition order broken at offset ${i}`);
      }

      const committed = async (client: typeof admin) => (await client.fetchOffsets({ groupId: GROUP, topics: ["million"] }))[0].partitions.map((p) => [p.partition, Number(p.offset)]).sort((x, y) => x[0] - y[0]);
      const ends = seen.byOffset.map((m, p) => [p, m.size]);
      expect(await committed(admin)).toEqual(ends);
      await admin.disconnect();

      await t.broker.close();
      const again = await startTestBroker({ dataDir: t.dataDir, numPartitions: PARTITIONS });
      const admin2 = again.kafka().admin();
      await admin2.connect();
      expect(await committed(admin2)).toEqual(ends);
      await admin2.disconnect();
      await again.stop();
    } catch (err) {
      await t.stop().catch(() => undefined);
      throw err;
    }
  }, 180_000);
});
