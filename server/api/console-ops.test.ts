import { TRPCError } from "@trpc/server";
import { randomUUID } from "node:crypto";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { testDatabases } from "@/db/testing";
import { startTestBroker } from "../broker/compat/harness";
import type { BrowseResult } from "../admin/browse";
import { ClusterConnections } from "../admin/clusters";
import { LoginLimiter } from "../control/login-limiter";
import { WebAccess } from "../control/web-access";
import { createUser, ensureAdmin, findUserByName } from "../control/users";
import { LagSampler } from "../metrics/lag";
import { metrics } from "../metrics/registry";
import { SeriesSampler } from "../metrics/series";
import { appRouter } from "./root";
import { createCallerFactory, type Services } from "./trpc";

type Started = Awaited<ReturnType<typeof startTestBroker>>;

const T0 = Date.parse("2026-01-01T00:00:00Z");

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The browse subscription's final page. */
async function page(it: AsyncIterable<unknown>): Promise<BrowseResult> {
  const events = (await collect(it)) as ({ result: BrowseResult } | { progress: unknown })[];
  const last = events[events.length - 1];
  if (!last || !("result" in last)) throw new Error("browse ended without a result");
  return last.result;
}

/** The sequence number the test producer put in each record's JSON value. */
function seq(m: BrowseResult["records"][number]): number {
  return (JSON.parse(m.value!.data) as { n: number }).n;
}

async function rejects(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("console operations over the Kafka protocol (real brokers, PGlite)", () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let main: Started;
  let other: Started;
  let clusters: ClusterConnections;
  let sampler: SeriesSampler;
  let services: Services;
  let producer: Producer;

  async function as(username: string, signal?: AbortSignal) {
    const user = await findUserByName(database.db, username);
    return createCallerFactory(appRouter)(
      {
      services,
      db: database.db,
      user,
      sessionToken: undefined,
      requestId: randomUUID(),
      clientAddress: "127.0.0.1",
      https: false,
      userAgent: "test",
      setCookie: () => undefined,
      audit: {},
      },
      { signal },
    );
  }

  beforeAll(async () => {
    let target;
    ({ database, dispose } = await (target = testDatabases()[0]).open());
    expect(target.name).toBe("pglite");
    await ensureAdmin(database.db, "admin-password");
    await createUser(database.db, { username: "vera", password: "viewer-password", role: "viewer" });
    await createUser(database.db, { username: "otto", password: "operator-password", role: "operator" });
    main = await startTestBroker();
    other = await startTestBroker();
    clusters = new ClusterConnections(database.db, main.bootstrap);
    sampler = new SeriesSampler(metrics);
    services = {
      database,
      version: "test",
      startedAt: Date.now(),
      loginLimiter: new LoginLimiter(),
      web: new WebAccess(),
      broker: { bootstrap: main.bootstrap, healthy: () => true, instance: main.broker },
      clusters,
      sampler,
    };
    producer = main.kafka().producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await clusters?.close();
    await main?.stop();
    await other?.stop();
    await database?.close();
    await dispose?.();
  });

  it("creates a topic with configs, refusing bad names, duplicates and non-admins", async () => {
    const admin = await as("admin");
    const bad = await rejects(admin.topics.create({ cluster: "embedded", name: "bad name!", partitions: 1 }));
    expect(bad.code).toBe("BAD_REQUEST");
    const viewer = await as("vera");
    expect((await rejects(viewer.topics.create({ cluster: "embedded", name: "orders", partitions: 3 }))).code).toBe("FORBIDDEN");

    await admin.topics.create({ cluster: "embedded", name: "orders", partitions: 3, configs: { "retention.ms": "3600000" } });
    const dup = await rejects(admin.topics.create({ cluster: "embedded", name: "orders", partitions: 3 }));
    expect(dup.code).toBe("CONFLICT");
    const badConfig = await rejects(admin.topics.create({ cluster: "embedded", name: "typo", partitions: 1, configs: { "retention.mss": "1" } }));
    expect(badConfig.code).toBe("BAD_REQUEST");
    expect(badConfig.message).toMatch(/INVALID_CONFIG.*check the config names and values/);

    const list = await viewer.topics.list({ cluster: "embedded" });
    expect(list.find((t) => t.name === "orders")).toMatchObject({ partitions: 3, records: 0, retentionMs: 3600000, cleanupPolicy: "delete", internal: false });
    expect(list.some((t) => t.name === "typo")).toBe(false);
  });

  it("lists sizes, record counts and partitions after records arrive", async () => {
    await producer.send({
      topic: "orders",
      messages: Array.from({ length: 30 }, (_, i) => ({
        partition: i % 3,
        key: `k${i % 5}`,
        value: JSON.stringify({ n: i, amount: i * 10 }),
        timestamp: String(T0 + i * 1000),
        headers: { source: i % 2 ? "web" : "app" },
      })),
    });
    sampler.sample(Date.now());
    const viewer = await as("vera");
    const row = (await viewer.topics.list({ cluster: "embedded" })).find((t) => t.name === "orders")!;
    expect(row.records).toBe(30);
    expect(row.sizeBytes).toBeGreaterThan(30 * 20);
    const t = await viewer.topics.get({ cluster: "embedded", topic: "orders" });
    expect(t.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset, p.leader])).toEqual([
      [0, 0, 10, 0],
      [1, 0, 10, 0],
      [2, 0, 10, 0],
    ]);
    expect(t.configs.find((c) => c.name === "retention.ms")).toMatchObject({ value: "3600000", override: true });
    expect(t.configs.find((c) => c.name === "cleanup.policy")).toMatchObject({ value: "delete", override: false });
  });

  it("pages through every record once, forward from earliest, by offset and by timestamp", async () => {
    const viewer = await as("vera");
    const seen: string[] = [];
    let start: { kind: "earliest" } | { kind: "positions"; positions: Record<string, number> } = { kind: "earliest" };
    for (let i = 0; i < 4; i++) {
      const r = await page(await viewer.messages.browse({ cluster: "embedded", topic: "orders", start, limit: 8 }));
      seen.push(...r.records.map((m) => `${m.partition}:${m.offset}`));
      start = { kind: "positions", positions: r.next };
      if (i < 3) expect(r.records).toHaveLength(8);
      else expect(r.stoppedBy).toBe("end");
    }
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);

    const first = await page(await viewer.messages.browse({ cluster: "embedded", topic: "orders", start: { kind: "earliest" }, limit: 3 }));
    // Merged by timestamp: records 0, 1, 2 sit in partitions 0, 1, 2.
    expect(first.records.map(seq)).toEqual([0, 1, 2]);
    expect(first.records[0]).toMatchObject({ key: { data: "k0", encoding: "utf8" }, timestamp: T0, headers: [{ key: "source", value: { data: "app" } }] });
    expect(first.records[0].size).toBeGreaterThan(10);

    const byOffset = await page(await viewer.messages.browse({ cluster: "embedded", topic: "orders", partitions: [1, 1], start: { kind: "offset", offset: 7 }, limit: 10 }));
    expect(byOffset.records.map((m) => m.offset)).toEqual([7, 8, 9]);
    expect(byOffset.records.every((m) => m.partition === 1)).toBe(true);
    expect(byOffset.total).toBe(3);
    const unknown = await rejects(collect(await viewer.messages.browse({ cluster: "embedded", topic: "orders", partitions: [7], start: { kind: "earliest" } })));
    expect(unknown).toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/has no partition 7/) });

    const byTime = await page(await viewer.messages.browse({ cluster: "embedded", topic: "orders", start: { kind: "timestamp", timestamp: T0 + 25_000 }, limit: 50 }));
    expect(byTime.records.map(seq).sort((a, b) => a - b)).toEqual([25, 26, 27, 28, 29]);

    const latest = await page(await viewer.messages.browse({ cluster: "embedded", topic: "orders", partitions: [0], start: { kind: "latest" }, limit: 2 }));
    expect(latest.records.map((m) => m.offset)).toEqual([8, 9]);
  });

  it("filters by key, header, text and JSONata on the server, bounded by the scan limit", async () => {
    const viewer = await as("vera");
    const run = (filters: object, extra: object = {}) => viewer.messages.browse({ cluster: "embedded", topic: "orders", start: { kind: "earliest" }, limit: 100, filters, ...extra });
    const byKey = await page(await run({ key: "k3" }));
    expect(byKey.records.map(seq).sort((a, b) => a - b)).toEqual([3, 8, 13, 18, 23, 28]);
    expect(byKey).toMatchObject({ scanned: 30, total: 30, stoppedBy: "end" });
    const byHeader = await page(await run({ header: { name: "source", value: "web" } }));
    expect(byHeader.records).toHaveLength(15);
    const byText = await page(await run({ text: '"amount":290' }));
    expect(byText.records.map((m) => m.offset)).toEqual([9]);
    const byExpr = await page(await run({ jsonata: "amount >= 250 and n % 2 = 0" }));
    expect(byExpr.records.map(seq).sort((a, b) => a - b)).toEqual([26, 28]);
    const bounded = await page(await run({ key: "nobody" }, { scanLimit: 12 }));
    expect(bounded).toMatchObject({ stoppedBy: "scanLimit", scanned: 12, matched: 0, total: 12 });
    const bad = await rejects(collect(await run({ jsonata: "amount >" })));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/JSONata expression does not parse/);
  });

  it("stops a scan when cancelled", async () => {
    const ac = new AbortController();
    ac.abort();
    const caller = await as("vera", ac.signal);
    const r = await page(await caller.messages.browse({ cluster: "embedded", topic: "orders", start: { kind: "earliest" }, limit: 100, filters: { key: "none" } }));
    expect(r.stoppedBy).toBe("cancelled");
    expect(r.scanned).toBe(0);
  });

  it("produces from the console for operators only, validating JSON, and in batches", async () => {
    const viewer = await as("vera");
    const operator = await as("otto");
    expect((await rejects(viewer.messages.produce({ cluster: "embedded", topic: "orders", key: "x", value: "1", headers: [] }))).code).toBe("FORBIDDEN");
    const badJson = await rejects(operator.messages.produce({ cluster: "embedded", topic: "orders", key: "x", value: '{"a":', headers: [] }));
    expect(badJson.message).toMatch(/looks like JSON but does not parse/);
    const r = await operator.messages.produce({ cluster: "embedded", topic: "orders", key: "console", value: '{"from":"console"}', headers: [{ key: "h", value: "v" }], partition: 2 });
    expect(r).toEqual({ partition: 2, offset: 10 });
    const b = await operator.messages.produceBatch({
      cluster: "embedded",
      topic: "orders",
      records: Array.from({ length: 6 }, (_, i) => ({ key: null, value: `line ${i}`, headers: [], partition: 0 })),
    });
    expect(b.produced).toBe(6);
    const p0 = await page(await viewer.messages.browse({ cluster: "embedded", topic: "orders", partitions: [0], start: { kind: "offset", offset: 10 }, limit: 10 }));
    expect(p0.records.map((m) => m.value?.data)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4", "line 5"]);
    const big = "x".repeat(5000);
    await operator.messages.produce({ cluster: "embedded", topic: "orders", key: "big", value: big, headers: [], partition: 2 });
    const one = await (await as("admin")).audit.list({ action: "messages.produce", outcome: "ok" });
    expect(one.items[0].details).toMatchObject({ input: { key: "big", value: `${"x".repeat(1024)}… (5000 characters)` } });
    const audit = await (await as("admin")).audit.list({ action: "messages.produceBatch" });
    expect(audit.items[0]).toMatchObject({ actor: "otto", outcome: "ok", details: { input: { records: 6, topic: "orders" } } });
  });

  it("says why a produce failed: a topic the cluster lacks (and none is created), a record the topic refuses", async () => {
    const operator = await as("otto");
    const missing = await rejects(operator.messages.produce({ cluster: "embedded", topic: "no-such-topic", key: null, value: "x", headers: [] }));
    expect(missing).toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/no-such-topic.*UNKNOWN_TOPIC_OR_PARTITION/) });
    expect((await (await as("vera")).topics.list({ cluster: "embedded" })).some((t) => t.name === "no-such-topic")).toBe(false);

    await (await as("admin")).topics.create({ cluster: "embedded", name: "small", partitions: 1, configs: { "max.message.bytes": "1000" } });
    const big = await rejects(operator.messages.produce({ cluster: "embedded", topic: "small", key: null, value: "x".repeat(5000), headers: [] }));
    expect(big).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^Cluster embedded: .*MESSAGE_TOO_LARGE.*max\.message\.bytes/) });
  });

  it("follows new records with a live tail", async () => {
    const ac = new AbortController();
    const caller = await as("vera", ac.signal);
    const it = (await caller.messages.tail({ cluster: "embedded", topic: "orders", filters: { key: "live" } }))[Symbol.asyncIterator]();
    const next = it.next();
    await new Promise((r) => setTimeout(r, 300));
    await producer.send({ topic: "orders", messages: [{ key: "other", value: "no" }, { key: "live", value: "yes" }] });
    const got = await next;
    expect(got.done).toBe(false);
    expect((got.value as { records: { value: { data: string } }[] }).records.map((m) => m.value.data)).toEqual(["yes"]);
    ac.abort();
    await it.return?.();
  });

  it("edits configs with before and after in the audit trail, and adds partitions", async () => {
    const admin = await as("admin");
    const r = await admin.topics.alterConfigs({ cluster: "embedded", topic: "orders", configs: { "retention.ms": "7200000", "max.message.bytes": "2000000" } });
    expect(r.before).toEqual({ "retention.ms": "3600000" });
    expect(r.after).toEqual({ "retention.ms": "7200000", "max.message.bytes": "2000000" });
    const audit = await admin.audit.list({ action: "topics.alterConfigs" });
    expect(audit.items[0]).toMatchObject({ outcome: "ok", target: "embedded/orders", details: { before: r.before, after: r.after } });
    const bad = await rejects(admin.topics.alterConfigs({ cluster: "embedded", topic: "orders", configs: { "retention.ms": "soon", "segment.bytes": "1073741824" } }));
    expect(bad.code).toBe("BAD_REQUEST");
    // The rejected key, by name, and not the one that was fine.
    expect(bad.message).toMatch(/retention\.ms/);
    expect(bad.message).not.toMatch(/segment\.bytes/);

    expect((await rejects(admin.topics.addPartitions({ cluster: "embedded", topic: "orders", count: 2 }))).message).toMatch(/can only add partitions/);
    await admin.topics.addPartitions({ cluster: "embedded", topic: "orders", count: 4 });
    expect((await admin.topics.get({ cluster: "embedded", topic: "orders" })).partitions).toHaveLength(4);
  });

  it("shows consumer groups reading the topic with their lag", async () => {
    const consumer = main.kafka().consumer({ groupId: "billing" });
    await consumer.connect();
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    // Committing needs a group generation, so the consumer joins before it commits.
    await consumer.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
    await consumer.commitOffsets([{ topic: "orders", partition: 1, offset: "4" }]);
    await consumer.disconnect();
    const viewer = await as("vera");
    const { groups } = await viewer.topics.groups({ cluster: "embedded", topic: "orders" });
    const billing = groups.find((g) => g.groupId === "billing")!;
    const parts = (await viewer.topics.get({ cluster: "embedded", topic: "orders" })).partitions;
    const end = parts[1].logEndOffset;
    expect(end).toBeGreaterThan(10);
    // The partitions it never committed on lag by all their records.
    expect(billing.partitions).toEqual(parts.map((p) => (p.partition === 1 ? { partition: 1, committed: 4, lag: end - 4 } : { partition: p.partition, committed: null, lag: p.logEndOffset - p.logStartOffset })));
    expect(billing).toMatchObject({ lag: parts.reduce((n, p) => n + (p.partition === 1 ? end - 4 : p.logEndOffset - p.logStartOffset), 0), state: "Empty", members: 0 });
  });

  it("purges up to an offset and up to a time with DeleteRecords", async () => {
    const admin = await as("admin");
    const r = await admin.topics.purge({ cluster: "embedded", topic: "orders", partitions: [1], upTo: { kind: "offset", offset: 5 } });
    expect(r.logStartOffsets).toEqual({ "1": 5 });
    expect(r.removed).toBe(5);
    // Partition 0 holds records 0,3,…,27 at T0+n s; before T0+16 s are n = 0,3,…,15: six records.
    const t = await admin.topics.purge({ cluster: "embedded", topic: "orders", partitions: [0], upTo: { kind: "timestamp", timestamp: T0 + 16_000 } });
    expect(t.logStartOffsets).toEqual({ "0": 6 });
    const topic = await admin.topics.get({ cluster: "embedded", topic: "orders" });
    expect(topic.partitions.map((p) => p.logStartOffset)).toEqual([6, 5, 0, 0]);
    const viewer = await as("vera");
    const p = await page(await viewer.messages.browse({ cluster: "embedded", topic: "orders", partitions: [1], start: { kind: "earliest" }, limit: 2 }));
    expect(p.records.map((m) => m.offset)).toEqual([5, 6]);
  });

  it("deletes a topic only with the typed name", async () => {
    const admin = await as("admin");
    await admin.topics.create({ cluster: "embedded", name: "scratch", partitions: 1 });
    expect((await rejects(admin.topics.delete({ cluster: "embedded", topic: "scratch", confirm: "scrat" }))).message).toMatch(/Type the topic's name/);
    await admin.topics.delete({ cluster: "embedded", topic: "scratch", confirm: "scratch" });
    expect((await admin.topics.list({ cluster: "embedded" })).some((t) => t.name === "scratch")).toBe(false);
    const gone = await rejects(admin.topics.get({ cluster: "embedded", topic: "scratch" }));
    expect(gone.code).toBe("NOT_FOUND");
  });

  it("adds a second cluster after a connection test, keeps its password, and browses it", async () => {
    const admin = await as("admin");
    const viewer = await as("vera");
    const unreachable = await rejects(admin.clusters.create({ name: "nowhere", bootstrapServers: "127.0.0.1:1", tls: false, saslMechanism: null, saslUsername: null }));
    expect(unreachable.message).toMatch(/Could not connect to 127.0.0.1:1.*Check the bootstrap servers/);
    expect((await rejects(viewer.clusters.create({ name: "x", bootstrapServers: other.bootstrap, tls: false, saslMechanism: null, saslUsername: null }))).code).toBe("FORBIDDEN");

    const created = await admin.clusters.create({ name: "second", bootstrapServers: other.bootstrap, tls: false, saslMechanism: null, saslUsername: null });
    expect(created.brokers).toBe(1);
    expect(await viewer.clusters.status({ cluster: created.slug })).toMatchObject({ health: "healthy", brokers: [{ nodeId: expect.any(Number) }], offlinePartitions: 0, underReplicated: 0, latencyMs: expect.any(Number) });
    const list = await viewer.clusters.list();
    expect(list.map((c) => c.name)).toEqual(["embedded", "second"]);
    expect(JSON.stringify(list)).not.toMatch(/saslPassword/);

    await admin.topics.create({ cluster: created.slug, name: "remote-only", partitions: 2 });
    await admin.topics.create({ cluster: created.slug, name: "remote-rate", partitions: 1 });
    await admin.messages.produce({ cluster: created.slug, topic: "remote-only", key: "a", value: "hello", headers: [], partition: 1 });
    // Rates of another cluster come from the console's sampler, as on the dashboard; viewing the list starts it sampling that cluster.
    const lag = new LagSampler(clusters, 60_000);
    services.lag = lag;
    const remote = await viewer.topics.list({ cluster: created.slug });
    // Sizes come over the protocol (DescribeLogDirs) for any cluster.
    const onDisk = other.broker.logs.partitions("remote-only").reduce((n, p) => n + p.sizeBytes, 0);
    expect(onDisk).toBeGreaterThan(0);
    expect(remote.find((t) => t.name === "remote-only")).toMatchObject({ partitions: 2, records: 1, sizeBytes: onDisk, recordsPerSec: null, rateFrom: "sampled" });
    // A pass samples the clusters watched: the list's own cluster among them.
    const sampledAt = Date.now();
    await lag.sampleAll(sampledAt);
    await admin.messages.produceBatch({ cluster: created.slug, topic: "remote-rate", records: Array.from({ length: 40 }, (_, i) => ({ key: null, value: `r${i}`, headers: [] })) });
    await lag.sampleAll(sampledAt + 10_000);
    const later = (await viewer.topics.list({ cluster: created.slug })).find((t) => t.name === "remote-rate")!;
    // 40 records between two samples 10 s apart.
    expect(later).toMatchObject({ recordsPerSec: 4, rateFrom: "sampled" });
    services.lag = undefined;
    const listed = await viewer.topics.list({ cluster: created.slug });
    expect(await viewer.clusters.status({ cluster: created.slug })).toMatchObject({ topics: listed.length, partitions: listed.reduce((n, t) => n + t.partitions, 0) });
    const remoteTopic = await viewer.topics.get({ cluster: created.slug, topic: "remote-only" });
    expect(remoteTopic.sizeBytes).toBe(onDisk);
    expect(remoteTopic.partitions.map((p) => p.sizeBytes)).toEqual([0, onDisk]);
    const overview = await viewer.dashboard.overview({ cluster: created.slug });
    expect(overview.disk).toEqual(expect.arrayContaining([{ topic: "remote-only", partitions: 2, bytes: onDisk }]));
    expect(overview.diskNote).toBeNull();
    expect(overview.connections).toBeNull();
    expect(overview.brokerNote).toMatch(/^Connections come from the embedded broker/);
    expect((await viewer.topics.list({ cluster: "embedded" })).some((t) => t.name === "remote-only")).toBe(false);
    const p = await page(await viewer.messages.browse({ cluster: created.slug, topic: "remote-only", start: { kind: "earliest" }, limit: 5 }));
    expect(p.records.map((m) => [m.partition, m.value?.data])).toEqual([[1, "hello"]]);

    await admin.clusters.delete({ id: created.id });
    expect((await viewer.clusters.list()).map((c) => c.name)).toEqual(["embedded"]);
    const down = await rejects(viewer.topics.list({ cluster: created.slug }));
    expect(down.code).toBe("NOT_FOUND");
    expect(down.message).toMatch(/no cluster named "second"/);
    expect((await rejects(viewer.clusters.status({ cluster: created.slug }))).code).toBe("NOT_FOUND");
  });

  it("says a cluster is down when it is, and recovers when it is back", async () => {
    let flaky = await startTestBroker();
    const port = flaky.broker.address().port;
    const dataDir = flaky.dataDir;
    try {
      const admin = await as("admin");
      const { slug: id } = await admin.clusters.create({ name: "flaky", bootstrapServers: flaky.bootstrap, tls: false, saslMechanism: null, saslUsername: null });
      await admin.topics.create({ cluster: id, name: "survivor", partitions: 1 });
      await admin.messages.produce({ cluster: id, topic: "survivor", key: null, value: "kept", headers: [] });
      await flaky.stop(true);
      const down = await rejects(admin.topics.list({ cluster: id }));
      expect(down.code).toBe("PRECONDITION_FAILED");
      expect(down.message).toMatch(/Cluster .* did not answer.*Clusters page/);
      expect((await rejects(admin.clusters.status({ cluster: id }))).code).toBe("PRECONDITION_FAILED");
      flaky = await startTestBroker({ port, dataDir });
      const p = await page(await admin.messages.browse({ cluster: id, topic: "survivor", start: { kind: "earliest" } }));
      expect(p.records.map((m) => m.value?.data)).toEqual(["kept"]);
    } finally {
      await flaky.stop();
    }
  }, 60_000);

  it("connects with SASL, never returns the password, and keeps it when an edit leaves it out", async () => {
    const secured = await startTestBroker({ sasl: { mechanisms: ["PLAIN"], users: { alice: "alice-secret" } } });
    try {
      const admin = await as("admin");
      const base = { name: "secured", bootstrapServers: secured.bootstrap, tls: false, saslMechanism: "plain" as const, saslUsername: "alice" };
      const wrong = await rejects(admin.clusters.create({ ...base, saslPassword: "nope" }));
      expect(wrong.message).toMatch(/Could not connect/);
      const { id } = await admin.clusters.create({ ...base, saslPassword: "alice-secret" });
      const row = (await admin.clusters.list()).find((c) => c.id === id)!;
      expect(row).toMatchObject({ saslMechanism: "plain", saslUsername: "alice", hasPassword: true });
      expect(JSON.stringify(row)).not.toContain("alice-secret");
      await admin.clusters.update({ ...base, id, name: "Secured Renamed" });
      // Links follow the new name; the old one names no cluster any more.
      expect((await admin.topics.list({ cluster: "secured-renamed" })).length).toBeGreaterThanOrEqual(0);
      expect((await rejects(admin.topics.list({ cluster: "secured" }))).code).toBe("NOT_FOUND");
      // Another name that would link the same way is refused.
      const clash = await rejects(admin.clusters.create({ ...base, name: "secured renamed", saslPassword: "alice-secret" }));
      expect(clash.message).toMatch(/links as "secured-renamed" too/);
      expect((await rejects(admin.clusters.create({ ...base, name: "Embedded!", saslPassword: "alice-secret" }))).code).toBe("CONFLICT");
      const audit = await admin.audit.list({ action: "clusters.create" });
      expect(JSON.stringify(audit.items)).not.toContain("alice-secret");
    } finally {
      await secured.stop();
    }
  });
});
