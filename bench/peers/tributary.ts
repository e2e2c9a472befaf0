import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { KafkaClient } from "@/server/kafka/client";
import { Acks } from "@/server/kafka/constants";
import { freePort } from "../lib/net";
import { bundledBrokerServer } from "../lib/server-bundle";
import { LatencyCollector, makeValue, pacedSend, PeerUnavailableError, processCpuSeconds, timed, VALUE_BYTES, Window, type PeerSystem, type PhaseResult, type Workload } from "./workload";

const START_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 60_000;

export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * librdkafka's settings for throughput: large batches, a short linger, plenty queued. kcat is the
 * client because it is the Kafka client people reach for from a shell, and librdkafka batches the
 * way production Kafka clients do (kafkajs, pure JavaScript, tops out far below the broker).
 */
const PRODUCER_SETTINGS = ["linger.ms=5", "batch.num.messages=10000", "batch.size=1000000", "queue.buffering.max.messages=1000000", "acks=all", "compression.codec=none"];
const CONSUMER_SETTINGS = ["fetch.message.max.bytes=10485760", "queued.min.messages=1000000", "fetch.wait.max.ms=100"];
/**
 * The latency run's producer is Tributary's own Kafka client: kcat reads its input in blocks, so a paced line would
 * wait in kcat's buffer and the figure would measure kcat, not the broker.
 */
const SENDS_IN_FLIGHT = 8;
const MAX_RECORDS_PER_SEND = 2_000;
const LATENCY_CONSUMER_SETTINGS = ["fetch.wait.max.ms=100", "fetch.error.backoff.ms=0"];

/** Kafka's flush.messages default: the OS page cache decides when to write, as for the peers here. */
export const NO_FSYNC = "9223372036854775807";

export interface TributaryOptions {
  dataDir: string;
  /** fsync before every acknowledgement (Tributary's default for new topics), or page-cache acks like the peers. */
  durable: boolean;
  /** Write a CPU profile of the broker process into this directory (node --cpu-prof). */
  profileDir?: string;
}

async function kcatVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)("kcat", ["-V"], { timeout: 5_000 });
    const kcat = /Version (\S+)/.exec(stdout)?.[1] ?? "?";
    const rd = /librdkafka (\S+)/.exec(stdout)?.[1] ?? "?";
    return `kcat ${kcat} (librdkafka ${rd})`;
  } catch {
    throw new PeerUnavailableError("kcat is not installed (Debian: apt-get install -y kcat)");
  }
}

/** Runs kcat to completion, feeding it `input`; rejects with its stderr when it fails. */
function kcat(args: string[], input: Buffer | null, onStdout?: (chunk: Buffer) => void): { done: Promise<void>; child: ChildProcess } {
  const child = spawn("kcat", args, { stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr = (stderr + s).slice(-2000)));
  child.stdout!.on("data", (chunk: Buffer) => onStdout?.(chunk));
  if (input) child.stdin!.end(input);
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 || signal === "SIGTERM" ? resolve() : reject(new Error(`kcat ${args.join(" ")} exited with ${code ?? signal}: ${stderr.trim()}`)),
    );
  });
  return { done, child };
}

const settings = (list: string[]) => list.flatMap((s) => ["-X", s]);

/**
 * Tributary's broker in its own Node process (bundled as `npm start` runs it), driven over
 * the Kafka protocol by kcat — the same methodology as the peers: a separate server process, a
 * well-kept client, that client's best batching.
 */
export function tributaryBroker(options: TributaryOptions): PeerSystem {
  let child: ChildProcess | null = null;
  let bootstrap = "";
  let kafka: KafkaClient | null = null;
  let topicSeq = 0;
  let serverPid: number | null = null;
  const stderrTail: string[] = [];

  async function withTopic<T>(work: (topic: string) => Promise<T>): Promise<T> {
    if (!kafka) throw new Error("Tributary: probe() must succeed before running");
    const topic = `tributary-bench-${topicSeq++}`;
    const configs: Record<string, string> = options.durable ? {} : { "flush.messages": NO_FSYNC };
    await kafka.admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1, configs }]);
    try {
      return await work(topic);
    } finally {
      await kafka.admin.deleteTopics([topic]);
    }
  }

  /** One line per record: the 100-byte value and a newline, kcat's input and output format. */
  function linesOf(records: number): Buffer {
    const value = makeValue();
    const lines = Buffer.allocUnsafe(records * (VALUE_BYTES + 1));
    for (let i = 0; i < records; i++) {
      value.copy(lines, i * (VALUE_BYTES + 1));
      lines[i * (VALUE_BYTES + 1) + VALUE_BYTES] = 10;
    }
    return lines;
  }

  const id = options.durable ? "tributary-durable" : "tributary";
  return {
    id,
    name: options.durable ? "Tributary (fsync before ack)" : "Tributary",
    client: "kcat; Tributary's Kafka client for the paced producer",
    server: "not reached",
    durability: options.durable
      ? "acks=all; the broker fsyncs before acknowledging (flush.messages=1, Tributary's default for new topics), concurrent appends share an fsync"
      : "acks=all; acknowledged once written to the partition log in the OS page cache, no per-write fsync (flush.messages unset, as Kafka's default) — the same level as JetStream and RabbitMQ here",
    settings: `librdkafka producer ${PRODUCER_SETTINGS.join(", ")}; consumer without a group from the earliest offset, timed from its first record (kcat's process start and bootstrap excluded, as the peers' clients connect before the phase), ${CONSUMER_SETTINGS.join(", ")}; latency run: Tributary's Kafka client as producer (one send per 1 ms tick, ${SENDS_IN_FLIGHT} in flight, acks=all) and a kcat consumer, ${LATENCY_CONSUMER_SETTINGS.join(", ")}`,

    async probe() {
      this.client = await kcatVersion();
      const port = await freePort();
      const args: string[] = [];
      if (options.profileDir) args.push("--cpu-prof", `--cpu-prof-dir=${options.profileDir}`);
      args.push(await bundledBrokerServer(), `${options.dataDir}/${id}`, String(port));
      const proc = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      // Never leave a broker behind when the benchmark process ends early.
      process.once("exit", () => proc.kill("SIGKILL"));
      proc.stderr.setEncoding("utf8").on("data", (chunk: string) => {
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
      bootstrap = `127.0.0.1:${port}`;
      this.server = `Tributary broker (this checkout), own Node ${process.version} process`;
      kafka = new KafkaClient({ bootstrap: [bootstrap], clientId: "tributary-bench" });
    },

    async produceConsume(w: Workload) {
      return withTopic(async (topic) => {
        const input = linesOf(w.records);
        const produce: PhaseResult = await timedWithChild(async (track) => {
          const p = kcat(["-P", "-b", bootstrap, "-t", topic, "-p", "0", ...settings(PRODUCER_SETTINGS)], input);
          track(p.child);
          await p.done;
        }, serverPid);
        let bytes = 0;
        const consume: PhaseResult = await timedWithChild(async (track, markStart) => {
          // The clock starts at the first record: the peers' clients are connected before their phase,
          // kcat has to start a process and bootstrap (connect, ApiVersions, Metadata) first.
          const c = kcat(["-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-c", String(w.records), "-e", "-q", "-f", "%s\\n", ...settings(CONSUMER_SETTINGS)], null, (chunk) => {
            if (bytes === 0) markStart();
            bytes += chunk.length;
          });
          track(c.child);
          await c.done;
        }, serverPid);
        if (bytes !== input.length) throw new Error(`Tributary: read back ${bytes} bytes of records, expected ${input.length} (${w.records} × ${VALUE_BYTES + 1})`);
        return { produce, consume };
      });
    },

    async latency(w: Workload) {
      return withTopic(async (topic) => {
        const collector = new LatencyCollector(w);
        let marker: () => void = () => {};
        const markerSeen = new Promise<void>((r) => (marker = r));
        let pending = "";
        const consumer = kcat(["-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-u", "-q", "-f", "%s\\n", ...settings(LATENCY_CONSUMER_SETTINGS)], null, (chunk) => {
          const now = performance.now();
          const lines = (pending + chunk.toString("latin1")).split("\n");
          pending = lines.pop()!;
          for (const line of lines) {
            if (line.startsWith("marker")) marker();
            else collector.onStamp(Number.parseFloat(line), now);
          }
        });
        const producer = kafka!.producer({ acks: Acks.ALL, idempotent: false, lingerMs: 0, autoCreateTopics: false });
        const window = new Window(SENDS_IN_FLIGHT);
        const send = async (values: Buffer[]) => {
          await window.acquire();
          producer.send(values.map((value) => ({ topic, value }))).then(
            () => window.release(),
            (err: Error) => window.fail(err),
          );
        };
        try {
          // The consumer is connected and fetching once the marker comes back.
          await send([Buffer.from("marker")]);
          await Promise.race([markerSeen, consumer.done.then(() => Promise.reject(new Error("kcat consumer exited early")))]);
          collector.begin();
          await pacedSend(w, send, textStamp, MAX_RECORDS_PER_SEND);
          await window.drain();
          return await collector.result(DRAIN_TIMEOUT_MS);
        } finally {
          await producer.close();
          consumer.child.kill("SIGTERM");
          await consumer.done.catch(() => undefined);
        }
      });
    },

    async close() {
      await kafka?.close();
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

/**
 * `timed`, with the client's CPU measured in the kcat child rather than in this process, which
 * only pipes bytes.
 */
async function timedWithChild(work: (track: (child: ChildProcess) => void, markStart: () => void) => Promise<void>, serverPid: number | null): Promise<PhaseResult> {
  let clientPid: number | undefined;
  let clientCpu = 0;
  const r = await timed(async (markStart) => {
    await work((c) => {
      clientPid = c.pid;
      // /proc forgets a process once it is reaped, so sample its CPU time while it runs.
      const poll = setInterval(() => {
        const s = clientPid === undefined ? null : processCpuSeconds(clientPid);
        if (s !== null) clientCpu = s;
      }, 20);
      c.once("exit", () => clearInterval(poll));
    }, markStart);
  }, serverPid);
  return { ...r, clientCpu: clientCpu / r.seconds };
}

/** The latency run's stamp as text padded to 100 bytes, because kcat prints values as text. */
function textStamp(scheduledMs: number): Buffer {
  return Buffer.from(scheduledMs.toFixed(3).padEnd(VALUE_BYTES, "x"), "latin1");
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
