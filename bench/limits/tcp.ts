import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { freePort } from "../lib/net";

const run = promisify(execFile);

/** Size of each socket write: large writes show the ceiling, not per-call overhead. */
export const TCP_WRITE_BYTES = 1 << 20;

export interface TcpResult {
  bytes: number;
  seconds: number;
  mbPerSecond: number;
}

/**
 * The receiver runs in a worker thread (its own event loop and core) and reports the byte count
 * when the sender closes; written as plain JavaScript because workers evaluate it without tsx.
 */
const RECEIVER = `
const { parentPort } = require("node:worker_threads");
const net = require("node:net");
const server = net.createServer((socket) => {
  let bytes = 0;
  socket.on("data", (chunk) => { bytes += chunk.length; });
  socket.on("end", () => { parentPort.postMessage({ bytes }); server.close(); });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
`;

/** Node sender → Node receiver over 127.0.0.1: the throughput ceiling any Node broker sees. */
export async function nodeLoopback(totalBytes: number): Promise<TcpResult> {
  const worker = new Worker(RECEIVER, { eval: true });
  try {
    const [ready] = (await once(worker, "message")) as [{ port: number }];
    const received = once(worker, "message") as Promise<[{ bytes: number }]>;
    const socket = connect(ready.port, "127.0.0.1");
    await once(socket, "connect");
    const chunk = Buffer.alloc(TCP_WRITE_BYTES, 0x61);
    const start = performance.now();
    for (let sent = 0; sent < totalBytes; sent += chunk.length) {
      if (!socket.write(chunk)) await once(socket, "drain");
    }
    socket.end();
    const [{ bytes }] = await received;
    const seconds = (performance.now() - start) / 1000;
    if (bytes < totalBytes) throw new Error(`loopback receiver got ${bytes} of ${totalBytes} bytes`);
    return { bytes, seconds, mbPerSecond: bytes / 1e6 / seconds };
  } finally {
    await worker.terminate();
  }
}

/** iperf3 over loopback when it is installed: the kernel's ceiling without Node in the way. */
export async function iperf3Loopback(seconds: number): Promise<TcpResult | { skipped: string }> {
  try {
    await run("iperf3", ["--version"], { timeout: 5_000 });
  } catch {
    return { skipped: "iperf3 is not installed" };
  }
  const port = await freePort();
  const server = spawn("iperf3", ["-s", "-1", "-p", String(port), "-B", "127.0.0.1"], { stdio: "ignore" });
  try {
    // The server needs a moment to bind; retry the client rather than sleeping a guessed time.
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const { stdout } = await run("iperf3", ["-c", "127.0.0.1", "-p", String(port), "-t", String(seconds), "-J"], { timeout: (seconds + 10) * 1000 });
        const end = (JSON.parse(stdout) as { end: { sum_received: { bytes: number; seconds: number } } }).end.sum_received;
        return { bytes: end.bytes, seconds: end.seconds, mbPerSecond: end.bytes / 1e6 / end.seconds };
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`iperf3 client failed: ${(lastError as Error).message}`);
  } finally {
    server.kill();
  }
}
