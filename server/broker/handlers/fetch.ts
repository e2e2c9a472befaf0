import { FetchSession, IsolationLevel, ListOffsetsTimestamp, NO_LEADER_EPOCH, UNKNOWN_OFFSET, UNKNOWN_TIMESTAMP } from "../../kafka/constants";
import { codeOf, ErrorCode, KafkaError } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { forEachBatch } from "../../kafka/records/batch";
import type { PartitionLog, ReadLimit } from "../log/partition-log";
import { partitionCounters } from "../metrics";
import { Slices } from "../protocol/slices";
import { LEADER_EPOCH, leaderEpoch, note, notLeader, type BrokerContext } from "./context";
import type { HandlerRegistry, RequestInfo } from "./registry";

type FetchResponse = ResponseInputOf<"Fetch">;
type FetchedPartition = FetchResponse["responses"][number]["partitions"][number];
type ListedOffset = ResponseInputOf<"ListOffsets">["topics"][number]["partitions"][number];

/**
 * What an errored Fetch partition carries: empty records, not null, as Kafka answers; librdkafka
 * 2.x rejects a whole response with a null record set and so never sees the partition's error.
 */
const NO_RECORDS = Buffer.alloc(0);

/** Fetch, ListOffsets and OffsetForLeaderEpoch: reading partitions and finding offsets in them. */
export function registerFetchHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  registry.register(Apis.Fetch, (req, info) => fetch(b, req, info));
  registry.register(Apis.ListOffsets, (req, info) => listOffsets(b, req, info));
  registry.register(Apis.OffsetForLeaderEpoch, (req) => offsetForLeaderEpoch(b, req));
}

async function fetch(b: BrokerContext, req: RequestOf<"Fetch">, info: RequestInfo): Promise<FetchResponse> {
  // This broker keeps no fetch sessions (KIP-227): every fetch is a full one and answers with
  // session id 0, which tells the client not to send incremental fetches. An incremental fetch
  // (epoch > 0) names a session we never created, so it gets FETCH_SESSION_ID_NOT_FOUND and the
  // client starts over with a full fetch, as it would after a Kafka broker evicted its session.
  if (info.apiVersion >= 7 && req.sessionEpoch > FetchSession.INITIAL_EPOCH) {
    return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: FetchSession.NO_SESSION_ID, responses: [] };
  }
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const minBytes = Math.max(0, req.minBytes);
  const maxBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  for (;;) {
    const { response, bytes, logs, failed } = await readFetch(b, req, maxBytes);
    const remaining = deadline - Date.now();
    // A partition error (offset out of range, unknown partition) is answered at once, as Kafka
    // does, so the client can reset or refresh metadata without waiting out max.wait.ms.
    if (bytes >= Math.max(minBytes, 1) || failed || remaining <= 0 || info.signal.aborted || logs.length === 0 || (bytes > 0 && bytes >= minBytes)) return response;
    // Long poll: wake on the first append to any partition asked for (a consumer: once the high
    // watermark moves; a follower: once the log end does), or at max.wait.ms.
    await new Promise<void>((resolve) => {
      const offs: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        info.signal.removeEventListener("abort", done);
        offs.forEach((off) => off());
        resolve();
      };
      const timer = setTimeout(done, remaining);
      info.signal.addEventListener("abort", done);
      for (const l of logs) offs.push(req.replicaId >= 0 ? l.onLogEnd(done) : l.onAppend(done));
    });
  }
}

async function readFetch(b: BrokerContext, req: RequestOf<"Fetch">, maxBytes: number): Promise<{ response: FetchResponse; bytes: number; logs: PartitionLog[]; failed: boolean }> {
  const slices = new Slices();
  const follower = req.replicaId >= 0;
  const isolation: ReadLimit = follower ? "replica" : req.isolationLevel === IsolationLevel.READ_COMMITTED ? "read_committed" : "read_uncommitted";
  let bytes = 0;
  let failed = false;
  const logs: PartitionLog[] = [];
  const responses = [];
  for (const t of req.topics) {
    const partitions: FetchedPartition[] = [];
    for (const p of t.partitions) {
      if (slices.due) await slices.next();
      let pl: PartitionLog;
      try {
        const moved = notLeader(b, t.topic, p.partition);
        if (moved) throw moved;
        checkLeaderEpoch(b, t.topic, p.partition, p.currentLeaderEpoch);
        pl = b.logs.partition(t.topic, p.partition);
        // A follower fetches from its log end: that is how far it has the leader's records.
        if (follower) b.replication?.followerFetched(t.topic, p.partition, req.replicaId, p.fetchOffset);
      } catch (err) {
        failed = true;
        partitions.push({ partitionIndex: p.partition, errorCode: codeOf(err), highWatermark: UNKNOWN_OFFSET, lastStableOffset: UNKNOWN_OFFSET, logStartOffset: UNKNOWN_OFFSET, records: NO_RECORDS });
        continue;
      }
      logs.push(pl);
      try {
        const limit = Math.min(p.partitionMaxBytes, Math.max(0, maxBytes - bytes));
        const r = await pl.read(p.fetchOffset, limit, bytes === 0, isolation);
        bytes += r.records.length;
        if (r.records.length) {
          const c = partitionCounters(t.topic, p.partition);
          c.bytesOut.inc(r.records.length);
          let n = 0;
          forEachBatch(r.records, (h) => (n += h.recordCount));
          c.recordsOut.inc(n);
        }
        partitions.push({ partitionIndex: p.partition, errorCode: ErrorCode.NONE, highWatermark: r.highWatermark, lastStableOffset: r.lastStableOffset, logStartOffset: r.logStartOffset, abortedTransactions: r.abortedTransactions, records: r.records });
      } catch (err) {
        failed = true;
        partitions.push({ partitionIndex: p.partition, errorCode: note(err, "fetch"), highWatermark: pl.highWatermark, lastStableOffset: pl.lastStableOffset, logStartOffset: pl.logStartOffset, records: NO_RECORDS });
      }
    }
    responses.push({ topic: t.topic, partitions });
  }
  return { response: { errorCode: ErrorCode.NONE, sessionId: FetchSession.NO_SESSION_ID, responses }, bytes, logs, failed };
}

/**
 * A fetcher's idea of the leader epoch against the partition's: an older one is a deposed
 * leader's follower or a stale client (FENCED_LEADER_EPOCH), a newer one a change this broker has
 * not read yet (UNKNOWN_LEADER_EPOCH); -1 skips the check.
 */
function checkLeaderEpoch(b: BrokerContext, topic: string, partition: number, current: number): void {
  if (current === NO_LEADER_EPOCH || !b.cluster) return;
  const epoch = leaderEpoch(b, topic, partition);
  if (current < epoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${current} of ${topic}-${partition} is older than the current ${epoch}; refresh metadata`);
  if (current > epoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, `leader epoch ${current} of ${topic}-${partition} is newer than ${epoch}, which this broker knows`);
}

async function listOffsets(b: BrokerContext, req: RequestOf<"ListOffsets">, info: RequestInfo): Promise<ResponseInputOf<"ListOffsets">> {
  const slices = new Slices();
  const none = { offset: UNKNOWN_OFFSET, timestamp: UNKNOWN_TIMESTAMP };
  const topics = [];
  for (const t of req.topics) {
    const partitions: ListedOffset[] = [];
    for (const p of t.partitions) {
      if (slices.due) await slices.next();
      try {
        const moved = notLeader(b, t.name, p.partitionIndex);
        if (moved) throw moved;
        const pl = b.logs.partition(t.name, p.partitionIndex);
        const ts = p.timestamp;
        if (info.apiVersion === 0) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: pl.offsetsBefore(ts, p.maxNumOffsets) });
          continue;
        }
        let found: { offset: number; timestamp: number };
        if (ts === ListOffsetsTimestamp.LATEST) found = { offset: req.isolationLevel === IsolationLevel.READ_COMMITTED ? pl.lastStableOffset : pl.highWatermark, timestamp: UNKNOWN_TIMESTAMP };
        else if (ts === ListOffsetsTimestamp.EARLIEST) found = { offset: pl.logStartOffset, timestamp: UNKNOWN_TIMESTAMP };
        else if (ts === ListOffsetsTimestamp.MAX_TIMESTAMP) found = pl.maxTimestamp() ?? none;
        else found = (await pl.offsetForTimestamp(ts)) ?? none;
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, ...found, leaderEpoch: leaderEpoch(b, t.name, p.partitionIndex) });
      } catch (err) {
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: note(err, "list offsets"), oldStyleOffsets: [], ...none });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { topics };
}

/**
 * Answered from the partition's leader-epoch cache: the largest epoch at or below the one asked
 * for and the offset where it ends (the next epoch's start, or the log end for the latest).
 * Followers ask it before fetching under a new leader epoch, to truncate what the leader never
 * had; clients, to check that their position is not past such a truncation. A log from before the
 * cache (or never written) has had one epoch, which ends at its log end.
 */
function offsetForLeaderEpoch(b: BrokerContext, req: RequestOf<"OffsetForLeaderEpoch">): ResponseInputOf<"OffsetForLeaderEpoch"> {
  const unknown = { leaderEpoch: NO_LEADER_EPOCH, endOffset: UNKNOWN_OFFSET };
  return {
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        try {
          const moved = notLeader(b, t.topic, p.partition);
          if (moved) throw moved;
          const pl = b.logs.partition(t.topic, p.partition);
          const epoch = leaderEpoch(b, t.topic, p.partition);
          if (p.currentLeaderEpoch > epoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, `leader epoch ${p.currentLeaderEpoch} is newer than ${epoch}`);
          if (p.currentLeaderEpoch !== NO_LEADER_EPOCH && p.currentLeaderEpoch < epoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${p.currentLeaderEpoch} is older than the current ${epoch}; refresh metadata`);
          if (p.leaderEpoch > epoch) return { errorCode: ErrorCode.NONE, partition: p.partition, ...unknown };
          if (!pl.epochs.latest) return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: epoch === LEADER_EPOCH ? LEADER_EPOCH : p.leaderEpoch, endOffset: pl.logEndOffset };
          const found = pl.epochs.endOffsetFor(p.leaderEpoch, pl.logEndOffset);
          return { errorCode: ErrorCode.NONE, partition: p.partition, ...(found ? { leaderEpoch: found.epoch, endOffset: found.endOffset } : unknown) };
        } catch (err) {
          return { errorCode: note(err, "offset for leader epoch"), partition: p.partition, ...unknown };
        }
      }),
    })),
  };
}
