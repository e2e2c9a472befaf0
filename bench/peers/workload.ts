import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LatencyRecorder } from "../lib/stats";

/**
 * The work every system gets: the same record count of the same 100-byte values, produced as fast
 * as the client allows with its best batching, read back from the start, and then a steady paced
 * stream for end-to-end latency.
 */
export const VALUE_BYTES = 100;

export interface Workload {
  records: number;
  latencyRate: number;
  latencyMs: number;
  /** Records scheduled during the first warmupMs of the latency run are not measured. */
  warmupMs: number;
}

/** Thrown by a peer that is not reachable; the runner reports it as skipped with this message. */
export class PeerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PeerUnavailableError";
  }
}

export interface PhaseResult {
  seconds: number;
  /** Load generator CPU time ÷ wall time: near 1.0 on one core means the client, not the server, bounds the figure. */
  clientCpu: number;
  /** Server process CPU time ÷ wall time, when its pid is known. */
  serverCpu: number | null;
}

export interface LatencyResult {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** Records per second actually delivered end to end over the run. */
  achievedRate: number;
}

/** One system under test. Each call works on a fresh stream/topic/queue and removes it afterwards. */
export interface PeerSystem {
  id: string;
  name: string;
  client: string;
  /** The server's name and version as it reports them; filled in by probe(). */
  server: string;
  durability: string;
  settings: string;
  /** Resolves when the server answers; throws PeerUnavailableError with the reason otherwise. */
  probe(): Promise<void>;
  produceConsume(w: Workload): Promise<{ produce: PhaseResult; consume: PhaseResult }>;
  latency(w: Workload): Promise<LatencyResult>;
  close(): Promise<void>;
}

/** Version of an installed npm package, for naming the exact client in the results. */
export function packageVersion(name: string): string {
  try {
    const file = fileURLToPath(new URL(`../../node_modules/${name}/package.json`, import.meta.url));
    return `${name} ${(JSON.parse(readFileSync(file, "utf8")) as { version: string }).version}`;
  } catch {
    return `${name} (version unknown)`;
  }
}

/** A 100-byte value; latency runs overwrite the first 8 bytes with the scheduled send time. */
export function makeValue(): Buffer {
  const value = Buffer.alloc(VALUE_BYTES);
  for (let i = 0; i < VALUE_BYTES; i++) value[i] = 97 + (i % 26);
  return value;
}

export function stampedValue(scheduledMs: number): Buffer {
  const value = makeValue();
  value.writeDoubleLE(scheduledMs, 0);
  return value;
}

/** Linux reports process CPU time in clock ticks of 1/100 s on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds used so far by a process, from /proc; null where /proc is unavailable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** The oldest process with this exact name (the server), or null when none runs. */
export async function pidOf(name: string): Promise<number | null> {
  try {
    const { stdout } = await promisify(execFile)("pgrep", ["-xo", name], { timeout: 5_000 });
    const pid = Number(stdout.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Measures wall time, this process's CPU time and, given its pid, the server's CPU time around one
 * phase. `markStart` lets a phase exclude its set-up (e.g. a consumer group join) from the timing.
 */
export async function timed(work: (markStart: () => void) => Promise<void>, serverPid: number | null = null): Promise<PhaseResult> {
  let start = 0;
  let cpu = process.cpuUsage();
  let serverStart: number | null = null;
  const markStart = () => {
    start = performance.now();
    cpu = process.cpuUsage();
    serverStart = serverPid === null ? null : processCpuSeconds(serverPid);
  };
  markStart();
  await work(markStart);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const serverEnd = serverPid === null ? null : processCpuSeconds(serverPid);
  return {
    seconds,
    clientCpu: (used.user + used.system) / 1e6 / seconds,
    serverCpu: serverStart === null || serverEnd === null ? null : (serverEnd - serverStart) / seconds,
  };
}

/**
 * Paced producer for the latency run. Every tick it sends the records that are due by now, stamped
 * with their scheduled time rather than the time they left: when the producer or server falls
 * behind, the wait counts as latency instead of being hidden (no coordinated omission).
 */
export async function pacedSend(
  w: Workload,
  sendBatch: (values: Buffer[]) => void | Promise<void>,
  stamp: (scheduledMs: number) => Buffer = stampedValue,
  maxPerSend = Number.POSITIVE_INFINITY,
): Promise<number> {
  const total = Math.round((w.latencyRate * w.latencyMs) / 1000);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * w.latencyRate) / 1000));
    // A tick that comes late has many records due; maxPerSend keeps each request within a client's limits.
    for (let from = sent; from < due; from += maxPerSend) {
      const values = new Array<Buffer>(Math.min(due, from + maxPerSend) - from);
      for (let i = 0; i < values.length; i++) values[i] = stamp(start + ((from + i) * 1000) / w.latencyRate);
      await sendBatch(values);
    }
    sent = due;
    await new Promise((r) => setTimeout(r, 1));
  }
  return total;
}

/**
 * Counts records read back in the throughput run and checks each is the value that was written.
 * A wrong record rejects `finished` rather than throwing inside a client's delivery callback, where
 * a client may swallow it or, like kafkajs, retry the batch forever.
 */
export class ConsumeCount {
  private received = 0;
  private resolve: () => void = () => {};
  private reject: (err: Error) => void = () => {};
  readonly finished: Promise<void>;

  constructor(
    private readonly expected: number,
    private readonly system: string,
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  one(length: number | undefined): void {
    if (length !== VALUE_BYTES) {
      this.reject(new Error(`${this.system}: read a record of ${length} bytes, expected ${VALUE_BYTES}`));
      return;
    }
    if (++this.received === this.expected) this.resolve();
  }
}

/** Scratch space to read a stamp without allocating a view per record. */
const stampBytes = new Uint8Array(8);
const stampValue = new Float64Array(stampBytes.buffer);

/** The scheduled send time written by stampedValue (little-endian, as on every supported CPU). */
function readStamp(value: Uint8Array): number {
  for (let i = 0; i < 8; i++) stampBytes[i] = value[i];
  return stampValue[0];
}

/** Collects end-to-end latency from stamped values until every paced record has arrived. */
export class LatencyCollector {
  private readonly recorder: LatencyRecorder;
  private received = 0;
  private measureFrom = 0;
  private firstAt = 0;
  private lastAt = 0;
  private done: () => void = () => {};
  readonly finished: Promise<void>;

  constructor(private readonly w: Workload) {
    const total = Math.round((w.latencyRate * w.latencyMs) / 1000);
    this.recorder = new LatencyRecorder(total);
    this.finished = new Promise((resolve) => (this.done = resolve));
  }

  /** Records the run sends: the workload's rate over its duration. */
  get total(): number {
    return this.recorder.capacity;
  }

  /** Call right before the paced producer starts. */
  begin(): void {
    this.measureFrom = performance.now() + this.w.warmupMs;
  }

  /** The timed part of every latency run: the clock starts, `p` sends at the workload's pace, then every record must arrive. */
  async pacedRun(p: { send(values: Buffer[]): Promise<void>; finish(): Promise<void> }, timeoutMs: number): Promise<LatencyResult> {
    this.begin();
    await pacedSend(this.w, (values) => p.send(values));
    await p.finish();
    return this.result(timeoutMs);
  }

  onValue(value: Uint8Array): void {
    this.onStamp(readStamp(value), performance.now());
  }

  /** A record stamped `scheduled` arrived at `now` (both performance.now() of this process). */
  onStamp(scheduled: number, now: number): void {
    if (this.received === 0) this.firstAt = now;
    this.lastAt = now;
    this.received++;
    if (scheduled >= this.measureFrom) this.recorder.record(now - scheduled);
    if (this.received === this.recorder.capacity) this.done();
  }

  /** Waits for all records, failing with a clear message when some never arrive. */
  async result(timeoutMs: number): Promise<LatencyResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`latency run: only ${this.received} of ${this.recorder.capacity} records arrived within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
    const s = this.recorder.snapshot();
    const span = (this.lastAt - this.firstAt) / 1000;
    return { ...s, achievedRate: span > 0 ? this.received / span : 0 };
  }
}

/**
 * Keeps up to `window` operations in flight: the pipelining every client here needs to reach its
 * throughput, with a bound so neither side buffers the whole run in memory.
 */
export class Window {
  private inFlight = 0;
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(private readonly size: number) {}

  /** Resolves when there is room for `n` more operations. */
  async acquire(n = 1): Promise<void> {
    while (this.inFlight + n > this.size && this.inFlight > 0) {
      await new Promise<void>((r) => (this.waiter = r));
      if (this.failure) throw this.failure;
    }
    if (this.failure) throw this.failure;
    this.inFlight += n;
  }

  release(n = 1): void {
    this.inFlight -= n;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  fail(err: Error): void {
    this.failure = err;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Resolves when nothing is in flight. */
  async drain(): Promise<void> {
    while (this.inFlight > 0) {
      await new Promise<void>((r) => (this.waiter = r));
      if (this.failure) throw this.failure;
    }
    if (this.failure) throw this.failure;
  }
}

/**
 * What a peer's probe() sets up and its phases use: the client connection (a phase run without a
 * successful probe() fails saying so), the server's pid for CPU sampling, and fresh names for the
 * stream, queue or key each phase creates and deletes.
 */
export class PeerClient<C> {
  client: C | null = null;
  serverPid: number | null = null;
  private seq = 0;

  constructor(private readonly system: string) {}

  use(): C {
    if (!this.client) throw new Error(`${this.system}: probe() must succeed before running`);
    return this.client;
  }

  /** tributary-bench-<pid>-<n>, with `separator` where a system does not allow dashes. */
  scratchName(separator = "-"): string {
    return ["tributary", "bench", process.pid, this.seq++].join(separator);
  }
}
