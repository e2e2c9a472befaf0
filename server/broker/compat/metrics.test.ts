import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "@/db/client";
import { LoginLimiter } from "../../control/login-limiter";
import { WebAccess } from "../../control/web-access";
import { createRequestHandler } from "../../http";
import { connect } from "node:net";
import { Apis } from "../../kafka/messages";
import { eventually, groupConsumerAfter, kcat, startTestBroker } from "./harness";
import { TestConnection } from "./test-connection";

/** Parses the Prometheus text into "name{labels}" → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe("broker metrics at /metrics", () => {
  let t: Awaited<ReturnType<typeof startTestBroker>>;
  let http: Server;
  let db: Database;
  const dir = mkdtempSync(join(tmpdir(), "tributary-metrics-db-"));
  let url = "";

  beforeAll(async () => {
    t = await startTestBroker({ numPartitions: 2 });
    db = await openDatabase({ dataDir: dir });
    http = createServer(createRequestHandler({ database: db, version: "test", startedAt: Date.now(), loginLimiter: new LoginLimiter(), web: new WebAccess() }, undefined));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const a = http.address();
    url = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}/metrics`;
  });
  afterAll(async () => {
    await new Promise((r) => http.close(r));
    await db.close();
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts records and bytes per topic and partition, requests per API with latency, connections and group states", async () => {
    const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}`).join("\n") + "\n";
    await kcat(["-b", t.bootstrap, "-P", "-t", "metered", "-p", "0"], lines(30, "a"));
    await kcat(["-b", t.bootstrap, "-P", "-t", "metered", "-p", "1"], lines(12, "b"));
    await kcat(["-b", t.bootstrap, "-C", "-t", "metered", "-p", "0", "-o", "beginning", "-e"]);

    const kafka = t.kafka("metrics-test");
    const consumer = await groupConsumerAfter(kafka, "metered-group", "metered", 42, 100);

    const text = await (await fetch(url)).text();
    const m = samples(text);
    expect(m.get('tributary_broker_records_in_total{topic="metered",partition="0"}')).toBe(30);
    expect(m.get('tributary_broker_records_in_total{topic="metered",partition="1"}')).toBe(12);
    expect(m.get('tributary_broker_bytes_in_total{topic="metered",partition="0"}')).toBeGreaterThan(30 * 4);
    // kcat read partition 0 once and the group read both partitions once.
    expect(m.get('tributary_broker_records_out_total{topic="metered",partition="0"}')).toBe(60);
    expect(m.get('tributary_broker_records_out_total{topic="metered",partition="1"}')).toBe(12);
    expect(m.get('tributary_broker_bytes_out_total{topic="metered",partition="1"}')).toBeGreaterThan(0);
    expect(m.get('tributary_broker_requests_total{api="Produce"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('tributary_broker_requests_total{api="JoinGroup"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('tributary_broker_request_latency_ms_count{api="Fetch"}')).toBeGreaterThan(0);
    expect(text).toMatch(/tributary_broker_request_latency_ms_bucket\{api="Produce",le="\+Inf"\} \d+/);
    expect(m.get("tributary_broker_connections")).toBeGreaterThanOrEqual(1);
    expect(m.get('tributary_broker_groups{state="Stable"}')).toBe(1);

    await consumer.disconnect();
    await eventually(async () => samples(await (await fetch(url)).text()).get('tributary_broker_groups{state="Empty"}') === 1 || undefined, 10_000, "group Empty after the member left");
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ["metered"] });
    await admin.disconnect();
    expect(await (await fetch(url)).text()).not.toContain('topic="metered"');
  });
});

describe("metrics cardinality", () => {
  it("gives every unknown API key one shared series, and creates none for unknown topics, versions or client ids", async () => {
    const t = await startTestBroker({ autoCreateTopics: false });
    try {
      const { metrics } = await import("../../metrics/registry");
      const { renderPrometheus } = await import("../../metrics/prometheus");
      const [host, port] = t.bootstrap.split(":");
      const seriesBefore = renderPrometheus(metrics).split("\n").length;
      // Each frame names another unknown API key, version and client id; the broker closes each connection.
      for (let key = 1000; key < 3000; key++) {
        await new Promise<void>((resolve) => {
          const s = connect(Number(port), host, () => {
            const id = Buffer.from(`client-${key}`);
            const frame = Buffer.alloc(14 + id.length);
            frame.writeInt32BE(10 + id.length, 0);
            frame.writeInt16BE(key, 4);
            frame.writeInt16BE(key % 100, 6);
            frame.writeInt32BE(key, 8);
            frame.writeInt16BE(id.length, 12);
            id.copy(frame, 14);
            s.write(frame);
          });
          s.on("error", () => undefined);
          s.on("close", () => resolve());
        });
      }
      const c = await TestConnection.open(t.bootstrap);
      for (let i = 0; i < 200; i++) {
        await c.request(Apis.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: `ghost-${i}`, partitionData: [{ index: i, records: Buffer.from("x") }] }] });
        await c.request(Apis.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: `ghost-${i}`, partitions: [{ partition: i, fetchOffset: 0, partitionMaxBytes: 1024 }] }], forgottenTopicsData: [], rackId: "" });
      }
      c.close();
      const text = renderPrometheus(metrics);
      expect(samples(text).get('tributary_broker_request_failures_total{api="unknown"}')).toBe(2000);
      expect(text).not.toMatch(/unknown-\d+|ghost-|client-\d+/);
      // The known APIs used above and the one unknown series: a few dozen lines, not thousands.
      expect(text.split("\n").length - seriesBefore).toBeLessThan(100);
    } finally {
      await t.stop();
    }
  }, 60_000);
});
