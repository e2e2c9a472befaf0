import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBroker } from "../../broker/compat/harness";
import { ApiKey, Apis } from "../messages";
import { responseFrame } from "../protocol";
import { KafkaClient, KafkaClientError } from "./index";
import { startTestProxy } from "./testing";

describe("SASL", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    t = await startTestBroker({ sasl: { mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], users: { alice: "s3cret" } } });
  });
  afterAll(() => t.stop());

  for (const mechanism of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
    it(`authenticates with ${mechanism}, produces and reads back`, async () => {
      const client = new KafkaClient({ bootstrap: [t.bootstrap], sasl: { mechanism, username: "alice", password: "s3cret" } });
      try {
        const topic = `sasl-${mechanism.toLowerCase()}`;
        const [m] = await client.producer().send([{ topic, value: Buffer.from(mechanism) }]);
        const [f] = await client.fetch([{ topic, partition: m.partition, offset: m.offset }]);
        expect(f.records[0].value!.toString()).toBe(mechanism);
      } finally {
        await client.close();
      }
    });
  }

  it("a wrong password fails at once (no retries) saying what to check", async () => {
    const client = new KafkaClient({ bootstrap: [t.bootstrap], sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "wrong" }, retries: 5 });
    const started = Date.now();
    const err = await client.admin.metadata().catch((e: unknown) => e);
    await client.close();
    expect(err).toBeInstanceOf(KafkaClientError);
    expect((err as KafkaClientError).message).toMatch(/SASL_AUTHENTICATION_FAILED.*check the SASL username, password and mechanism/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("a client without SASL is refused by a SASL broker", async () => {
    const client = new KafkaClient({ bootstrap: [t.bootstrap], retries: 0 });
    await expect(client.admin.metadata()).rejects.toThrow(/NETWORK_EXCEPTION/);
    await client.close();
  });
});

describe("TLS", () => {
  let dir: string;
  let cert: string;
  let key: string;
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tributary-tls-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
    key = readFileSync(join(dir, "key.pem"), "utf8");
    proxy = await startTestProxy({ tls: { key, cert } });
    // The broker advertises the TLS proxy, so every connection the client makes is TLS.
    t = await startTestBroker({ advertisedPort: proxy.port });
    proxy.target(`127.0.0.1:${t.broker.address().port}`);
  });
  afterAll(async () => {
    await proxy.close();
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("speaks to a broker behind TLS with a CA the test made", async () => {
    const client = new KafkaClient({ bootstrap: [proxy.address], tls: { ca: cert } });
    try {
      const [m] = await client.producer().send([{ topic: "tls-t", value: Buffer.from("over tls") }]);
      const [f] = await client.fetch([{ topic: "tls-t", partition: m.partition, offset: m.offset }]);
      expect(f.records[0].value!.toString()).toBe("over tls");
    } finally {
      await client.close();
    }
  });

  it("refuses a certificate it cannot verify, naming the TLS connection", async () => {
    const client = new KafkaClient({ bootstrap: [proxy.address], tls: true, retries: 0 });
    await expect(client.admin.metadata()).rejects.toThrow(/TLS connection to 127\.0\.0\.1:\d+: NETWORK_EXCEPTION \(self.signed certificate/);
    await client.close();
  });
});

/**
 * A broker that answers ApiVersions with the given ranges, and other requests with `answer` (or
 * closes the connection); it records the version of every request.
 */
async function fakeBroker(versions: [number, number, number][], apiVersionsMax = 3, answer?: (apiKey: number, version: number, correlationId: number) => Buffer[] | null) {
  const seen: { apiKey: number; version: number }[] = [];
  const server = createServer((s: Socket) => {
    let buf = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const id = frame.readInt32BE(4);
        if (apiKey !== ApiKey.ApiVersions) {
          seen.push({ apiKey, version });
          const frame = answer?.(apiKey, version, id);
          if (!frame) return void s.destroy();
          for (const chunk of frame) s.write(chunk);
          continue;
        }
        // Answer in v0 (classic array): an UNSUPPORTED_VERSION answer always is, and v0 otherwise keeps this short.
        const tooNew = version > apiVersionsMax;
        const list: [number, number, number][] = tooNew ? [[ApiKey.ApiVersions, 0, apiVersionsMax]] : versions;
        const body = Buffer.alloc(2 + 4 + list.length * 6);
        body.writeInt16BE(tooNew ? 35 : 0, 0);
        body.writeInt32BE(list.length, 2);
        list.forEach(([k, min, max], i) => {
          body.writeInt16BE(k, 6 + i * 6);
          body.writeInt16BE(min, 8 + i * 6);
          body.writeInt16BE(max, 10 + i * 6);
        });
        const head = Buffer.alloc(8);
        head.writeInt32BE(4 + body.length, 0);
        head.writeInt32BE(id, 4);
        if (!tooNew) seen.push({ apiKey, version });
        s.write(Buffer.concat([head, body]));
      }
    });
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("timeouts", () => {
  it("a broker that accepts the connection but never answers fails the request after requestTimeoutMs, naming it", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const client = new KafkaClient({ bootstrap: [address], requestTimeoutMs: 300, retries: 1, retryBackoffMs: 10 });
    const started = Date.now();
    await expect(client.admin.metadata()).rejects.toThrow(/ApiVersions to 127\.0\.0\.1:\d+: REQUEST_TIMED_OUT \(no answer within 300 ms\)/);
    expect(Date.now() - started).toBeLessThan(5000);
    await client.close();
    silent.close();
  });
});

describe("pipelining", () => {
  it("keeps at most maxInFlight requests unanswered on a connection, and answers each to its caller", async () => {
    const real = await startTestBroker();
    const proxy = await startTestProxy();
    proxy.target(real.bootstrap);
    const client = new KafkaClient({ bootstrap: [proxy.address], maxInFlight: 3 });
    try {
      const topics = Array.from({ length: 20 }, (_, i) => `pipelined-${i}`);
      const answers = await Promise.all(topics.map((name) => client.admin.createTopics([{ name, numPartitions: 1 + (name.length % 3) }]).then(() => client.admin.metadata([name]))));
      answers.forEach((md, i) => expect(md.topics.map((x) => x.name)).toEqual([topics[i]]));
      expect(proxy.maxOutstanding).toBeGreaterThan(1);
      expect(proxy.maxOutstanding).toBeLessThanOrEqual(3);
    } finally {
      await client.close();
      await proxy.close();
      await real.stop();
    }
  });
});

describe("version negotiation", () => {
  it("finds a coordinator with a single-key FindCoordinator on brokers before v4, then talks to it", async () => {
    const real = await startTestBroker();
    await real.broker.logs.createTopic("t", { partitions: 1 });
    const [host, port] = real.bootstrap.split(":");
    const broker = await fakeBroker([[ApiKey.ApiVersions, 0, 2], [ApiKey.FindCoordinator, 0, 2]], 2, (apiKey, version, id) =>
      apiKey === ApiKey.FindCoordinator ? responseFrame(Apis.FindCoordinator, version, id, { errorCode: 0, nodeId: 0, host, port: Number(port) }) : null,
    );
    const client = new KafkaClient({ bootstrap: [broker.address], retries: 0 });
    try {
      await client.admin.commitOffsets("old-style", [{ topic: "t", partition: 0, offset: 5 }]);
      expect((await client.admin.fetchOffsets("old-style")).map((o) => o.offset)).toEqual([5]);
      expect(broker.seen.filter((x) => x.apiKey === ApiKey.FindCoordinator).map((x) => x.version)).toEqual([2]);
    } finally {
      await client.close();
      await broker.close();
      await real.stop();
    }
  });

  it("retries ApiVersions at the broker's version and sends each API at the highest common one", async () => {
    const broker = await fakeBroker([[ApiKey.ApiVersions, 0, 2], [ApiKey.Metadata, 4, 7]], 2);
    const client = new KafkaClient({ bootstrap: [broker.address], retries: 0 });
    await client.admin.metadata().catch(() => undefined);
    await client.close();
    await broker.close();
    expect(broker.seen).toEqual([{ apiKey: ApiKey.ApiVersions, version: 2 }, { apiKey: ApiKey.Metadata, version: 7 }]);
  });

  it("fails clearly when the broker offers no version this client speaks (KIP-896 removals, or an API it lacks)", async () => {
    const broker = await fakeBroker([[ApiKey.ApiVersions, 0, 2], [ApiKey.Metadata, 13, 20]], 2);
    const client = new KafkaClient({ bootstrap: [broker.address], retries: 0 });
    await expect(client.admin.metadata()).rejects.toThrow(/Metadata to broker 127\.0\.0\.1:\d+: UNSUPPORTED_VERSION \(the broker offers it v13-20, this client speaks v1-12\); upgrade the broker/);
    await expect(client.admin.listGroups()).rejects.toThrow(/UNSUPPORTED_VERSION/);
    await client.close();
    await broker.close();
  });
});
