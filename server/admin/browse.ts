import jsonata from "jsonata";
import type { WireRecord } from "kafkajs/src/cluster/index.js";
import { EARLIEST, LATEST, KafkaRequestError, type KafkaRequests } from "./kafka-requests";

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

export interface BrowseRequest {
  topic: string;
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

/** Values larger than this are cut for display; the size column still shows the real size. */
export const MAX_VALUE_BYTES = 256 * 1024;
const FETCH_BYTES_PER_PARTITION = 512 * 1024;

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

function headerList(h: WireRecord["headers"]): { key: string; value: Buffer | null }[] {
  const out: { key: string; value: Buffer | null }[] = [];
  for (const [key, v] of Object.entries(h ?? {})) {
    if (Array.isArray(v)) for (const x of v) out.push({ key, value: x });
    else out.push({ key, value: v });
  }
  return out;
}

export function toBrowsed(partition: number, r: WireRecord): BrowsedRecord {
  const headers = headerList(r.headers);
  const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + headers.reduce((n, h) => n + Buffer.byteLength(h.key) + (h.value?.length ?? 0), 0);
  return {
    partition,
    offset: Number(r.offset),
    timestamp: Number(r.timestamp),
    key: bytes(r.key),
    value: bytes(r.value, MAX_VALUE_BYTES),
    truncated: (r.value?.length ?? 0) > MAX_VALUE_BYTES,
    headers: headers.map((h) => ({ key: h.key, value: bytes(h.value) })),
    size,
  };
}

type Matcher = (r: WireRecord) => Promise<boolean>;

/** Compiles the filters once per scan; a bad JSONata expression is the user's to fix, before any read. */
export function compileFilters(f: Filters, onError: (err: Error) => void): Matcher | undefined {
  const tests: ((r: WireRecord) => boolean | Promise<boolean>)[] = [];
  if (f.key) {
    const key = Buffer.from(f.key);
    tests.push((r) => r.key !== null && r.key.equals(key));
  }
  if (f.header?.name) {
    const { name, value } = f.header;
    const want = value === undefined || value === "" ? undefined : Buffer.from(value);
    tests.push((r) => headerList(r.headers).some((h) => h.key === name && (!want || (h.value !== null && h.value.equals(want)))));
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

const key = (topic: string, p: number) => `${topic}:${p}`;

/**
 * One page of records: reads the chosen partitions from their start positions in rounds of one
 * Fetch, merges partitions by timestamp, keeps records that pass the filters, and stops at `limit`
 * matches, at the ends seen when the scan began, at `scanLimit` records read, or when cancelled.
 * A partition's next position is just after the last record it consumed, so paging on never skips
 * or repeats a record.
 */
export async function* browse(
  requests: KafkaRequests,
  req: BrowseRequest,
  signal?: AbortSignal,
): AsyncGenerator<{ progress: ScanProgress } | { result: BrowseResult }> {
  const all = await requests.partitions(req.topic);
  const known = new Set(all.map((p) => p.partition));
  const chosen = req.partitions?.length ? [...new Set(req.partitions)].sort((a, b) => a - b) : all.map((p) => p.partition);
  const missing = chosen.filter((p) => !known.has(p));
  if (missing.length) throw new KafkaRequestError(`${req.topic} has no partition ${missing.join(", ")}; it has partitions 0–${all.length - 1}`);
  const leaders = new Map(all.map((p) => [key(req.topic, p.partition), p.leader]));
  const q = [{ topic: req.topic, partitions: chosen }];
  const [starts, ends] = await Promise.all([requests.listOffsets(q, EARLIEST, leaders), requests.listOffsets(q, LATEST, leaders)]);
  const first = new Map<number, number>();
  const at = req.start.kind === "timestamp" ? await requests.listOffsets(q, req.start.timestamp, leaders) : undefined;
  const perPartition = Math.max(1, Math.ceil(req.limit / chosen.length));
  for (const p of chosen) {
    const lo = starts.get(key(req.topic, p)) ?? 0;
    const hi = ends.get(key(req.topic, p)) ?? 0;
    const s = req.start;
    const want =
      s.kind === "earliest" ? lo
      : s.kind === "latest" ? hi - perPartition
      : s.kind === "offset" ? s.offset
      : s.kind === "timestamp" ? ((at!.get(key(req.topic, p)) ?? -1) < 0 ? hi : at!.get(key(req.topic, p))!)
      : (s.positions[String(p)] ?? lo);
    first.set(p, Math.min(hi, Math.max(lo, want)));
  }

  let filterErrors = 0;
  let firstFilterError: string | null = null;
  const matches = compileFilters(req.filters, (err) => {
    filterErrors++;
    firstFilterError ??= err.message;
  });

  const pos = new Map(first);
  const total = Math.min(req.scanLimit, chosen.reduce((n, p) => n + (ends.get(key(req.topic, p))! - pos.get(p)!), 0));
  const records: BrowsedRecord[] = [];
  let scanned = 0;
  let stoppedBy: BrowseResult["stoppedBy"] = "end";
  const active = () => chosen.filter((p) => pos.get(p)! < ends.get(key(req.topic, p))!);

  scan: while (true) {
    const open = active();
    if (open.length === 0) break;
    if (signal?.aborted) {
      stoppedBy = "cancelled";
      break;
    }
    const fetched = await requests.fetch(req.topic, new Map(open.map((p) => [p, pos.get(p)!])), { maxBytesPerPartition: FETCH_BYTES_PER_PARTITION, leaders });
    // Each partition's records up to the end seen at the start; a partition that returns nothing
    // below its end (a gap left by compaction at its tail) is finished.
    const queues = new Map<number, WireRecord[]>();
    for (const f of fetched) {
      const end = ends.get(key(req.topic, f.partition))!;
      const rs = f.records.filter((r) => Number(r.offset) < end);
      if (rs.length) queues.set(f.partition, rs);
      else pos.set(f.partition, end);
    }
    // Merge by timestamp so a page over several partitions reads in time order.
    while (queues.size) {
      let pick = -1;
      let best = Infinity;
      for (const [p, rs] of queues) {
        const t = Number(rs[0].timestamp);
        if (t < best) {
          best = t;
          pick = p;
        }
      }
      const rs = queues.get(pick)!;
      const r = rs.shift()!;
      if (rs.length === 0) queues.delete(pick);
      scanned++;
      pos.set(pick, Number(r.offset) + 1);
      if (!matches || (await matches(r))) records.push(toBrowsed(pick, r));
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

  const obj = (m: Map<number, number> | ((p: number) => number)) =>
    Object.fromEntries(chosen.map((p) => [String(p), typeof m === "function" ? m(p) : m.get(p)!]));
  yield {
    result: {
      records,
      scanned,
      matched: records.length,
      total,
      start: obj(first),
      next: obj(pos),
      logStart: obj((p) => starts.get(key(req.topic, p)) ?? 0),
      logEnd: obj((p) => ends.get(key(req.topic, p)) ?? 0),
      stoppedBy,
      filterErrors,
      firstFilterError,
    },
  };
}

/**
 * Follows new records from the end of the chosen partitions until `signal` aborts, yielding each
 * round's matches. It long-polls, so it needs a connection of its own (a broker answers one
 * connection's requests in order).
 */
export async function* tail(
  requests: KafkaRequests,
  req: { topic: string; partitions?: number[]; filters: Filters },
  signal: AbortSignal,
): AsyncGenerator<{ records: BrowsedRecord[]; filterErrors: number; firstFilterError: string | null }> {
  const all = await requests.partitions(req.topic);
  const chosen = req.partitions?.length ? req.partitions.filter((p) => all.some((x) => x.partition === p)) : all.map((p) => p.partition);
  const leaders = new Map(all.map((p) => [key(req.topic, p.partition), p.leader]));
  const ends = await requests.listOffsets([{ topic: req.topic, partitions: chosen }], LATEST, leaders);
  const pos = new Map(chosen.map((p) => [p, ends.get(key(req.topic, p)) ?? 0]));
  let filterErrors = 0;
  let firstFilterError: string | null = null;
  const matches = compileFilters(req.filters, (err) => {
    filterErrors++;
    firstFilterError ??= err.message;
  });
  while (!signal.aborted) {
    const fetched = await requests.fetch(req.topic, pos, { maxBytesPerPartition: FETCH_BYTES_PER_PARTITION, maxWaitMs: 1000, leaders });
    const out: BrowsedRecord[] = [];
    for (const f of fetched) {
      for (const r of f.records) {
        pos.set(f.partition, Number(r.offset) + 1);
        if (!matches || (await matches(r))) out.push(toBrowsed(f.partition, r));
      }
    }
    if (out.length) yield { records: out.sort((a, b) => a.timestamp - b.timestamp), filterErrors, firstFilterError };
  }
}
