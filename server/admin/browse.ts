import { setTimeout as sleep } from "node:timers/promises";
import jsonata from "jsonata";
import { KafkaClientError, type KafkaClient } from "../kafka/client";
import { IsolationLevel, ListOffsetsTimestamp } from "../kafka/constants";
import { ErrorCode } from "../kafka/errors";
import type { Header, Record as KafkaRecord } from "../kafka/records/batch";
import { countConsoleRead } from "../metrics/console-reads";
import { EMBEDDED_CLUSTER } from "./clusters";
import { partitionKey } from "../kafka/partition-key";
import { offsetsAt, partitionsOf, TopicNotFound } from "./topics";

/** Where a browse starts in each chosen partition. `positions` is what paging sends back. */
export type StartAt =
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "offset"; offset: number }
  | { kind: "timestamp"; timestamp: number }
  | { kind: "positions"; positions: Record<string, number> };

export interface Filters {
  /** The key, exactly. */
  key?: string;
  /** A header by name, and its value when given. */
  header?: { name: string; value?: string };
  /** A substring of the value. */
  text?: string;
  /** A JSONata expression over the value parsed as JSON; a truthy result keeps the record. */
  jsonata?: string;
}

/**
 * read_committed reads up to the last stable offset and leaves out aborted transactions' records;
 * read_uncommitted reads to the high watermark, open and aborted transactions included. Control
 * batches (commit and abort markers) are never shown.
 */
export type Isolation = "read_committed" | "read_uncommitted";

export const isolationLevelOf = (i: Isolation | undefined): number => (i === "read_uncommitted" ? IsolationLevel.READ_UNCOMMITTED : IsolationLevel.READ_COMMITTED);

export interface BrowseRequest {
  /** The cluster read; reads of the embedded broker are counted apart from its consumers' traffic. */
  cluster?: string;
  topic: string;
  /** Default read_committed, as a consumer of transactional producers should read. */
  isolation?: Isolation;
  partitions?: number[];
  start: StartAt;
  limit: number;
  filters: Filters;
  /** The most records read before the scan stops and reports where it got to. */
  scanLimit: number;
}

export interface Bytes {
  /** utf8 text, or base64 when the bytes are not valid UTF-8. */
  data: string;
  encoding: "utf8" | "base64";
}

export interface BrowsedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: Bytes | null;
  value: Bytes | null;
  /** The value was cut at MAX_VALUE_BYTES for display. */
  truncated: boolean;
  headers: { key: string; value: Bytes | null }[];
  /** Bytes of key, value and headers. */
  size: number;
}

export interface ScanProgress {
  scanned: number;
  matched: number;
  /** The most records this scan reads: those between the start positions and the ends seen at the start, capped by the scan limit. */
  total: number;
}

export interface BrowseResult extends ScanProgress {
  records: BrowsedRecord[];
  /** Per partition: where this page started and where the next one starts. */
  start: Record<string, number>;
  next: Record<string, number>;
  logStart: Record<string, number>;
  logEnd: Record<string, number>;
  stoppedBy: "limit" | "end" | "scanLimit" | "cancelled";
  filterErrors: number;
  firstFilterError: string | null;
}

export class BrowseInputError extends Error {}

/** Records the console fetched but could not decode: the console's failure, not the cluster's. */
export class RecordDecodeError extends Error {}

/** Values larger than this are cut for display; the size column still shows the real size. */
export const MAX_VALUE_BYTES = 256 * 1024;
const FETCH_BYTES_PER_PARTITION = 512 * 1024;
/** Rounds in a row in which a partition's leader was moving (or loading) before a scan gives up. */
const MAX_FAILED_ROUNDS = 10;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function bytes(b: Buffer | null, max = Infinity): Bytes | null {
  if (b === null) return null;
  const cut = b.length > max ? b.subarray(0, max) : b;
  try {
    return { data: utf8.decode(cut), encoding: "utf8" };
  } catch {
    // Not UTF-8 (binary, or a cut through a multi-byte character): the browser shows it as hex.
    return { data: cut.toString("base64"), encoding: "base64" };
  }
}

export function toBrowsed(partition: number, r: KafkaRecord): BrowsedRecord {
  const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + r.headers.reduce((n, h) => n + Buffer.byteLength(h.key) + (h.value?.length ?? 0), 0);
  return {
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: bytes(r.key),
    value: bytes(r.value, MAX_VALUE_BYTES),
    truncated: (r.value?.length ?? 0) > MAX_VALUE_BYTES,
    headers: r.headers.map((h: Header) => ({ key: h.key, value: bytes(h.value) })),
    size,
  };
}

type Matcher = (r: KafkaRecord) => Promise<boolean>;

/** Compiles the filters once per scan; a bad JSONata expression is the user's to fix, before any read. */
export function compileFilters(f: Filters, onError: (err: Error) => void): Matcher | undefined {
  const tests: ((r: KafkaRecord) => boolean | Promise<boolean>)[] = [];
  if (f.key) {
    const key = Buffer.from(f.key);
    tests.push((r) => r.key !== null && r.key.equals(key));
  }
  if (f.header?.name) {
    const { name, value } = f.header;
    const want = value === undefined || value === "" ? undefined : Buffer.from(value);
    tests.push((r) => r.headers.some((h) => h.key === name && (!want || (h.value !== null && h.value.equals(want)))));
  }
  if (f.text) {
    const needle = Buffer.from(f.text);
    tests.push((r) => r.value !== null && r.value.includes(needle));
  }
  if (f.jsonata?.trim()) {
    let expr: ReturnType<typeof jsonata>;
    try {
      expr = jsonata(f.jsonata);
    } catch (err) {
      throw new BrowseInputError(`The JSONata expression does not parse: ${(err as Error).message}. Example: amount > 100 and status = "paid"`);
    }
    tests.push(async (r) => {
      if (r.value === null) return false;
      let doc: unknown;
      try {
        doc = JSON.parse(r.value.toString("utf8"));
      } catch {
        return false; // not JSON: a JSONata filter cannot match it
      }
      try {
        return Boolean(await expr.evaluate(doc));
      } catch (err) {
        onError(err as Error);
        return false;
      }
    });
  }
  if (tests.length === 0) return undefined;
  return async (r) => {
    for (const t of tests) if (!(await t(r))) return false;
    return true;
  };
}


/** One partition's share of a fetch round: its records, and where reading it goes on. */
interface Round {
  records: KafkaRecord[];
  /** Past every batch the round read, control batches included. */
  nextOffset: number;
}

/**
 * Fetch rounds over one topic's partitions from given positions. Records come back decoded
 * whatever their codec. A partition whose leader is moving comes back absent, to be read again
 * after a back-off; one whose position was deleted meanwhile (retention, a purge) comes back empty
 * with its next offset at the log start, or at the end when it was past it.
 */
export class FetchRounds {
  private failedRounds = 0;

  constructor(
    private readonly client: KafkaClient,
    private readonly topic: string,
    private readonly isolationLevel: number,
    private readonly cluster?: string,
  ) {}

  async next(positions: Map<number, number>, maxWaitMs: number): Promise<Map<number, Round>> {
    const fetched = await this.fetch(positions, maxWaitMs);
    const out = new Map<number, Round>();
    let retry: KafkaClientError | undefined;
    for (const f of fetched) {
      if (this.cluster === EMBEDDED_CLUSTER) countConsoleRead(f.topic, f.partition, f.wire);
      if (f.errorCode === ErrorCode.NONE) out.set(f.partition, { records: f.records, nextOffset: f.nextOffset });
      else if (f.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) out.set(f.partition, { records: [], nextOffset: await this.inRange(f.partition, positions.get(f.partition)!) });
      else {
        retry = new KafkaClientError(f.errorCode, `fetching ${this.topic}-${f.partition}`);
        if (!retry.retriable) throw retry;
      }
    }
    this.failedRounds = retry ? this.failedRounds + 1 : 0;
    if (retry && this.failedRounds > MAX_FAILED_ROUNDS) throw retry;
    if (retry) await sleep(this.client.cluster.backoff(this.failedRounds));
    return out;
  }

  private async fetch(positions: Map<number, number>, maxWaitMs: number) {
    try {
      return await this.client.fetch([...positions].map(([partition, offset]) => ({ topic: this.topic, partition, offset })), {
        maxWaitMs,
        isolationLevel: this.isolationLevel,
        maxPartitionBytes: FETCH_BYTES_PER_PARTITION,
        maxBytes: FETCH_BYTES_PER_PARTITION * positions.size,
      });
    } catch (err) {
      if (err instanceof KafkaClientError) throw err;
      // Anything else is the console failing to read what the cluster sent (a batch it cannot decompress).
      const where = [...positions].map(([p, o]) => `partition ${p} from offset ${o}`).join(", ");
      throw new RecordDecodeError(
        `The console could not decode the records of ${this.topic} (${where}): ${(err as Error).message}. The records on the cluster are untouched; browse from a later offset to skip them, or read them with another client (kcat) to check them.`,
        { cause: err },
      );
    }
  }

  private async inRange(partition: number, offset: number): Promise<number> {
    const at = [{ topic: this.topic, partition }];
    const [lo, hi] = await Promise.all([offsetsAt(this.client, at, ListOffsetsTimestamp.EARLIEST), offsetsAt(this.client, at, ListOffsetsTimestamp.LATEST, this.isolationLevel)]);
    const start = [...lo.values()][0] ?? 0;
    return offset < start ? start : ([...hi.values()][0] ?? start);
  }
}

/** The chosen partitions of a topic (all when none are named), each known to exist. */
async function choosePartitions(client: KafkaClient, topic: string, wanted: number[] | undefined): Promise<number[]> {
  const all = (await partitionsOf(client, topic)).map((p) => p.partition);
  if (!wanted?.length) return all;
  const chosen = [...new Set(wanted)].sort((a, b) => a - b);
  const missing = chosen.filter((p) => !all.includes(p));
  if (missing.length) throw new TopicNotFound(`${topic} has no partition ${missing.join(", ")}; it has partitions 0–${all.length - 1}`);
  return chosen;
}

function filterCounter(filters: Filters) {
  const c = { filterErrors: 0, firstFilterError: null as string | null, matches: undefined as Matcher | undefined };
  c.matches = compileFilters(filters, (err) => {
    c.filterErrors++;
    c.firstFilterError ??= err.message;
  });
  return c;
}

/** Where each chosen partition's page starts, from the log's ends and the requested start. */
async function startPositions(client: KafkaClient, req: BrowseRequest, chosen: number[]) {
  const at = chosen.map((partition) => ({ topic: req.topic, partition }));
  // The end a scan reads to: the last stable offset for read_committed, the high watermark otherwise.
  const [starts, ends, byTime] = await Promise.all([
    offsetsAt(client, at, ListOffsetsTimestamp.EARLIEST),
    offsetsAt(client, at, ListOffsetsTimestamp.LATEST, isolationLevelOf(req.isolation)),
    req.start.kind === "timestamp" ? offsetsAt(client, at, req.start.timestamp) : undefined,
  ]);
  const lo = (p: number) => starts.get(partitionKey(req.topic, p)) ?? 0;
  const hi = (p: number) => ends.get(partitionKey(req.topic, p)) ?? 0;
  const perPartition = Math.max(1, Math.ceil(req.limit / chosen.length));
  const first = new Map<number, number>();
  for (const p of chosen) {
    const s = req.start;
    // A timestamp after the last record finds no offset (-1): the page starts at the end.
    const atTime = byTime?.get(partitionKey(req.topic, p)) ?? -1;
    const want =
      s.kind === "earliest" ? lo(p)
      : s.kind === "latest" ? hi(p) - perPartition
      : s.kind === "offset" ? s.offset
      : s.kind === "timestamp" ? (atTime < 0 ? hi(p) : atTime)
      : (s.positions[String(p)] ?? lo(p));
    first.set(p, Math.min(hi(p), Math.max(lo(p), want)));
  }
  return { first, lo, hi };
}

/**
 * One page of records: reads the chosen partitions from their start positions in rounds of one
 * Fetch, merges partitions by timestamp, keeps records that pass the filters, and stops at `limit`
 * matches, at the ends seen when the scan began, at `scanLimit` records read, or when cancelled.
 * A partition's next position is just after the last record it consumed, so paging on never skips
 * or repeats a record.
 */
export async function* browse(client: KafkaClient, req: BrowseRequest, signal?: AbortSignal): AsyncGenerator<{ progress: ScanProgress } | { result: BrowseResult }> {
  const chosen = await choosePartitions(client, req.topic, req.partitions);
  const { first, lo, hi } = await startPositions(client, req, chosen);
  const filter = filterCounter(req.filters);
  const rounds = new FetchRounds(client, req.topic, isolationLevelOf(req.isolation), req.cluster);
  // pos: just after the last record consumed (where the next page starts); fetchAt: where the next fetch reads.
  const pos = new Map(first);
  const fetchAt = new Map(first);
  const total = Math.min(req.scanLimit, chosen.reduce((n, p) => n + (hi(p) - pos.get(p)!), 0));
  const records: BrowsedRecord[] = [];
  const queues = new Map<number, { records: KafkaRecord[]; at: number }>();
  const hasMore = (p: number) => queues.has(p) || fetchAt.get(p)! < hi(p);
  let scanned = 0;
  let stoppedBy: BrowseResult["stoppedBy"] = "end";

  scan: while (chosen.some(hasMore)) {
    if (signal?.aborted) {
      stoppedBy = "cancelled";
      break;
    }
    // Refill the partitions whose fetched records are used up, up to the ends seen at the start.
    // One that returns none below its end moves past what it read (control batches), or is
    // finished when it read nothing.
    const dry = chosen.filter((p) => !queues.has(p) && fetchAt.get(p)! < hi(p));
    for (const [p, r] of await rounds.next(new Map(dry.map((p) => [p, fetchAt.get(p)!])), 0)) {
      const rs = r.records.filter((x) => x.offset < hi(p));
      const moved = r.nextOffset > fetchAt.get(p)! ? Math.min(r.nextOffset, hi(p)) : hi(p);
      fetchAt.set(p, rs.length ? Math.min(r.nextOffset, hi(p)) : moved);
      if (rs.length) queues.set(p, { records: rs, at: 0 });
      else pos.set(p, moved);
    }
    // Merge by timestamp while every partition with records left has some at hand: a partition
    // that ran dry is fetched again first, so another's later records never overtake its own.
    while (queues.size && chosen.every((p) => queues.has(p) || fetchAt.get(p)! >= hi(p))) {
      let pick = -1;
      let best = Infinity;
      for (const [p, q] of queues) {
        if (q.records[q.at].timestamp < best) {
          best = q.records[q.at].timestamp;
          pick = p;
        }
      }
      const q = queues.get(pick)!;
      const r = q.records[q.at++];
      pos.set(pick, r.offset + 1);
      if (q.at === q.records.length) {
        queues.delete(pick);
        // Past the control batches after the last record, too.
        pos.set(pick, fetchAt.get(pick)!);
      }
      scanned++;
      if (!filter.matches || (await filter.matches(r))) records.push(toBrowsed(pick, r));
      if (records.length >= req.limit) {
        stoppedBy = "limit";
        break scan;
      }
      if (scanned >= req.scanLimit) {
        stoppedBy = "scanLimit";
        break scan;
      }
    }
    yield { progress: { scanned, matched: records.length, total } };
  }

  const obj = (f: (p: number) => number) => Object.fromEntries(chosen.map((p) => [String(p), f(p)]));
  yield {
    result: {
      records,
      scanned,
      matched: records.length,
      total,
      start: obj((p) => first.get(p)!),
      next: obj((p) => pos.get(p)!),
      logStart: obj(lo),
      logEnd: obj(hi),
      stoppedBy,
      filterErrors: filter.filterErrors,
      firstFilterError: filter.firstFilterError,
    },
  };
}

/**
 * Follows new records from the end of the chosen partitions until `signal` aborts, yielding each
 * round's matches. It long-polls, so it needs a client of its own (a broker answers one
 * connection's requests in order).
 */
export async function* tail(
  client: KafkaClient,
  req: { cluster?: string; topic: string; partitions?: number[]; filters: Filters; isolation?: Isolation },
  signal: AbortSignal,
): AsyncGenerator<{ records: BrowsedRecord[]; filterErrors: number; firstFilterError: string | null }> {
  const chosen = await choosePartitions(client, req.topic, req.partitions);
  const level = isolationLevelOf(req.isolation);
  const ends = await offsetsAt(client, chosen.map((partition) => ({ topic: req.topic, partition })), ListOffsetsTimestamp.LATEST, level);
  const pos = new Map(chosen.map((p) => [p, ends.get(partitionKey(req.topic, p)) ?? 0]));
  const filter = filterCounter(req.filters);
  const rounds = new FetchRounds(client, req.topic, level, req.cluster);
  while (!signal.aborted) {
    const out: BrowsedRecord[] = [];
    for (const [p, r] of await rounds.next(pos, 1000)) {
      for (const rec of r.records) if (!filter.matches || (await filter.matches(rec))) out.push(toBrowsed(p, rec));
      pos.set(p, Math.max(pos.get(p)!, r.nextOffset));
    }
    if (out.length) yield { records: out.sort((a, b) => a.timestamp - b.timestamp), filterErrors: filter.filterErrors, firstFilterError: filter.firstFilterError };
  }
}
