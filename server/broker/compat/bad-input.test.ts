import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestMetrics } from "../metrics";
import { APIS, ApiKey, Apis } from "../../kafka/messages";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { closedWithin, eventually, kcat, startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";
import { ErrorCode } from "../../kafka/errors";

function open(bootstrap: string): Promise<Socket> {
  const [host, port] = bootstrap.split(":");
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), host, () => resolve(s));
    s.once("error", reject);
  });
}

describe("bad input on the Kafka listener", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    t = await startTestBroker({ socketRequestMaxBytes: 1024 * 1024 });
    await kcat(["-b", t.bootstrap, "-P", "-t", "survivor", "-p", "0"], "before\n");
  });
  afterAll(() => t.stop());

  it("closes a connection announcing a frame over socket.request.max.bytes, before reading it", async () => {
    const s = await open(t.bootstrap);
    const size = Buffer.alloc(4);
    size.writeInt32BE(50 * 1024 * 1024);
    s.write(size);
    expect(await closedWithin(s)).toBe(true);
  });

  it("closes a connection that sends garbage or a truncated request, and keeps serving others", async () => {
    const idle = await open(t.bootstrap); // another client, connected throughout
    const garbage = await open(t.bootstrap);
    garbage.write(Buffer.from([0, 0, 0, 8, 0xff, 0xee, 0xdd, 0xcc, 1, 2, 3, 4]));
    expect(await closedWithin(garbage)).toBe(true);

    // A Produce v3 header that ends before its body.
    const truncated = await open(t.bootstrap);
    const body = Buffer.from([0, 0, 0, 3, 0, 0, 0, 7, 0xff, 0xff, 0, 1]);
    const frame = Buffer.concat([Buffer.alloc(4), body]);
    frame.writeInt32BE(body.length);
    truncated.write(frame);
    expect(await closedWithin(truncated)).toBe(true);

    expect(idle.destroyed).toBe(false);
    await kcat(["-b", t.bootstrap, "-P", "-t", "survivor", "-p", "0"], "after\n");
    const out = await kcat(["-b", t.bootstrap, "-C", "-t", "survivor", "-p", "0", "-o", "beginning", "-e"]);
    expect(out.trim().split("\n")).toEqual(["before", "after"]);
    idle.destroy();
  });

  it("rejects a corrupt record batch with CORRUPT_MESSAGE and appends nothing", async () => {
    const { encodeRecordBatch } = await import("../../kafka/records/batch");
    const batch = encodeRecordBatch([{ value: Buffer.from("tampered") }]);
    batch[batch.length - 1] ^= 0xff; // breaks the CRC
    const produce = produceRequest("survivor", 0, batch);
    const s = await open(t.bootstrap);
    const response = await new Promise<Buffer>((resolve) => {
      let acc = Buffer.alloc(0);
      s.on("data", (d) => {
        acc = Buffer.concat([acc, d]);
        if (acc.length >= 4 && acc.length >= 4 + acc.readInt32BE(0)) resolve(acc);
      });
      s.write(produce);
    });
    s.destroy();
    // Response v3: correlation id, [topic name, [partition, error code, ...]]
    let pos = 8; // size + correlation id
    pos += 4; // topics array length
    const nameLen = response.readInt16BE(pos);
    pos += 2 + nameLen + 4 + 4; // name, partitions array length, partition index
    expect(response.readInt16BE(pos)).toBe(ErrorCode.CORRUPT_MESSAGE);
    const out = await kcat(["-b", t.bootstrap, "-C", "-t", "survivor", "-p", "0", "-o", "beginning", "-e"]);
    expect(out).not.toContain("tampered");
  });
});

describe("random request bodies for every API and version", () => {
  it("close only the sender's connection; the broker keeps serving and its topics stay readable", async () => {
    const t = await startTestBroker();
    try {
      await kcat(["-b", t.bootstrap, "-P", "-t", "fuzzed", "-p", "0"], "kept\n");
      let seed = 42;
      const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      let sent = 0;
      for (const api of APIS.values()) {
        if (api.key === ApiKey.SaslHandshake || api.key === ApiKey.SaslAuthenticate) continue;
        for (let v = api.servedMinVersion; v <= api.maxVersion; v++) {
          for (let n = 0; n < 3; n++) {
            const s = await open(t.bootstrap);
            const body = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
            const head = Buffer.alloc(14);
            head.writeInt32BE(10 + body.length, 0);
            head.writeInt16BE(api.key, 4);
            head.writeInt16BE(v, 6);
            head.writeInt32BE(n, 8);
            head.writeInt16BE(-1, 12); // null client id
            s.write(Buffer.concat([head, body]));
            s.on("error", () => undefined);
            await new Promise((r) => setTimeout(r, 5));
            s.destroy();
            sent++;
          }
        }
      }
      expect(sent).toBeGreaterThan(300);
      const c = await TestConnection.open(t.bootstrap);
      expect((await c.request(Apis.ApiVersions, 3, { clientSoftwareName: "after", clientSoftwareVersion: "1" })).errorCode).toBe(0);
      c.close();
      const out = await kcat(["-b", t.bootstrap, "-C", "-t", "fuzzed", "-p", "0", "-o", "beginning", "-e"]);
      expect(out.trim()).toBe("kept");
    } finally {
      await t.stop();
    }
  }, 60_000);
});

/** A Produce v3 request with one partition's records, built by hand. */
function produceRequest(topic: string, partition: number, records: Buffer): Buffer {
  const name = Buffer.from(topic);
  const client = Buffer.from("raw");
  const parts = [
    Buffer.from([0, 0, 0, 3, 0, 0, 0, 42]), // api key 0, version 3, correlation 42
    Buffer.from([0, client.length]),
    client,
    Buffer.from([0xff, 0xff]), // transactional id null
    Buffer.from([0xff, 0xff]), // acks -1
    Buffer.from([0, 0, 0x75, 0x30]), // timeout
    Buffer.from([0, 0, 0, 1, 0, name.length]),
    name,
    Buffer.from([0, 0, 0, 1]),
    Buffer.from([0, 0, 0, partition]),
    Buffer.alloc(4),
    records,
  ];
  parts[parts.length - 2].writeInt32BE(records.length);
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe("connection limits", () => {
  it("refuses connections beyond the limit and accepts again once one closes", async () => {
    const t = await startTestBroker({ maxConnections: 3 });
    try {
      const held = await Promise.all([open(t.bootstrap), open(t.bootstrap), open(t.bootstrap)]);
      await eventually(() => t.broker.connectionCount === 3 || undefined, 5000, "three connections");
      const extra = await open(t.bootstrap);
      expect(await closedWithin(extra)).toBe(true);
      held[0].destroy();
      await eventually(() => t.broker.connectionCount === 2 || undefined, 5000, "a slot to free up");
      const c = await TestConnection.open(t.bootstrap);
      expect((await c.request(Apis.ApiVersions, 2, {})).errorCode).toBe(0);
      c.close();
      for (const s of held) s.destroy();
    } finally {
      await t.stop();
    }
  });

  it("closes connections idle longer than connections.max.idle.ms, but not one waiting in a long poll", async () => {
    const t = await startTestBroker({ connectionsMaxIdleMs: 400 });
    try {
      const polling = await TestConnection.open(t.bootstrap);
      await polling.request(Apis.Metadata, 9, { topics: [{ name: "quiet" }], allowAutoTopicCreation: true });
      const idle = await open(t.bootstrap);
      const started = Date.now();
      const poll = polling.request(Apis.Fetch, 11, { replicaId: -1, maxWaitMs: 1200, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "quiet", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
      expect(await closedWithin(idle, 3000)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1200);
      const res = await poll; // answered at max.wait.ms, on a connection that stayed open
      expect(res.errorCode).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
      expect(await closedWithin(polling.socket, 3000)).toBe(true); // and closed once idle afterwards
    } finally {
      await t.stop();
    }
  });

  it("keeps serving everyone while a client that never reads its responses piles up fetches", async () => {
    const t = await startTestBroker();
    try {
      const value = Buffer.alloc(1000, 0x7a);
      const big = encodeRecordBatch(Array.from({ length: 1000 }, () => ({ value })));
      const loader = await TestConnection.open(t.bootstrap);
      for (let i = 0; i < 8; i++) {
        const res = await loader.request(Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "heavy", partitionData: [{ index: 0, records: Buffer.from(big) }] }] });
        expect(res.responses[0].partitionResponses[0].errorCode).toBe(0);
      }
      loader.close();
      // The stalled client asks for ~8 MB, 200 times over, and reads nothing back.
      const stalled = await TestConnection.open(t.bootstrap);
      stalled.socket.pause();
      const fetch = () => stalled.request(Apis.Fetch, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 16 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "heavy", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 16 << 20 }] }], forgottenTopicsData: [], rackId: "" });
      const fetches = requestMetrics("Fetch").count;
      const before = fetches.value;
      // Their responses never get read; closing the socket at the end fails them, as expected.
      for (let i = 0; i < 200; i++) fetch().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      // The broker stopped reading from the stalled socket instead of buffering 200 responses.
      const handled = fetches.value - before;
      expect(handled).toBeGreaterThan(0);
      expect(handled).toBeLessThanOrEqual(20);
      // Everyone else is served promptly meanwhile.
      const started = Date.now();
      for (let i = 0; i < 20; i++) await kcat(["-b", t.bootstrap, "-P", "-t", "light", "-p", "0"], `m${i}\n`);
      const out = await kcat(["-b", t.bootstrap, "-C", "-t", "light", "-p", "0", "-o", "beginning", "-e"]);
      expect(out.trim().split("\n")).toHaveLength(20);
      expect(Date.now() - started).toBeLessThan(15_000);
      stalled.close();
    } finally {
      await t.stop();
    }
  });
});
