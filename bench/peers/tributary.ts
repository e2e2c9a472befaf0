import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { freePort } from "../lib/net";
import { Kafka, logLevel, type Consumer, type Producer } from "kafkajs";
import {
  ConsumeCount,
  LatencyCollector,
  makeValue,
  pacedSend,
  packageVersion,
  PeerUnavailableError,
  timed,
  Window,
  type PeerSystem,
  type PhaseResult,
  type Workload,
} from "./workload";

/** Records per produce request: kafkajs sends one request per send() call and never merges them. */
export const KAFKAJS_PRODUCE_BATCH = 2_000;
/** send() calls in flight. */
const SENDS_IN_FLIGHT = 8;
const FETCH_MAX_BYTES = 50 << 20;
const FETCH_MAX_BYTES_PER_PARTITION = 10 << 20;
/** How long an empty fetch waits on the broker: short, so the latency run isn't bounded by polling. */
const FETCH_MAX_WAIT_MS = 50;
const START_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 60_000;

const SERVER_SCRIPT = fileURLToPath(new URL("./tributary-server.ts", import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface TributaryOptions {
  dataDir: string;
  /** Write a CPU profile of the broker process into this directory (node --cpu-prof). */
  profileDir?: string;
}

/**
 * Tributary's broker in its own Node process (started with tsx, as in development), driven over
 * the Kafka protocol by kafkajs — the same methodology as the peers: a separate server process,
 * a well-kept client library, that client's best batching.
 */
export function tributaryBroker(options: TributaryOptions): PeerSystem {
  let child: ChildProcess | null = null;
  let kafka: Kafka | null = null;
  let topicSeq = 0;
  let serverPid: number | null = null;
  const stderrTail: string[] = [];

  const client = (): Kafka => {
    if (!kafka) throw new Error("Tributary: probe() must succeed before running");
    return kafka;
  };

  async function withTopic<T>(work: (topic: string) => Promise<T>): Promise<T> {
    const topic = `tributary-bench-${topicSeq++}`;
    const admin = client().admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      try {
        return await work(topic);
      } finally {
        await admin.deleteTopics({ topics: [topic] });
      }
    } finally {
      await admin.disconnect();
    }
  }

  function producer(p: Producer, topic: string) {
    const window = new Window(SENDS_IN_FLIGHT);
    return {
      async send(values: Buffer[]): Promise<void> {
        for (let i = 0; i < values.length; i += KAFKAJS_PRODUCE_BATCH) {
          await window.acquire();
          const messages = values.slice(i, i + KAFKAJS_PRODUCE_BATCH).map((value) => ({ value }));
          p.send({ topic, acks: -1, messages }).then(
            () => window.release(),
            (err: Error) => window.fail(err),
          );
        }
      },
      finish: () => window.drain(),
    };
  }

  /** A group consumer from the earliest offset; `onJoin` fires when partitions are assigned. */
  async function consumer(topic: string, onValues: (values: (Buffer | null)[]) => void, onJoin: () => void): Promise<Consumer> {
    const c = client().consumer({
      groupId: `${topic}-reader`,
      maxBytes: FETCH_MAX_BYTES,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
      minBytes: 1,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    c.on(c.events.GROUP_JOIN, onJoin);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommit: true,
      eachBatch: async ({ batch }) => onValues(batch.messages.map((m) => m.value)),
    });
    return c;
  }

  return {
    id: "tributary",
    name: "Tributary",
    client: packageVersion("kafkajs"),
    server: "not reached",
    durability: "acks=all (-1) on a single broker: acknowledged once appended to the partition log (the broker's default flush policy)",
    settings: `send() of ${KAFKAJS_PRODUCE_BATCH} records per request, ${SENDS_IN_FLIGHT} requests in flight, no compression; group consumer, fetch up to ${FETCH_MAX_BYTES_PER_PARTITION >> 20} MiB per partition, max wait ${FETCH_MAX_WAIT_MS} ms`,

    async probe() {
      const port = await freePort();
      const args = ["--import", "tsx"];
      if (options.profileDir) args.push("--cpu-prof", `--cpu-prof-dir=${options.profileDir}`);
      args.push(SERVER_SCRIPT, options.dataDir, String(port));
      const proc = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      // Never leave a broker behind when the benchmark process ends early.
      process.once("exit", () => proc.kill("SIGKILL"));
      proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
        stderrTail.push(chunk);
        if (stderrTail.length > 20) stderrTail.shift();
      });
      try {
        await waitForReady(proc);
      } catch (err) {
        child = null;
        proc.kill("SIGKILL");
        const why = stderrTail.join("").trim().split("\n").slice(-3).join(" / ");
        throw new PeerUnavailableError(`broker not ready: ${why || (err as Error).message}`);
      }
      serverPid = proc.pid ?? null;
      this.server = `Tributary broker (this checkout), own Node ${process.version} process`;
      kafka = new Kafka({ clientId: "tributary-bench", brokers: [`127.0.0.1:${port}`], logLevel: logLevel.ERROR });
    },

    async produceConsume(w: Workload) {
      return withTopic(async (topic) => {
        const value = makeValue();
        const values = new Array<Buffer>(w.records).fill(value);
        const p = client().producer({ allowAutoTopicCreation: false, idempotent: false });
        await p.connect();
        let produce: PhaseResult;
        try {
          produce = await timed(async () => {
            const s = producer(p, topic);
            await s.send(values);
            await s.finish();
          }, serverPid);
        } finally {
          await p.disconnect();
        }
        let c: Consumer | undefined;
        let consume: PhaseResult;
        try {
          consume = await timed(async (markStart) => {
            const count = new ConsumeCount(w.records, "Tributary");
            // The group join (a fixed protocol cost the peers' consumers don't have) is excluded.
            c = await consumer(topic, (vs) => vs.forEach((v) => count.one(v?.length)), markStart);
            await count.finished;
          }, serverPid);
        } finally {
          await c?.disconnect();
        }
        return { produce, consume };
      });
    },

    async latency(w: Workload) {
      return withTopic(async (topic) => {
        const collector = new LatencyCollector(w);
        let joined: () => void = () => {};
        const join = new Promise<void>((r) => (joined = r));
        const c = await consumer(topic, (vs) => vs.forEach((v) => v && collector.onValue(v)), () => joined());
        const p = client().producer({ allowAutoTopicCreation: false, idempotent: false });
        try {
          await join;
          await p.connect();
          const s = producer(p, topic);
          collector.begin();
          await pacedSend(w, (values) => s.send(values));
          await s.finish();
          return await collector.result(DRAIN_TIMEOUT_MS);
        } finally {
          await p.disconnect();
          await c.disconnect();
        }
      });
    },

    async close() {
      kafka = null;
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null) return;
      const exited = once(proc, "exit");
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

async function waitForReady(proc: ChildProcess): Promise<void> {
  let buffered = "";
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    // Keep reading stdout after the ready line: a full pipe would block the broker's logging.
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      if (ready) return;
      buffered += chunk;
      if (buffered.includes('"ready":true')) {
        ready = true;
        buffered = "";
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`broker process exited with code ${code}`));
    });
  });
}
