import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import pino from "pino";
import { log } from "../../log";
import { Broker, type BrokerOptions } from "../broker";

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

export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
  const stream = (log as unknown as Record<symbol, { write(line: string): boolean }>)[pino.symbols.streamSym];
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
