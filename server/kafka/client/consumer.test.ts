import { describe, expect, it } from "vitest";
import { withBrokerAndClient, type TestBroker } from "./testing";
import { eventually, kcat, spawnKcat } from "../../broker/compat/harness";
import { KafkaClient, type Consumer, type ConsumedBatch } from "./index";

let t: TestBroker;
let client: KafkaClient;
withBrokerAndClient({ numPartitions: 1 }, "consumer-test", (env) => ({ t, client } = env));

async function produceLines(topic: string, partition: number, lines: string[], codec?: string): Promise<void> {
  await kcat(["-b", t.bootstrap, "-P", "-t", topic, "-p", String(partition), ...(codec ? ["-z", codec] : []), "-K", ":"], lines.join("\n") + "\n");
}

/** Polls until `want` records arrived (or the time is up), processing each batch as the topic source does. */
async function consume(c: Consumer, want: number, onBatch: (b: ConsumedBatch) => void | Promise<void> = () => undefined, timeoutMs = 30_000): Promise<number> {
  let n = 0;
  const until = Date.now() + timeoutMs;
  while (n < want && Date.now() < until) {
    for (const b of await c.poll()) {
      n += b.records.length;
      await onBatch(b);
    }
  }
  return n;
}

describe("consumer", () => {
  it("reads what kcat wrote with every codec: keys, values, offsets, and skips nothing", async () => {
    for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
      const topic = `kcat-${codec}`;
      const lines = Array.from({ length: 250 }, (_, i) => `key${i}:${codec}-value-${i}-${"q".repeat(i % 50)}`);
      await produceLines(topic, 0, lines, codec === "none" ? undefined : codec);
      const fetched = await client.fetch([{ topic, partition: 0, offset: 0 }]);
      const records = fetched[0].records;
      // One fetch may stop at the partition byte limit; read on from nextOffset.
      let next = fetched[0].nextOffset;
      while (records.length < 250) {
        const more = await client.fetch([{ topic, partition: 0, offset: next }]);
        records.push(...more[0].records);
        next = more[0].nextOffset;
      }
      expect(records.map((r) => `${r.key!.toString()}:${r.value!.toString()}`)).toEqual(lines);
      expect(records.map((r) => r.offset)).toEqual(lines.map((_, i) => i));
      expect(records.every((r) => r.timestamp > Date.now() - 120_000)).toBe(true);
    }
  });

  it("fetches from any offset inside a compressed batch and from the end (nothing yet)", async () => {
    const fromMiddle = await client.fetch([{ topic: "kcat-zstd", partition: 0, offset: 137 }]);
    expect(fromMiddle[0].records[0].offset).toBe(137);
    const atEnd = await client.fetch([{ topic: "kcat-zstd", partition: 0, offset: 250 }]);
    expect(atEnd[0].records).toEqual([]);
    expect(atEnd[0].highWatermark).toBe(250);
    const beyond = await client.fetch([{ topic: "kcat-zstd", partition: 0, offset: 9999 }]);
    expect(beyond[0].errorCode).toBe(1); // OFFSET_OUT_OF_RANGE: the caller decides where to go
  });

  it("consumes in a group, commits only when told, and a new member resumes at the commit", async () => {
    await client.admin.createTopics([{ name: "grp", numPartitions: 3 }]);
    const p = client.producer();
    await p.send(Array.from({ length: 300 }, (_, i) => ({ topic: "grp", partition: i % 3, value: Buffer.from(`m${i}`) })));
    const c1 = client.consumer({ groupId: "g1", topics: ["grp"], autoOffsetReset: "earliest", maxWaitMs: 100 });
    const got = new Set<string>();
    const n = await consume(c1, 300, async (b) => {
      for (const r of b.records) got.add(r.value!.toString());
      // Commit only the first 50 of each partition.
      if (b.records[0].offset === 0) await c1.commit([{ topic: b.topic, partition: b.partition, offset: 50 }]);
    });
    expect(n).toBe(300);
    expect(got.size).toBe(300);
    expect((await client.admin.fetchOffsets("g1")).map((o) => o.offset)).toEqual([50, 50, 50]);
    await c1.close();
    const c2 = client.consumer({ groupId: "g1", topics: ["grp"], autoOffsetReset: "earliest", maxWaitMs: 100 });
    let first = Infinity;
    expect(await consume(c2, 150, (b) => void (first = Math.min(first, b.records[0].offset)))).toBe(150);
    expect(first).toBe(50);
    await c2.close();
    await p.close();
  });

  it("autoOffsetReset latest starts a new group at the end; none refuses to guess", async () => {
    await produceLines("kcat-none", 0, ["k:old"]);
    const late = client.consumer({ groupId: "late-g", topics: ["kcat-none"], autoOffsetReset: "latest", maxWaitMs: 100 });
    await eventually(async () => (await late.poll(), late.assignment().length === 1 || undefined), 20_000, "assigned");
    await produceLines("kcat-none", 0, ["k:new"]);
    const got: string[] = [];
    await consume(late, 1, (b) => void got.push(...b.records.map((r) => r.value!.toString())));
    expect(got).toEqual(["new"]);
    await late.close();
    const strict = client.consumer({ groupId: "strict-g", topics: ["kcat-none"], autoOffsetReset: "none", maxWaitMs: 100 });
    await expect(eventually(async () => (await strict.poll(), undefined), 5_000)).rejects.toThrow(/OFFSET_OUT_OF_RANGE \(no committed offset and autoOffsetReset is none\)/);
    await strict.close();
  });

  it("shares partitions between two members with cooperative-sticky, moving only what must move", async () => {
    await client.admin.createTopics([{ name: "coop", numPartitions: 6 }]);
    const revoked: string[] = [];
    const a = client.consumer({ groupId: "coop-g", topics: ["coop"], heartbeatIntervalMs: 200, maxWaitMs: 100, onRevoked: (ps) => void revoked.push(...ps.map((x) => `${x.partition}`)) });
    await eventually(async () => (await a.poll(), a.assignment().length === 6 || undefined), 20_000, "first member owns all six");
    const before = new Set(a.assignment().map((x) => x.partition));
    const b = client.consumer({ groupId: "coop-g", topics: ["coop"], heartbeatIntervalMs: 200, maxWaitMs: 100 });
    await eventually(async () => {
      await Promise.all([a.poll(), b.poll()]);
      return (a.assignment().length === 3 && b.assignment().length === 3) || undefined;
    }, 30_000, "three partitions each");
    const mine = a.assignment().map((x) => x.partition);
    const theirs = b.assignment().map((x) => x.partition);
    expect(new Set([...mine, ...theirs]).size).toBe(6);
    // Sticky: the first member kept three of its own and revoked only the three that moved.
    expect(mine.every((p) => before.has(p))).toBe(true);
    expect(revoked.sort()).toEqual(theirs.map(String).sort());
    const described = (await client.admin.describeGroups(["coop-g"]))[0];
    expect(described.protocol).toBe("cooperative-sticky");
    expect(described.members.flatMap((m) => m.assignment.flatMap((x) => x.partitions)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    await b.close();
    await eventually(async () => (await a.poll(), a.assignment().length === 6 || undefined), 30_000, "the partitions come back");
    await a.close();
  });

  it("members joining while a rebalance is under way all settle, long before a session timeout", async () => {
    await client.admin.createTopics([{ name: "churn", numPartitions: 6 }]);
    for (const assignors of [["range" as const], ["cooperative-sticky" as const]]) {
      const groupId = `churn-${assignors[0]}`;
      const members = Array.from({ length: 3 }, () => client.consumer({ groupId, topics: ["churn"], assignors, heartbeatIntervalMs: 100, maxWaitMs: 50 }));
      const started = Date.now();
      // Each newcomer arrives while the group is still rebalancing for the one before.
      const polling = members.map(async (m, i) => {
        await new Promise((r) => setTimeout(r, i * 30));
        while (Date.now() - started < 25_000 && members.some((x) => x.assignment().length !== 2)) await m.poll();
      });
      await Promise.all(polling);
      expect(members.map((m) => m.assignment().length)).toEqual([2, 2, 2]);
      expect(Date.now() - started).toBeLessThan(25_000);
      await Promise.all(members.map((m) => m.close()));
    }
  });

  it("closes at once while its JoinGroup is held by a rebalance that waits for another member", async () => {
    await client.admin.createTopics([{ name: "held", numPartitions: 2 }]);
    const opts = { groupId: "held-g", topics: ["held"], heartbeatIntervalMs: 5_000, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, maxWaitMs: 50 };
    const slow = client.consumer(opts);
    await eventually(async () => (await slow.poll(), slow.assignment().length === 2 || undefined), 20_000, "first member owns both");
    // The newcomer's JoinGroup waits until the first member rejoins, which its slow heartbeat delays.
    const newcomer = client.consumer(opts);
    const polling = newcomer.poll().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await newcomer.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(String(await polling)).toMatch(/closed/);
    await slow.close();
  });

  it("picks up partitions added to a subscribed topic (the leader watches the counts)", async () => {
    const watching = new KafkaClient({ bootstrap: [t.bootstrap], metadataMaxAgeMs: 300 });
    await watching.admin.createTopics([{ name: "growing", numPartitions: 1 }]);
    const c = watching.consumer({ groupId: "growing-g", topics: ["growing"], heartbeatIntervalMs: 100, maxWaitMs: 50 });
    try {
      await eventually(async () => (await c.poll(), c.assignment().length === 1 || undefined), 20_000, "owns the one partition");
      await watching.admin.createPartitions([{ topic: "growing", count: 3 }]);
      await eventually(async () => (await c.poll(), c.assignment().length === 3 || undefined), 20_000, "owns all three");
    } finally {
      await c.close();
      await watching.close();
    }
  });

  it("uses the range assignor when asked", async () => {
    await client.admin.createTopics([{ name: "ranged", numPartitions: 4 }]);
    const opts = { groupId: "range-g", topics: ["ranged"], assignors: ["range" as const], heartbeatIntervalMs: 200, maxWaitMs: 100 };
    const a = client.consumer(opts);
    const b = client.consumer(opts);
    await eventually(async () => {
      await Promise.all([a.poll(), b.poll()]);
      return (a.assignment().length === 2 && b.assignment().length === 2) || undefined;
    }, 30_000, "two partitions each");
    const g = (await client.admin.describeGroups(["range-g"]))[0];
    expect(g.protocol).toBe("range");
    // Range gives consecutive partitions to each member.
    for (const m of g.members) expect(m.assignment[0].partitions[1] - m.assignment[0].partitions[0]).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  it("shares a group with kcat (librdkafka) on cooperative-sticky: every record read once between them; pause holds a partition back", async () => {
    await client.admin.createTopics([{ name: "mixed", numPartitions: 4 }]);
    const ours = client.consumer({ groupId: "mixed-g", topics: ["mixed"], autoOffsetReset: "earliest", heartbeatIntervalMs: 300, maxWaitMs: 100, sessionTimeoutMs: 10_000, assignors: ["cooperative-sticky"] });
    await eventually(async () => (await ours.poll(), ours.assignment().length === 4 || undefined), 20_000, "our member owns all four");
    const child = spawnKcat(["-b", t.bootstrap, "-u", "-G", "mixed-g", "-X", "partition.assignment.strategy=cooperative-sticky", "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=10000", "-X", "heartbeat.interval.ms=300", "-f", "%p|%s\\n", "mixed"]);
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    const theirs = () => out.split("\n").filter(Boolean);
    try {
      await eventually(async () => (await ours.poll(), ours.assignment().length === 2 || undefined), 30_000, "two partitions go to kcat");
      const kept = ours.assignment().map((x) => x.partition);
      ours.pause([{ topic: "mixed", partition: kept[0] }]);
      const lines = Array.from({ length: 400 }, (_, i) => `k${i}:mixed-${i}`);
      for (let part = 0; part < 4; part++) await produceLines("mixed", part, lines.filter((_, i) => i % 4 === part));
      const mineRead: string[] = [];
      const read = (b: ConsumedBatch) => void mineRead.push(...b.records.map((r) => `${b.partition}|${r.value!.toString()}`));
      await consume(ours, 100, read);
      expect(new Set(mineRead.map((r) => r.split("|")[0]))).toEqual(new Set([String(kept[1])]));
      ours.resume(ours.assignment());
      await consume(ours, 100, read);
      await eventually(() => theirs().length >= 200 || undefined, 30_000, "kcat reads its half");
      expect(mineRead).toHaveLength(200);
      expect(theirs()).toHaveLength(200);
      expect(new Set([...mineRead, ...theirs()]).size).toBe(400);
      for (const row of theirs()) expect(kept).not.toContain(Number(row.split("|")[0]));
    } finally {
      child.kill("SIGTERM");
      await ours.close();
    }
  });

  it("a static member (group.instance.id) keeps its partitions across a restart", async () => {
    await client.admin.createTopics([{ name: "static", numPartitions: 2 }]);
    const opts = { groupId: "static-g", topics: ["static"], groupInstanceId: "agent-1", heartbeatIntervalMs: 200, maxWaitMs: 100, sessionTimeoutMs: 20_000 };
    const a = client.consumer(opts);
    await eventually(async () => (await a.poll(), a.assignment().length === 2 || undefined), 20_000, "owns both");
    const generation = (await client.admin.describeGroups(["static-g"]))[0];
    await a.close();
    // A static member's close sends no LeaveGroup: the group still has it.
    expect((await client.admin.describeGroups(["static-g"]))[0].members.map((m) => m.groupInstanceId)).toEqual(["agent-1"]);
    const again = client.consumer(opts);
    await eventually(async () => (await again.poll(), again.assignment().length === 2 || undefined), 20_000, "owns both again");
    expect(generation.state).toBe("Stable");
    await again.close();
  });
});
