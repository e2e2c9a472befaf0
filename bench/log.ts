/**
 * Storage engine benchmark: in-process appends of 100-byte records in 1 MiB record batches to one
 * partition log (CRC validated, offsets assigned, written to the segment file), without fsync and
 * durable (acknowledged after fdatasync, concurrent appends sharing fsyncs), then a sequential read
 * of the whole log in 1 MiB fetches. `npm run bench:log [-- --quick]` prints a markdown table and
 * writes bench/results/log.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BATCH_LENGTH, encodeRecordBatch, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, RECORD_COUNT } from "@/server/kafka/records/batch";
import { effectiveConfigs, logSettings } from "@/server/broker/log/configs";
import { PartitionLog } from "@/server/broker/log/partition-log";
import { formatSummary, markdownTable } from "./lib/markdown";
import { type Summary, summarize } from "./lib/stats";

const RECORD_BYTES = 100;
const BATCH_BYTES = 1 << 20;
/** Appends in flight at once in durable mode: what a broker sees from several producers, and what group commit needs. */
const DURABLE_APPENDERS = 4;

export interface LogBenchRow {
  mode: string;
  recordsPerSecond: Summary;
  mbPerSecond: Summary;
  fsyncsPerSecond: Summary | null;
  target: number;
}

export interface LogBenchResult {
  recordBytes: number;
  batchBytes: number;
  recordsPerBatch: number;
  bytesPerRun: number;
  runs: number;
  rows: LogBenchRow[];
  markdown: string;
}

/** One 1 MiB batch of 100-byte records; each appender gets its own buffer, rewritten in place on every append as a produce request's would be. */
function makeBatch(seed: number): { batch: Buffer; records: number } {
  const value = Buffer.alloc(RECORD_BYTES);
  for (let i = 0; i < RECORD_BYTES; i++) value[i] = (seed * 31 + i * 7) & 0xff;
  // Find how many records fill 1 MiB: one record's encoded size is fixed for equal values.
  const one = encodeRecordBatch([{ key: null, value, timestamp: 1_700_000_000_000 }]).length - HEADER_SIZE;
  const count = Math.floor((BATCH_BYTES - HEADER_SIZE) / (one + 2));
  const batch = encodeRecordBatch(Array.from({ length: count }, () => ({ key: null, value, timestamp: 1_700_000_000_000 })));
  return { batch, records: count };
}

interface Phase {
  seconds: number;
  records: number;
  bytes: number;
  fsyncs: number;
}

async function appendPhase(log: PartitionLog, batches: number, appenders: number): Promise<Phase> {
  const templates = Array.from({ length: appenders }, (_, i) => makeBatch(i));
  let left = batches;
  let records = 0;
  let bytes = 0;
  const fsyncsBefore = log.flushCount;
  const t0 = performance.now();
  await Promise.all(
    templates.map(async ({ batch, records: n }) => {
      while (left > 0) {
        left--;
        await log.append(batch);
        records += n;
        bytes += batch.length;
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, records, bytes, fsyncs: log.flushCount - fsyncsBefore };
}

/** Reads the log front to back as a consumer's fetches would, counting records from batch headers. */
async function readPhase(log: PartitionLog): Promise<Phase> {
  let offset = log.logStartOffset;
  let records = 0;
  let bytes = 0;
  const t0 = performance.now();
  while (offset < log.highWatermark) {
    const { records: buf } = await log.read(offset, BATCH_BYTES);
    let pos = 0;
    while (pos + HEADER_SIZE <= buf.length) {
      records += buf.readInt32BE(pos + RECORD_COUNT);
      offset = Number(buf.readBigInt64BE(pos)) + buf.readInt32BE(pos + LAST_OFFSET_DELTA) + 1;
      pos += buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    }
    bytes += buf.length;
  }
  return { seconds: (performance.now() - t0) / 1000, records, bytes, fsyncs: 0 };
}

async function runOnce(batches: number): Promise<{ noFlush: Phase; read: Phase; durable: Phase }> {
  const dir = await mkdtemp(join(tmpdir(), "tributary-bench-log-"));
  try {
    const fast = PartitionLog.open(join(dir, "fast-0"), "fast", 0, logSettings(effectiveConfigs({ "flush.messages": "9223372036854775807" })));
    const noFlush = await appendPhase(fast, batches, 1);
    const read = await readPhase(fast);
    await fast.close();
    const safe = PartitionLog.open(join(dir, "durable-0"), "durable", 0, logSettings(effectiveConfigs({})));
    const durable = await appendPhase(safe, batches, DURABLE_APPENDERS);
    await safe.close();
    return { noFlush, read, durable };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runLogBench(opts: { quick: boolean }): Promise<LogBenchResult> {
  const bytesPerRun = (opts.quick ? 128 : 512) << 20;
  const runs = opts.quick ? 2 : 5;
  const batches = bytesPerRun / BATCH_BYTES;
  const phases = { noFlush: [] as Phase[], durable: [] as Phase[], read: [] as Phase[] };
  for (let i = 0; i < runs; i++) {
    const r = await runOnce(batches);
    phases.noFlush.push(r.noFlush);
    phases.durable.push(r.durable);
    phases.read.push(r.read);
  }
  const row = (mode: string, ps: Phase[], target: number, withFsyncs: boolean): LogBenchRow => ({
    mode,
    recordsPerSecond: summarize(ps.map((p) => p.records / p.seconds)),
    mbPerSecond: summarize(ps.map((p) => p.bytes / p.seconds / 1e6)),
    fsyncsPerSecond: withFsyncs ? summarize(ps.map((p) => p.fsyncs / p.seconds)) : null,
    target,
  });
  const rows = [
    row("append, no flush", phases.noFlush, 3_000_000, false),
    row(`append, durable (fsync before ack, ${DURABLE_APPENDERS} appenders)`, phases.durable, 1_000_000, true),
    row("sequential read (1 MiB fetches)", phases.read, 5_000_000, false),
  ];
  const markdown = markdownTable(
    ["mode (100-byte records, 1 MiB batches)", "records/s", "MB/s", "fsyncs/s", "target records/s", "met"],
    rows.map((r) => [
      r.mode,
      formatSummary(r.recordsPerSecond),
      formatSummary(r.mbPerSecond),
      r.fsyncsPerSecond ? formatSummary(r.fsyncsPerSecond) : "—",
      r.target.toLocaleString("en-US"),
      r.recordsPerSecond.median >= r.target ? "yes" : "no",
    ]),
    ["left", "right", "right", "right", "right", "left"],
  );
  return { recordBytes: RECORD_BYTES, batchBytes: BATCH_BYTES, recordsPerBatch: makeBatch(0).records, bytesPerRun, runs, rows, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runLogBench({ quick: process.argv.includes("--quick") });
  const out = join(import.meta.dirname, "results");
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "log.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${result.markdown}\n\n${result.bytesPerRun >> 20} MiB per run (${result.recordsPerBatch} records per batch), ${result.runs} runs; median (min–max)\n`);
}
