import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import pino from "pino";
import { log } from "../../log";
import { Broker, type BrokerOptions } from "../broker";

import { eventually } from "@/server/testing/eventually";

export { eventually };

/**
 * A kafkajs consumer in `groupId` reading `topic` from the beginning, resolved once it has received
 * `atLeast` records; it stays a member of the group until the caller disconnects it.
 */
export async function groupConsumerAfter(kafka: Kafka, groupId: string, topic: string, atLeast: number, maxWaitTimeInMs: number) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  await consumer.run({ eachMessage: () => { received++; return Promise.resolve(); } });
  await eventually(() => received >= atLeast, 20_000, `${atLeast} records in group ${groupId}`);
  return consumer;
}

/** A real broker on an ephemeral port in a temp data dir, for tests that speak the Kafka protocol to it. */
export async function startTestBroker(opts: Partial<BrokerOptions> = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "tributary-broker-"));
  const broker = await Broker.start({ host: "127.0.0.1", port: 0, groupInitialRebalanceDelayMs: 0, ...opts, dataDir });
  return {
    broker,
    dataDir,
    bootstrap: broker.bootstrap,
    kafka: (clientId = "test") => new Kafka({ brokers: [broker.bootstrap], clientId, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } }),
    async stop(keepData = false) {
      await broker.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real broker in a child process (broker-child.ts), for tests that measure it from outside:
 * its RSS, its log lines (JSON, at TRIBUTARY_LOG_LEVEL info unless env says otherwise), and
 * latencies no in-process client could share.
 */
export async function startBrokerProcess(opts: Partial<BrokerOptions> = {}, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "tributary-broker-"));
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "broker-child.ts"), dataDir, JSON.stringify(opts)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: "info", ...env },
  });
  const logs: LogLine[] = [];
  const bootstrap = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the broker process exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const parsed = JSON.parse(line) as LogLine & { bootstrap?: string };
      if (parsed.bootstrap) resolve(parsed.bootstrap);
      else logs.push(parsed);
    });
  });
  return {
    bootstrap,
    logs,
    /** Resident memory of the broker process, from /proc. */
    rssBytes(): number {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1];
      return Number(kb) * 1024;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs kcat with the given arguments (and stdin), resolving with its output; rejects on a non-zero exit. */
export function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", args, { timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

export function spawnKcat(args: string[]) {
  return spawn("kcat", args, { stdio: ["pipe", "pipe", "pipe"] });
}

export interface LogLine {
  level: number;
  module?: string;
  msg: string;
  [key: string]: unknown;
}

/**
 * Collects what this process logs (at the test log level, warn and above) until stop(): every
 * module's logger writes to the root logger's stream, so one tap sees them all.
 */
export function captureLogs() {
  const stream = (log as unknown as Record<symbol, { write: (this: unknown, line: string) => boolean }>)[pino.symbols.streamSym];
  const original = stream.write;
  const lines: LogLine[] = [];
  stream.write = function (line: string) {
    lines.push(JSON.parse(line) as LogLine);
    return original.call(this, line);
  };
  return {
    lines,
    stop: () => {
      stream.write = original;
    },
  };
}

/** Whether the broker closed the socket within `timeoutMs` (false if it is still open then). */
export function closedWithin(s: Socket, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    s.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
