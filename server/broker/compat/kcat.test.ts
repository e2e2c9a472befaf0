import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBatchHeader } from "../../kafka/records/batch";
import { once } from "node:events";
import { eventually, kcat, spawnKcat, startTestBroker } from "./harness";

describe("kcat (librdkafka) against the broker", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    t = await startTestBroker({ numPartitions: 3 });
  });
  afterAll(() => t.stop());

  it("lists brokers and topics with -L", async () => {
    await kcat(["-b", t.bootstrap, "-P", "-t", "listed", "-p", "0"], "x\n");
    const out = await kcat(["-b", t.bootstrap, "-L", "-J"]);
    const meta = JSON.parse(out) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: unknown[] }[] };
    expect(meta.brokers).toEqual([{ id: 0, name: t.bootstrap }]);
    const topic = meta.topics.find((x) => x.topic === "listed");
    expect(topic?.partitions).toHaveLength(3);
  });

  it("produces keys and headers and consumes them back from an offset", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `key${i}:value-${i}`).join("\n") + "\n";
    await kcat(["-b", t.bootstrap, "-P", "-t", "kv", "-p", "1", "-K", ":", "-H", "source=kcat", "-H", "n=1"], lines);
    const out = await kcat(["-b", t.bootstrap, "-C", "-t", "kv", "-p", "1", "-o", "10", "-e", "-f", "%o|%k|%s|%h\\n"]);
    const rows = out.trim().split("\n");
    expect(rows).toHaveLength(40);
    expect(rows[0]).toBe("10|key10|value-10|source=kcat,n=1");
    expect(rows[39]).toBe("49|key49|value-49|source=kcat,n=1");
  });

  it("consumes from a timestamp (ListOffsets by time)", async () => {
    const base = Date.now() - 60_000;
    // kcat's -o s@ts resolves the start with ListOffsets; records carry producer timestamps.
    for (let i = 0; i < 5; i++) await kcat(["-b", t.bootstrap, "-P", "-t", "timed", "-p", "0"], `at-${i}\n`);
    const all = await kcat(["-b", t.bootstrap, "-C", "-t", "timed", "-p", "0", "-o", "beginning", "-e", "-f", "%T %s\\n"]);
    const stamps = all.trim().split("\n").map((l) => Number(l.split(" ")[0]));
    expect(stamps.every((s) => s > base)).toBe(true);
    const from = await kcat(["-b", t.bootstrap, "-C", "-t", "timed", "-p", "0", "-o", `s@${stamps[3]}`, "-e", "-f", "%s\\n"]);
    expect(from.trim().split("\n")[0]).toBe("at-3");
    const future = await kcat(["-b", t.bootstrap, "-C", "-t", "timed", "-p", "0", "-o", `s@${Date.now() + 3_600_000}`, "-e", "-f", "%s\\n"]);
    expect(future.trim()).toBe("");
  });

  it("compresses with gzip, snappy, lz4 and zstd", async () => {
    for (const [codec, id] of [["gzip", 1], ["snappy", 2], ["lz4", 3], ["zstd", 4]] as const) {
      const lines = Array.from({ length: 200 }, (_, i) => `${codec}-${i}-${"x".repeat(50)}`).join("\n") + "\n";
      await kcat(["-b", t.bootstrap, "-P", "-t", `codec-${codec}`, "-p", "0", "-z", codec], lines);
      // librdkafka silently sends uncompressed batches when it thinks the broker cannot take the codec.
      const stored = await t.broker.logs.partition(`codec-${codec}`, 0).read(0, 1 << 20);
      expect(readBatchHeader(stored.records).compression).toBe(id);
      const out = await kcat(["-b", t.bootstrap, "-C", "-t", `codec-${codec}`, "-p", "0", "-o", "beginning", "-e"]);
      expect(out.trim().split("\n")).toEqual(lines.trim().split("\n"));
    }
  });

  it("shares partitions in a balanced consumer group (-G) and commits offsets", async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `g-${i}`).join("\n") + "\n";
    for (const p of [0, 1, 2]) await kcat(["-b", t.bootstrap, "-P", "-t", "grouped", "-p", String(p)], lines.split("\n").filter((_, i) => i % 3 === p).join("\n") + "\n");
    const out = await kcat(["-b", t.bootstrap, "-G", "kcat-group", "-X", "auto.offset.reset=earliest", "-e", "grouped"], undefined, 60_000);
    const got = out.trim().split("\n").sort();
    expect(got).toEqual(lines.trim().split("\n").sort());
    const admin = t.kafka().admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: "kcat-group", topics: ["grouped"] });
    await admin.disconnect();
    expect(committed.partitions.map((p) => Number(p.offset)).sort()).toEqual([100, 100, 100]);
  });

  it("keeps a static member's (group.instance.id) partitions across its restart without rebalancing the others", async () => {
    await kcat(["-b", t.bootstrap, "-P", "-t", "static-t", "-p", "0"], "x\n");
    const member = (instance: string) => {
      const child = spawnKcat(["-b", t.bootstrap, "-G", "static-group", "-X", `group.instance.id=${instance}`, "-X", "session.timeout.ms=20000", "-X", "heartbeat.interval.ms=300", "-X", "auto.offset.reset=earliest", "static-t"]);
      const stderr: string[] = [];
      child.stderr.setEncoding("utf8").on("data", (c: string) => stderr.push(c));
      child.stdout.resume();
      return { child, assignments: () => stderr.join("").split("\n").filter((l) => l.includes("assigned:")).length };
    };
    const admin = t.kafka().admin();
    await admin.connect();
    const describe = async () => (await admin.describeGroups(["static-group"])).groups[0];
    const one = member("static-1");
    let two = member("static-2");
    try {
      const before = await eventually(async () => {
        const g = await describe();
        return g.state === "Stable" && g.members.length === 2 && one.assignments() >= 1 ? g : undefined;
      }, 30_000, "two static members in a stable group");
      const assignedOnce = one.assignments();
      const oldId = before.members.find((m) => m.clientId && m.memberId.startsWith("static-2"))!.memberId;

      // static-2 crashes (no LeaveGroup) and comes back with the same instance id within the session timeout.
      two.child.kill("SIGKILL");
      await once(two.child, "exit");
      two = member("static-2");
      const after = await eventually(async () => {
        const g = await describe();
        const m = g.members.find((x) => x.memberId.startsWith("static-2"));
        return g.state === "Stable" && m && m.memberId !== oldId && two.assignments() >= 1 ? g : undefined;
      }, 30_000, "static-2 back with a new member id");
      expect(after.members).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 1500));
      expect(one.assignments()).toBe(assignedOnce); // static-1 saw no rebalance
    } finally {
      one.child.kill("SIGTERM");
      two.child.kill("SIGTERM");
      await admin.disconnect();
    }
  }, 60_000);

  it("authenticates with SASL PLAIN and SCRAM-SHA-256/512 and is refused with a wrong password", async () => {
    const secure = await startTestBroker({ sasl: { mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], users: { bob: "bob-secret" } } });
    try {
      for (const mechanism of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]) {
        const auth = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", `sasl.mechanisms=${mechanism}`, "-X", "sasl.username=bob"];
        const topic = `sasl-${mechanism.toLowerCase()}`;
        await kcat(["-b", secure.bootstrap, ...auth, "-X", "sasl.password=bob-secret", "-P", "-t", topic, "-p", "0"], "secret message\n");
        const out = await kcat(["-b", secure.bootstrap, ...auth, "-X", "sasl.password=bob-secret", "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e"]);
        expect(out.trim()).toBe("secret message");
        await expect(kcat(["-b", secure.bootstrap, ...auth, "-X", "sasl.password=wrong", "-L"], undefined, 10_000)).rejects.toThrow(/Authentication|SASL|auth/i);
      }
    } finally {
      await secure.stop();
    }
  });
});

