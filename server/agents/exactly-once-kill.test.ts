import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startTestBroker } from "../broker/compat/harness";
import { KafkaClient } from "../kafka/client";
import { IsolationLevel } from "../kafka/constants";
import { createTopics, readTopics } from "./testing/topics";

const INPUTS = 20_000;
/** Kills at least; more while none has yet found the sink inside a transaction, up to one per round. */
const KILLS = 5;
const MAX_ROUNDS = 12;
/** Inputs per send within a round. */
const CHUNK = 100;

it("topic → interceptor → file channel → transactional topic sink: read_committed sees every input exactly once across repeated SIGKILLs", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-agent-eos-kill-"));
  const broker = await startTestBroker();
  await createTopics(broker.bootstrap, [{ name: "in", numPartitions: 3 }, { name: "out", numPartitions: 2 }]);
  const flow = {
    name: "eos",
    sources: { r1: { type: "topic", channels: ["c1"], bootstrapServers: broker.bootstrap, topics: ["in"], groupId: "eos-relay", batchSize: 200, sessionTimeoutMs: 2000, interceptors: [{ type: "static", key: "via", value: "agent" }] } },
    channels: { c1: { type: "file", capacity: 5000, transactionCapacity: 200, minimumRequiredSpace: 0 } },
    sinks: { k1: { type: "topic", channel: "c1", bootstrapServers: broker.bootstrap, topic: "out", allowTopicOverride: false, batchSize: 100, transactionalId: "eos-relay-k1" } },
  };
  const config = join(dir, "flow.json");
  await writeFile(config, JSON.stringify(flow));
  const startAgent = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "cli-main.ts"), "--config", config, "--data-dir", join(dir, "data")], { stdio: ["ignore", "ignore", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      let err = "";
      child.once("exit", (code) => reject(new Error(`agent exited ${code}: ${err}`)));
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("running flow")) resolve();
      });
    });
    return child;
  };
  const outputs = (isolation: number = IsolationLevel.READ_COMMITTED) => readTopics(broker.bootstrap, ["out"], isolation).then((rs) => rs.map((r) => r.value!.toString()));
  const admin = new KafkaClient({ bootstrap: [broker.bootstrap], clientId: "test-admin" });
  // Records the agent delivered so far: the offsets its transactions committed for the source's group.
  const progress = async () => (await admin.admin.fetchOffsets("eos-relay")).reduce((n, o) => n + o.offset, 0);
  try {
    const producer = admin.producer();
    const input = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ topic: "in", value: Buffer.from(`in-${from + i}`) }));
    let produced = 0;
    let kills = 0;
    // Kills that found the sink inside a transaction (the coordinator still holds it Ongoing): the case exactly-once is about.
    let insideTransaction = 0;
    const perRound = Math.ceil(INPUTS / MAX_ROUNDS);
    while (produced < INPUTS && (kills < KILLS || insideTransaction === 0)) {
      const child = await startAgent();
      const n = Math.min(perRound, INPUTS - produced);
      // The round's inputs arrive in small chunks, so the sink is taking and committing when the kill lands:
      // the first chunk, then the rest once the agent is delivering it, with the kill after a random one of them.
      const chunks = Math.ceil(n / CHUNK);
      const killAfter = 2 + Math.floor(Math.random() * (chunks - 1));
      const roundStart = produced;
      for (let c = 0; c < chunks; c++) {
        const size = Math.min(CHUNK, n - c * CHUNK);
        await producer.send(input(produced, size));
        produced += size;
        if (c === 0) {
          const deadline = Date.now() + 20_000;
          while ((await progress()) <= roundStart && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        }
        if (c + 1 !== Math.min(killAfter, chunks)) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        // Aimed at an open transaction (a moment the coordinator reports one), which it may still just miss.
        const aim = Date.now() + 2000;
        while ((await admin.admin.describeTransactions(["eos-relay-k1"]))[0]?.state !== "Ongoing" && Date.now() < aim) await new Promise((r) => setTimeout(r, 1));
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
        kills++;
        const [open] = await admin.admin.describeTransactions(["eos-relay-k1"]);
        if (open?.state === "Ongoing") insideTransaction++;
      }
    }
    // What the rounds left unproduced goes in before the last run.
    if (produced < INPUTS) await producer.send(input(produced, INPUTS - produced));
    produced = INPUTS;
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(insideTransaction).toBeGreaterThan(0);
    // How much the killed runs committed: reported, not asserted (a fast machine finishes most of each round).
    const before = (await outputs()).length;

    // A last clean run delivers what the killed ones left in the channel and in the input topic.
    const child = await startAgent();
    const end = Date.now() + 40_000;
    while ((await progress()) < INPUTS && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    // Anything extra would show up now, after the flow had time to write it.
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
    child.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });

    const seen = await outputs();
    const expected = Array.from({ length: INPUTS }, (_, i) => `in-${i}`);
    expect(seen.length).toBe(INPUTS);
    expect(new Set(seen).size).toBe(INPUTS);
    expect([...seen].sort()).toEqual(expected.sort());
    // read_uncommitted also sees the records of transactions the kills left open, which the next incarnation aborted.
    const uncommitted = await outputs(IsolationLevel.READ_UNCOMMITTED);
    expect(uncommitted.length).toBeGreaterThanOrEqual(INPUTS);
    expect(new Set(uncommitted)).toEqual(new Set(seen));
    const [txn] = await admin.admin.describeTransactions(["eos-relay-k1"]);
    // Every incarnation fenced the one before it with InitProducerId; one that found a transaction open aborted it with one more epoch.
    expect(txn.state).toBe("CompleteCommit");
    // Each incarnation bumped the epoch; one that found its predecessor's transaction open bumped it once more.
    expect(txn.producerEpoch).toBeGreaterThan(kills);
    process.stdout.write(`exactly-once kill test: ${INPUTS} inputs, ${kills} SIGKILLs (${insideTransaction} inside a transaction), ${before} committed before the last run, ${uncommitted.length - INPUTS} aborted records seen by read_uncommitted, producer epoch ${txn.producerEpoch}\n`);
  } finally {
    await admin.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
