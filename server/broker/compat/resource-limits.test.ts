import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { createServer } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { testDatabases } from "../../../db/testing";
import { LoginLimiter } from "../../control/login-limiter";
import { WebAccess } from "../../control/web-access";
import { createRequestHandler } from "../../http";
import { Apis } from "../../kafka/messages";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { Broker, type BrokerOptions } from "../broker";
import { closedWithin, startBrokerProcess, startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** A broker and one raw connection to it, both stopped after the test. */
async function brokerWithConnection(opts: Partial<BrokerOptions> = {}) {
  const t = await startTestBroker(opts);
  stops.push(() => t.stop());
  const c = await TestConnection.open(t.bootstrap);
  stops.push(() => c.close());
  return { t, c };
}

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
  const c = await TestConnection.open(bootstrap);
  stops.push(() => c.close());
  const created = await c.request(Apis.CreateTopics, 5, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: "flush.messages", value: "1000000" }] }], timeoutMs: 5000, validateOnly: false });
  expect(created.topics[0].errorCode).toBe(0);
  const batch = encodeRecordBatch([{ value: Buffer.from("steady") }]);
  return async (intervalMs: number, durationMs: number) => {
    const latencies: number[] = [];
    const errors: number[] = [];
    const until = Date.now() + durationMs;
    while (Date.now() < until) {
      const started = performance.now();
      const res = await c.request(Apis.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: Buffer.from(batch) }] }] });
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

describe("request memory pool", () => {
  it("makes a request wait while the pool is held, and reads it as soon as memory returns", async () => {
    const { t, c } = await brokerWithConnection({ socketRequestMaxBytes: MB, queuedMaxRequestBytes: 2 * MB });
    const [a, b] = await Promise.all([open(t.bootstrap), open(t.bootstrap)]);
    stops.push(() => [a, b].forEach((s) => s.destroy()));
    unfinishedFrame(a, MB, MB / 2);
    unfinishedFrame(b, MB, MB / 2);
    await sleep(300);
    const started = Date.now();
    const answered = c.request(Apis.ApiVersions, 3, { clientSoftwareName: "waiter", clientSoftwareVersion: "1" }).then(() => Date.now() - started);
    await sleep(500);
    const { metrics } = await import("../../metrics/registry");
    expect((metrics.list("tributary_broker_connections_waiting_for_memory")[0] as { get(): number }).get()).toBe(1);
    expect((metrics.list("tributary_broker_request_memory_bytes")[0] as { get(): number }).get()).toBe(2 * MB);
    a.destroy();
    expect(await answered).toBeGreaterThanOrEqual(500);
    b.destroy();
    await sleep(100);
    expect((metrics.list("tributary_broker_request_memory_bytes")[0] as { get(): number }).get()).toBe(0);
  });

  it("closes a connection that cannot finish its frame within connections.max.idle.ms, however slowly it trickles", async () => {
    const t = await startTestBroker({ connectionsMaxIdleMs: 1500 });
    stops.push(() => t.stop());
    const s = await open(t.bootstrap);
    stops.push(() => void s.destroy());
    const head = Buffer.alloc(4);
    head.writeInt32BE(10 * MB);
    s.write(head);
    const trickle = setInterval(() => s.write(Buffer.alloc(1)), 200);
    const started = Date.now();
    const wasClosed = await closedWithin(s, 6000);
    clearInterval(trickle);
    expect(wasClosed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it("closes a connection that sends a frame over 512 KiB before authenticating, and serves small ones", async () => {
    const t = await startTestBroker({ sasl: { mechanisms: ["PLAIN"], users: { alice: "alice-pw" } } });
    stops.push(() => t.stop());
    const big = await open(t.bootstrap);
    stops.push(() => void big.destroy());
    const head = Buffer.alloc(4);
    head.writeInt32BE(512 * 1024 + 1);
    big.write(head);
    expect(await closedWithin(big, 3000)).toBe(true);
    const c = await TestConnection.open(t.bootstrap);
    stops.push(() => c.close());
    expect((await c.request(Apis.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode).toBe(0);
    expect((await c.request(Apis.SaslAuthenticate, 2, { authBytes: Buffer.from("\u0000alice\u0000alice-pw") })).errorCode).toBe(0);
    // Authenticated, the usual limit applies: a 900 KiB produce goes through.
    const batch = encodeRecordBatch([{ value: Buffer.alloc(900 * 1024, 1) }]);
    const res = await c.request(Apis.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "after-auth", partitionData: [{ index: 0, records: batch }] }] });
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(0);
  });

  it("refuses to start with a pool smaller than socket.request.max.bytes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tributary-pool-"));
    stops.push(() => rmSync(dataDir, { recursive: true, force: true }));
    await expect(Broker.start({ dataDir, host: "127.0.0.1", port: 0, socketRequestMaxBytes: 4 * MB, queuedMaxRequestBytes: 2 * MB })).rejects.toThrow(/queued.max.request.bytes \(2097152\) must be at least socket.request.max.bytes \(4194304\)/);
  });
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
    // A flood even when the fuzzer shares a busy machine's cores with the broker and this test.
    expect(sent / 12).toBeGreaterThan(500);
    expect(errors.every((e) => e === 0)).toBe(true);
    expect(p99).toBeLessThan(50);
  }, 90_000);
});

/** Calls probe back to back (at most every intervalMs) until stopped; returns each call's latency. */
function probing(probe: () => Promise<unknown>, intervalMs: number) {
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      await probe();
      latencies.push(performance.now() - started);
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return latencies;
    },
  };
}

const createTopics = (c: TestConnection, topics: { name: string; partitions: number }[]) =>
  c
    .request(Apis.CreateTopics, 5, { topics: topics.map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 120_000, validateOnly: false })
    .then((r) => r.topics as { name: string; errorCode: number; errorMessage: string | null; numPartitions: number }[]);

describe("topic creation", () => {
  it("of 2 × 10,000 partitions in one request keeps the broker and the console answering (probes never wait 1 s)", async () => {
    const t = await startTestBroker();
    stops.push(() => t.stop());
    const db = await testDatabases()[0].open();
    const database = db.database;
    stops.push(async () => {
      await database.close();
      await db.dispose();
    });
    const http = createServer(createRequestHandler({ database, version: "test", startedAt: Date.now(), loginLimiter: new LoginLimiter(), web: new WebAccess(), broker: { bootstrap: t.bootstrap, healthy: () => true, instance: t.broker } }, undefined));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    stops.push(() => new Promise<void>((r) => http.close(() => r())));
    const health = `http://127.0.0.1:${(http.address() as { port: number }).port}/api/trpc/health`;
    expect((await fetch(health)).status).toBe(200);
    const [creator, prober] = await Promise.all([TestConnection.open(t.bootstrap), TestConnection.open(t.bootstrap)]);
    stops.push(() => [creator, prober].forEach((c) => c.close()));

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const api = probing(() => prober.request(Apis.ApiVersions, 3, { clientSoftwareName: "probe", clientSoftwareVersion: "1" }), 50);
    const healthProbe = probing(async () => expect((await fetch(health)).status).toBe(200), 50);
    const started = performance.now();
    const created = await createTopics(creator, [
      { name: "wide-a", partitions: 10_000 },
      { name: "wide-b", partitions: 10_000 },
    ]);
    const took = performance.now() - started;
    const [apiLatencies, healthLatencies] = [await api.stop(), await healthProbe.stop()];
    loop.disable();
    console.log(`topic creation: 20,000 partitions in ${(took / 1000).toFixed(1)} s; ApiVersions max ${Math.max(...apiLatencies).toFixed(0)} ms over ${apiLatencies.length}, health max ${Math.max(...healthLatencies).toFixed(0)} ms over ${healthLatencies.length}; event loop delay max ${(loop.max / 1e6).toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms`);
    expect(created.map((c) => [c.errorCode, c.numPartitions])).toEqual([
      [0, 10_000],
      [0, 10_000],
    ]);
    expect(t.broker.logs.partitions("wide-b")).toHaveLength(10_000);
    expect(apiLatencies.length).toBeGreaterThan(3);
    expect(Math.max(...apiLatencies)).toBeLessThan(1000);
    expect(Math.max(...healthLatencies)).toBeLessThan(1000);
  }, 180_000);

  it("auto-creates at most 1,000 topics per Metadata request, and the client's retry creates the rest", async () => {
    const { t, c } = await brokerWithConnection();
    const names = Array.from({ length: 2000 }, (_, i) => `auto-${i}`);
    const metadata = () => c.request(Apis.Metadata, 9, { topics: names.map((name) => ({ name })), allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }).then((r) => r.topics.map((x) => x.errorCode));
    const first = await metadata();
    expect(first.filter((e) => e === 0)).toHaveLength(1000);
    expect(first.filter((e) => e === 5)).toHaveLength(1000); // LEADER_NOT_AVAILABLE: retriable
    expect((await metadata()).every((e) => e === 0)).toBe(true);
    expect(t.broker.logs.topics().filter((x) => x.name.startsWith("auto-"))).toHaveLength(2000);
  }, 120_000);

  it("answers topics past 1,000 in one CreateTopics with THROTTLING_QUOTA_EXCEEDED, creating the first 1,000", async () => {
    const { t, c } = await brokerWithConnection();
    const res = await createTopics(c, Array.from({ length: 1002 }, (_, i) => ({ name: `many-${i}`, partitions: 1 })));
    expect(res.slice(0, 1000).every((r) => r.errorCode === 0)).toBe(true);
    expect(res.slice(1000)).toMatchObject([
      { errorCode: 89, errorMessage: expect.stringMatching(/at most 1000 topics .* per request/) },
      { errorCode: 89 },
    ]);
    expect(t.broker.logs.topic("many-1000")).toBeUndefined();
  }, 120_000);

  it("refuses partitions past --max-partitions with POLICY_VIOLATION and a message, for CreateTopics, CreatePartitions and auto-creation", async () => {
    const { t, c } = await brokerWithConnection({ maxPartitions: 50 });
    // The internal topics (__consumer_offsets, __transaction_state) count against the limit too.
    const internal = t.broker.logs.totalPartitions;
    const res = await createTopics(c, [
      { name: "fits", partitions: 30 },
      { name: "too-many", partitions: 21 - internal },
      { name: "still-fits", partitions: 20 - internal },
    ]);
    expect(res.map((r) => r.errorCode)).toEqual([0, 44, 0]);
    expect(res[1].errorMessage).toMatch(new RegExp(`needs ${21 - internal} partitions, which would bring this broker to 51, over its limit of 50 \\(--max-partitions\\)`));
    const grow = await c.request(Apis.CreatePartitions, 2, { topics: [{ name: "fits", count: 31, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(grow.results[0]).toMatchObject({ errorCode: 44, errorMessage: expect.stringMatching(/--max-partitions/) });
    const auto = await c.request(Apis.Metadata, 9, { topics: [{ name: "auto" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    expect(auto.topics[0].errorCode).toBe(44);
    expect(t.broker.logs.totalPartitions).toBe(50);
  });
});
