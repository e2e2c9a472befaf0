import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { IsolationLevel } from "@/server/kafka/constants";
import { ErrorCode } from "@/server/kafka/errors";
import { KafkaClient, type Producer } from "@/server/kafka/client";
import { BrokerCluster } from "@/server/testing/broker-cluster";
import { clusterDatabase } from "../test-support";
import { schedule, type Fault } from "./faults";
import { checkHistory, type Ack, type CheckResult, type Read } from "./history";

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  /** Postgres server the run makes its own database on. */
  databaseServer?: string;
  partitions?: number;
  sessionTimeoutMs?: number;
  meanGapMs?: number;
  /** Records per send; one send in flight per partition at a time, so memory stays bounded. */
  recordsPerSend?: number;
  /** Keep the brokers' data dirs when the check fails, to look at. */
  keepOnFailure?: boolean;
  onProgress?: (line: string) => void;
}

export interface ChaosReport extends CheckResult {
  seed: number;
  faults: Fault[];
  sendsFailed: number;
  dataDirs: string[] | null;
}

const TOPIC = "chaos";

/**
 * A Jepsen-style run: three brokers, an RF=3 min.insync.replicas=2 topic, an idempotent acks=all
 * producer and a live consumer running throughout, seeded faults (SIGKILL, SIGSTOP past the lease,
 * SIGTERM, each followed by a restart or SIGCONT), then a quiet heal, a final read of every
 * partition, and the independent check of what the clients saw.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const sessionTimeoutMs = o.sessionTimeoutMs ?? 2_000;
  const partitions = o.partitions ?? 3;
  const nodeIds = [1, 2, 3];
  const say = o.onProgress ?? (() => {});
  const db = await clusterDatabase(o.databaseServer);
  const dirs: string[] = [];
  const cluster = await BrokerCluster.start({
    nodeIds,
    databaseUrl: db.url,
    sessionTimeoutMs,
    dataDir: () => {
      const d = mkdtempSync(join(tmpdir(), "tributary-chaos-"));
      dirs.push(d);
      return d;
    },
    args: ["--default-replication-factor", "3", "--min-insync-replicas", "2", "--offsets-topic-replication-factor", "3"],
  });
  const faults = schedule({ seed: o.seed, durationMs: o.durationMs, nodeIds, sessionTimeoutMs, meanGapMs: o.meanGapMs ?? sessionTimeoutMs * 2 });
  say(`seed ${o.seed}: ${faults.length} faults over ${Math.round(o.durationMs / 1000)} s on brokers ${nodeIds.join(", ")}`);
  const client = new KafkaClient({ bootstrap: cluster.bootstrap(), requestTimeoutMs: 10_000, retries: 10 });
  let report: ChaosReport | undefined;
  try {
    await client.admin.createTopics([{ name: TOPIC, numPartitions: partitions, replicationFactor: 3, configs: { "min.insync.replicas": "2" } }]);
    const history = { acks: [] as Ack[], live: [] as Read[], sendsFailed: 0 };
    const stop = { producing: false, consuming: false };
    const producer = client.producer({ idempotent: true, lingerMs: 2, deliveryTimeoutMs: 30_000, ackTimeoutMs: 10_000 });
    const producing = Array.from({ length: partitions }, (_, p) => produce(producer, p, o.recordsPerSend ?? 20, history, stop));
    const consuming = consume(client, partitions, history.live, stop);
    await inject(cluster, faults, nodeIds.length, say);
    stop.producing = true;
    await Promise.all(producing);
    say(`healing: ${history.acks.length} acknowledged, ${history.sendsFailed} sends failed`);
    await cluster.waitForBrokers(nodeIds.length, 120_000);
    const final = await readAll(client, partitions);
    stop.consuming = true;
    await consuming;
    await producer.close();
    const check = checkHistory(history.acks, history.live, final);
    report = { ...check, seed: o.seed, faults, sendsFailed: history.sendsFailed, dataDirs: null };
    return report;
  } finally {
    await client.close();
    await cluster.close();
    await db.dispose();
    if (report?.violations.length && o.keepOnFailure) report.dataDirs = dirs;
    else for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function produce(producer: Producer, partition: number, perSend: number, history: { acks: Ack[]; sendsFailed: number }, stop: { producing: boolean }): Promise<void> {
  let sent = 0;
  while (!stop.producing) {
    const first = sent;
    const values = Array.from({ length: perSend }, () => `p${partition}-${sent++}`);
    try {
      const results = await producer.send(values.map((v) => ({ topic: TOPIC, partition, value: Buffer.from(v) })));
      results.forEach((r, i) => history.acks.push({ partition, offset: r.offset, value: values[i], sent: first + i }));
    } catch {
      // Not acknowledged: the records may or may not be in the log; the checker allows either.
      history.sendsFailed++;
      await sleep(100);
    }
  }
}

async function consume(client: KafkaClient, partitions: number, live: Read[], stop: { consuming: boolean }): Promise<void> {
  const next = Array.from({ length: partitions }, () => 0);
  while (!stop.consuming) {
    try {
      const fetched = await client.fetch(next.map((offset, partition) => ({ topic: TOPIC, partition, offset })), { maxWaitMs: 200, isolationLevel: IsolationLevel.READ_UNCOMMITTED });
      for (const f of fetched) {
        for (const r of f.records) live.push({ partition: f.partition, offset: r.offset, value: r.value?.toString() ?? "" });
        if (f.nextOffset > next[f.partition]) next[f.partition] = f.nextOffset;
      }
    } catch {
      await sleep(200);
    }
  }
}

/**
 * Every record of every partition, read once the cluster has healed, up to each high watermark.
 * A partition still electing its leader is retried for a while before the run gives up.
 */
async function readAll(client: KafkaClient, partitions: number): Promise<Read[]> {
  const deadline = Date.now() + 60_000;
  const ends = await client.admin.listOffsets(Array.from({ length: partitions }, (_, partition) => ({ topic: TOPIC, partition, timestamp: -1 })), IsolationLevel.READ_UNCOMMITTED);
  const out: Read[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const end = ends.find((e) => e.partition === partition)!.offset;
    for (let offset = 0; offset < end; ) {
      const [f] = await client.fetch([{ topic: TOPIC, partition, offset }], { isolationLevel: IsolationLevel.READ_UNCOMMITTED });
      if (f.errorCode !== ErrorCode.NONE && Date.now() < deadline) {
        await sleep(200);
        continue;
      }
      for (const r of f.records) out.push({ partition, offset: r.offset, value: r.value?.toString() ?? "" });
      if (f.nextOffset <= offset) throw new Error(`partition ${partition} stopped at offset ${offset} below its end ${end} (error ${f.errorCode})`);
      offset = f.nextOffset;
    }
  }
  return out;
}

/**
 * Runs the schedule. Each fault ends with every broker live again before the next starts (a
 * restarted broker takes a few seconds to rejoin), so the schedule's times are lower bounds.
 */
async function inject(cluster: BrokerCluster, faults: Fault[], brokers: number, say: (line: string) => void): Promise<void> {
  const start = Date.now();
  for (const f of faults) {
    const wait = start + f.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    say(`${((Date.now() - start) / 1000).toFixed(1)} s: ${f.kind} broker ${f.nodeId} for ${f.downMs} ms`);
    if (f.kind === "pause") {
      cluster.pause(f.nodeId);
      await sleep(f.downMs);
      cluster.resume(f.nodeId);
    } else {
      await (f.kind === "kill" ? cluster.kill(f.nodeId) : cluster.terminate(f.nodeId));
      await sleep(f.downMs);
      cluster.restart(f.nodeId);
    }
    await cluster.waitForBrokers(brokers, 120_000);
  }
}
