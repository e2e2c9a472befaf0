import { Redis } from "ioredis";
import { ConsumeCount, LatencyCollector, makeValue, packageVersion, pidOf, PeerUnavailableError, timed, Window, type PeerSystem, type Workload } from "./workload";

const HOST = "127.0.0.1";
const PORT = 6379;
/** XADDs per pipeline: one write and one reply parse per this many records. */
const PIPELINE = 1_000;
/** Pipelines in flight, so the server never waits for the client between pipelines. */
const PIPELINES_IN_FLIGHT = 4;
/** Entries per XREAD. */
const READ_COUNT = 10_000;
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * Redis Streams: one XADD per record (one stream entry per record, as a log needs), pipelined;
 * XREAD with a large COUNT to read back. The server runs without AOF or RDB snapshots, so its
 * durability is memory only — the figures say so.
 */
export function redisStreams(): PeerSystem {
  const clients: Redis[] = [];
  let keySeq = 0;
  let serverPid: number | null = null;

  async function client(): Promise<Redis> {
    const r = new Redis({ host: HOST, port: PORT, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    await r.connect();
    clients.push(r);
    return r;
  }

  async function withKey<T>(work: (key: string) => Promise<T>): Promise<T> {
    const key = `tributary-bench-${process.pid}-${keySeq++}`;
    try {
      return await work(key);
    } finally {
      await clients[0].del(key);
    }
  }

  /** Sends values as pipelined XADDs, at most PIPELINES_IN_FLIGHT pipelines outstanding. */
  function producer(r: Redis, key: string) {
    const window = new Window(PIPELINES_IN_FLIGHT);
    return {
      async send(values: Buffer[]): Promise<void> {
        for (let i = 0; i < values.length; i += PIPELINE) {
          await window.acquire();
          const p = r.pipeline();
          const end = Math.min(values.length, i + PIPELINE);
          for (let j = i; j < end; j++) p.xadd(key, "*", "v", values[j]);
          p.exec().then(
            (replies) => {
              const failed = replies?.find(([err]) => err);
              if (failed) window.fail(new Error(`Redis XADD failed: ${failed[0]?.message}`));
              else window.release();
            },
            (err: Error) => window.fail(err),
          );
        }
      },
      finish: () => window.drain(),
    };
  }

  /** Reads the stream from its start until `count` entries arrived (or `stop` says so), handing each value to onValue. */
  async function reader(r: Redis, key: string, count: number, block: boolean, onValue: (v: Buffer) => void, stop = () => false): Promise<void> {
    let last = "0-0";
    let received = 0;
    while (received < count && !stop()) {
      const reply = block
        ? await r.xreadBuffer("COUNT", READ_COUNT, "BLOCK", 1_000, "STREAMS", key, last)
        : await r.xreadBuffer("COUNT", READ_COUNT, "STREAMS", key, last);
      if (!reply) {
        if (!block) throw new Error(`Redis: stream ${key} ended after ${received} of ${count} entries`);
        continue;
      }
      const entries = reply[0][1];
      for (const [, fields] of entries) onValue(fields[1]);
      received += entries.length;
      last = entries[entries.length - 1][0].toString();
    }
  }

  return {
    id: "redis",
    name: "Redis Streams",
    client: packageVersion("ioredis"),
    server: "not reached",
    durability: "in memory only: no AOF, no RDB snapshots (the server's configuration here); XADD is answered once applied in memory",
    settings: `XADD per record in pipelines of ${PIPELINE}, ${PIPELINES_IN_FLIGHT} pipelines in flight; XREAD COUNT ${READ_COUNT}`,

    async probe() {
      serverPid = await pidOf("redis-server");
      try {
        const r = await client();
        await r.ping();
        const info = await r.info("server");
        this.server = `redis-server ${/redis_version:(\S+)/.exec(info)?.[1] ?? "(version unknown)"}`;
      } catch (err) {
        for (const c of clients.splice(0)) c.disconnect();
        throw new PeerUnavailableError(`Redis at ${HOST}:${PORT} not reachable: ${(err as Error).message}`);
      }
    },

    async produceConsume(w: Workload) {
      const r = clients[0];
      return withKey(async (key) => {
        const value = makeValue();
        const values = new Array<Buffer>(w.records).fill(value);
        const produce = await timed(async () => {
          const p = producer(r, key);
          await p.send(values);
          await p.finish();
        }, serverPid);
        const consume = await timed(async () => {
          const count = new ConsumeCount(w.records, "Redis");
          await reader(r, key, w.records, false, (v) => count.one(v.length));
          await count.finished;
        }, serverPid);
        return { produce, consume };
      });
    },

    async latency(w: Workload) {
      const r = clients[0];
      const blockingReader = clients[1] ?? (await client());
      return withKey(async (key) => {
        const collector = new LatencyCollector(w);
        let stopped = false;
        const reading = reader(blockingReader, key, collector.total, true, (v) => collector.onValue(v), () => stopped);
        const producing = collector.pacedRun(producer(r, key), DRAIN_TIMEOUT_MS);
        try {
          const [, result] = await Promise.all([reading, producing]);
          return result;
        } finally {
          stopped = true;
        }
      });
    },

    async close() {
      await Promise.all(clients.splice(0).map((c) => c.quit()));
    },
  };
}
