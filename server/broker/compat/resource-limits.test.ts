import { execFile } from "node:child_process";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKey } from "../../kafka/messages";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { startBrokerProcess } from "./harness";
import { RawClient } from "./raw-client";

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

function open(bootstrap: string): Promise<Socket> {
  const [host, port] = bootstrap.split(":");
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), host, () => resolve(s));
    s.once("error", reject);
  });
}

/** Announces a frame of `size` bytes and sends `send` bytes of it, as fast as the broker takes them; never finishes it. */
function unfinishedFrame(s: Socket, size: number, send: number): { sent: () => number } {
  let sent = 0;
  const chunk = Buffer.alloc(MB);
  const head = Buffer.alloc(4);
  head.writeInt32BE(size);
  s.write(head);
  s.on("error", () => undefined);
  const pump = () => {
    while (sent < send && !s.destroyed) {
      const n = Math.min(chunk.length, send - sent);
      sent += n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once("drain", pump);
    }
  };
  pump();
  return { sent: () => sent };
}

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** One record per produce, acks=1, on a topic that acknowledges from the page cache: the latency is the broker's, not the disk's. */
async function pacedProducer(bootstrap: string, topic: string) {
  const c = await RawClient.open(bootstrap);
  stops.push(() => c.close());
  const created = await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: "flush.messages", value: "1000000" }] }], timeoutMs: 5000, validateOnly: false });
  expect(created.topics[0].errorCode).toBe(0);
  const batch = encodeRecordBatch([{ value: Buffer.from("steady") }]);
  return async (intervalMs: number, durationMs: number) => {
    const latencies: number[] = [];
    const errors: number[] = [];
    const until = Date.now() + durationMs;
    while (Date.now() < until) {
      const started = performance.now();
      const res = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: Buffer.from(batch) }] }] });
      latencies.push(performance.now() - started);
      errors.push(res.responses[0].partitionResponses[0].errorCode);
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
    return { latencies, errors };
  };
}

describe("request memory", () => {
  it("stays bounded while 20 connections each send 95 MB of an unfinished frame, and a producer keeps getting answers", async () => {
    const b = await startBrokerProcess();
    stops.push(() => b.stop());
    const produce = await pacedProducer(b.bootstrap, "steady");
    await produce(50, 500); // warm up: code paths and buffers the producer itself needs
    const baseline = b.rssBytes();
    const attackers = await Promise.all(Array.from({ length: 20 }, () => open(b.bootstrap)));
    stops.push(() => attackers.forEach((s) => s.destroy()));
    const frames = attackers.map((s) => unfinishedFrame(s, 99_000_000, 95_000_000));
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, b.rssBytes())), 100);
    const { latencies, errors } = await produce(200, 12_000);
    clearInterval(sampler);
    const growthMb = (peak - baseline) / MB;
    const sentMb = frames.reduce((n, f) => n + f.sent(), 0) / MB;
    console.log(`request memory: RSS ${(baseline / MB).toFixed(0)} MB -> peak ${(peak / MB).toFixed(0)} MB (+${growthMb.toFixed(0)} MB) while the attackers pushed ${sentMb.toFixed(0)} MB; producer max ${Math.max(...latencies).toFixed(1)} ms over ${latencies.length} requests`);
    expect(growthMb).toBeLessThan(400);
    expect(errors.every((e) => e === 0)).toBe(true);
    expect(latencies.length).toBeGreaterThan(40);
    expect(Math.max(...latencies)).toBeLessThan(2000);
  }, 90_000);
});

describe("malformed frames", () => {
  it("a flood of them from several connections does not slow a paced producer (p99 under 50 ms)", async () => {
    const b = await startBrokerProcess();
    stops.push(() => b.stop());
    const produce = await pacedProducer(b.bootstrap, "steady");
    await produce(20, 1000);
    const fuzz = promisify(execFile)(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fuzz-child.ts"), b.bootstrap, "6", "12"], { timeout: 60_000 });
    await sleep(1000);
    const { latencies, errors } = await produce(20, 10_000);
    const { stdout } = await fuzz;
    const sent = (JSON.parse(stdout) as { sent: number }).sent;
    const p99 = percentile(latencies, 0.99);
    console.log(`malformed frames: ${sent} frames in 12 s (${Math.round(sent / 12)}/s); producer p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms over ${latencies.length} requests`);
    expect(sent / 12).toBeGreaterThan(1000);
    expect(errors.every((e) => e === 0)).toBe(true);
    expect(p99).toBeLessThan(50);
  }, 90_000);
});
