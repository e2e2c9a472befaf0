import { CONSUMER_REPLICA_ID, FetchSession, IsolationLevel, NO_LEADER_EPOCH } from "../constants";
import { ErrorCode } from "../errors";
import { Apis } from "../messages";
import type { ResponseOf } from "../protocol";
import { decodeRecordBatch, forEachBatch, type Record } from "../records/batch";
import { STALE_LEADER, type Cluster, type Lane } from "./cluster";
import { KafkaClientError } from "./errors";
import { byTopic, call } from "./protocol";
import { partitionKey } from "../partition-key";

export interface FetchPosition {
  topic: string;
  partition: number;
  offset: number;
}

export interface FetchOptions {
  /** How long the broker may wait for minBytes to arrive (0: answer at once). */
  maxWaitMs?: number;
  minBytes?: number;
  /** Bytes per response and per partition (fetch.max.bytes, max.partition.fetch.bytes). */
  maxBytes?: number;
  maxPartitionBytes?: number;
  /** read_committed (default) skips records of aborted transactions and stops at the last stable offset. */
  isolationLevel?: number;
}

/** One partition's share of a Fetch: decoded records at or after the requested offset, control records left out. */
export interface FetchedPartition {
  topic: string;
  partition: number;
  /** NONE, or the error for this partition (OFFSET_OUT_OF_RANGE, a moved leader, …). */
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Record[];
  /** Where the next fetch starts: past every whole batch read, control and aborted ones included. */
  nextOffset: number;
  /**
   * What the broker served for this partition, as its "out" counters count it: record-set bytes,
   * and records of every batch in them (control batches and records before the offset included).
   */
  wire: { bytes: number; records: number };
}

type FetchResponse = ResponseOf<"Fetch">;

const DEFAULTS: Required<FetchOptions> = { maxWaitMs: 0, minBytes: 1, maxBytes: 50 * 1024 * 1024, maxPartitionBytes: 1024 * 1024, isolationLevel: IsolationLevel.READ_COMMITTED };

/**
 * Fetches from any offset of any partitions, without a group: one Fetch per partition leader (on
 * the fetch lane of that broker's connections, so a long poll holds up nothing else). Partition
 * errors come back per partition; a moved leader also drops the cached metadata.
 */
export async function fetchRecords(cluster: Cluster, positions: FetchPosition[], options: FetchOptions = {}, lane: Lane = "fetch"): Promise<FetchedPartition[]> {
  const o = { ...DEFAULTS, ...options };
  const byLeader = await cluster.byLeader(positions);
  const parts = await Promise.all([...byLeader].map(([node, list]) => fetchFrom(cluster, node, list, o, lane)));
  return parts.flat();
}

async function fetchFrom(cluster: Cluster, node: number, positions: FetchPosition[], o: Required<FetchOptions>, lane: Lane): Promise<FetchedPartition[]> {
  const topics = await Promise.all(
    [...byTopic(positions)].map(async ([topic, list]) => {
      const info = await cluster.requireTopic(topic);
      return {
        topic,
        partitions: list.map((p) => ({ partition: p.partition, currentLeaderEpoch: info.partitions[p.partition]?.leaderEpoch ?? NO_LEADER_EPOCH, fetchOffset: p.offset, logStartOffset: -1, partitionMaxBytes: o.maxPartitionBytes })),
      };
    }),
  );
  let res: FetchResponse;
  try {
    const conn = await cluster.broker(node, lane);
    res = await call(
      conn,
      Apis.Fetch,
      { replicaId: CONSUMER_REPLICA_ID, maxWaitMs: o.maxWaitMs, minBytes: o.minBytes, maxBytes: o.maxBytes, isolationLevel: o.isolationLevel, sessionId: FetchSession.NO_SESSION_ID, sessionEpoch: FetchSession.FINAL_EPOCH, topics, forgottenTopicsData: [], rackId: "" },
      { timeoutMs: cluster.opts.requestTimeoutMs + o.maxWaitMs },
    );
  } catch (err) {
    // A leader we cannot reach may have handed its partitions on.
    if (err instanceof KafkaClientError && err.code === ErrorCode.NETWORK_EXCEPTION) for (const t of topics) cluster.invalidate(t.topic);
    throw err;
  }
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, `Fetch from broker ${node}`);
  const wanted = new Map(positions.map((p) => [partitionKey(p.topic, p.partition), p.offset]));
  const out: FetchedPartition[] = [];
  for (const t of res.responses) {
    for (const p of t.partitions) {
      if (STALE_LEADER.has(p.errorCode)) cluster.invalidate(t.topic);
      const from = wanted.get(partitionKey(t.topic, p.partitionIndex)) ?? 0;
      const served = p.errorCode === ErrorCode.NONE && p.records ? p.records : undefined;
      const decoded = served ? decodeBatches(served, from, p.abortedTransactions ?? []) : { records: [], nextOffset: from };
      out.push({ topic: t.topic, partition: p.partitionIndex, errorCode: p.errorCode, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset, ...decoded, wire: wireSize(served) });
    }
  }
  return out;
}

function wireSize(records: Buffer | undefined): { bytes: number; records: number } {
  if (!records?.length) return { bytes: 0, records: 0 };
  let n = 0;
  forEachBatch(records, (h) => (n += h.recordCount));
  return { bytes: records.length, records: n };
}

/**
 * Decodes every whole batch (any codec), leaving out control batches, records before `from` (a
 * compressed batch starts before the requested offset) and records of aborted transactions: an
 * aborted producer's transactional batches from its first offset until its abort marker.
 */
export function decodeBatches(buf: Buffer, from: number, aborted: { producerId: number; firstOffset: number }[]): { records: Record[]; nextOffset: number } {
  const records: Record[] = [];
  let nextOffset = from;
  const pendingAborts = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<number>();
  forEachBatch(buf, (h, pos) => {
    nextOffset = Math.max(nextOffset, h.baseOffset + h.lastOffsetDelta + 1);
    while (pendingAborts.length > 0 && pendingAborts[0].firstOffset <= h.baseOffset + h.lastOffsetDelta) abortedProducers.add(pendingAborts.shift()!.producerId);
    if (h.control) {
      // The abort (or commit) marker ends that producer's transaction.
      abortedProducers.delete(h.producerId);
      return;
    }
    if (h.transactional && abortedProducers.has(h.producerId)) return;
    for (const r of decodeRecordBatch(buf, pos).records) if (r.offset >= from) records.push(r);
  });
  return { records, nextOffset };
}
