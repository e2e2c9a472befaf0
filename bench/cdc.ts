/**
 * Change data capture benchmark: changes/s that a postgres_cdc source captures from a table
 * receiving batch inserts (1,000 rows per INSERT), in logical mode and in incrementing (polling)
 * mode, through a flow postgres_cdc → memory channel → null sink.
 *  - live: the inserts run while the flow captures; time from the first insert to the last change drained.
 *  - backlog: the rows are written first; time for a started flow to drain them all (catch-up speed).
 * Needs the Postgres server at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)
 * with wal_level=logical. `npm run bench:cdc [-- --quick]` prints a markdown table and writes
 * bench/results/cdc.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FlowRuntime } from "@/server/agents/runtime";
import { cdcTestDb, type CdcTestDb, TEST_PG_URL } from "@/server/agents/testing/cdc-test-db";
import { formatSummary, markdownTable } from "./lib/markdown";
import { type Summary, summarize } from "./lib/stats";

const INSERT_BATCH = 1000;

type Mode = "logical" | "incrementing";

export interface CdcBenchRow {
  mode: Mode;
  case: "live" | "backlog";
  changesPerSecond: Summary;
}

export interface CdcBenchResult {
  rows: number;
  runs: number;
  insertRowsPerSecond: Summary;
  results: CdcBenchRow[];
  markdown: string;
}

async function insertRows(db: CdcTestDb, table: string, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i += INSERT_BATCH) {
    await db.sql.unsafe(`INSERT INTO ${table} (payload, n, at) SELECT repeat('x', 100), g, now() FROM generate_series(1, ${Math.min(INSERT_BATCH, n - i)}) g`);
  }
  return (performance.now() - t0) / 1000;
}

function flowOf(db: CdcTestDb, mode: Mode, table: string, slot: string, publication: string) {
  const source = mode === "logical"
    ? { type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL, mode, table, slot, publication, snapshot: "never", "batch.max.rows": 1000 }
    : { type: "postgres_cdc", channels: ["c1"], url: TEST_PG_URL, mode, table, "key.column": "id", "batch.max.rows": 1000, "poll.interval.ms": 10 };
  return {
    name: "bench",
    sources: { pg: source },
    channels: { c1: { type: "memory", capacity: 100_000, transactionCapacity: 1000 } },
    sinks: { k1: { type: "null", channel: "c1", batchSize: 1000 } },
  };
}

async function drained(rt: FlowRuntime, n: number): Promise<void> {
  while ((rt.flumeMetrics()["SINK.k1"].EventDrainSuccessCount as number) < n) await new Promise((r) => setTimeout(r, 2));
}

async function runOnce(db: CdcTestDb, mode: Mode, which: "live" | "backlog", n: number): Promise<{ seconds: number; insertSeconds: number }> {
  const table = db.name("bench");
  const slot = db.name("slot");
  const pub = db.name("pub");
  await db.sql.unsafe(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, payload text, n int, at timestamptz)`);
  const dataDir = await db.tempDir();
  const def = flowOf(db, mode, table, slot, pub);
  try {
    if (which === "live") {
      const rt = new FlowRuntime(def, { agent: "bench", dataDir });
      await rt.start();
      const t0 = performance.now();
      const insertSeconds = await insertRows(db, table, n);
      await drained(rt, n);
      const seconds = (performance.now() - t0) / 1000;
      await rt.stop();
      return { seconds, insertSeconds };
    }
    if (mode === "logical") {
      // The slot must exist before the rows are written, or they would only reach it through a snapshot.
      const first = new FlowRuntime(def, { agent: "bench", dataDir });
      await first.start();
      await first.stop();
    }
    const insertSeconds = await insertRows(db, table, n);
    const rt = new FlowRuntime(def, { agent: "bench", dataDir });
    const t0 = performance.now();
    await rt.start();
    await drained(rt, n);
    const seconds = (performance.now() - t0) / 1000;
    await rt.stop();
    return { seconds, insertSeconds };
  } finally {
    await db.dropSlot(slot);
    await db.sql.unsafe(`DROP PUBLICATION IF EXISTS ${pub}`);
    await db.sql.unsafe(`DROP TABLE ${table}`);
  }
}

export async function runCdcBench(opts: { quick: boolean }): Promise<CdcBenchResult> {
  const n = opts.quick ? 50_000 : 200_000;
  const runs = opts.quick ? 2 : 3;
  const db = cdcTestDb();
  const results: CdcBenchRow[] = [];
  const inserts: number[] = [];
  try {
    for (const mode of ["logical", "incrementing"] as const) {
      for (const which of ["live", "backlog"] as const) {
        const cps: number[] = [];
        for (let i = 0; i < runs; i++) {
          const { seconds, insertSeconds } = await runOnce(db, mode, which, n);
          cps.push(n / seconds);
          inserts.push(n / insertSeconds);
        }
        results.push({ mode, case: which, changesPerSecond: summarize(cps) });
      }
    }
  } finally {
    await db.cleanup();
  }
  const insertRowsPerSecond = summarize(inserts);
  const markdown = markdownTable(
    ["mode", "case", "changes/s"],
    results.map((r) => [r.mode, r.case, formatSummary(r.changesPerSecond)]),
    ["left", "left", "right"],
  );
  return { rows: n, runs, insertRowsPerSecond, results, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runCdcBench({ quick: process.argv.includes("--quick") });
  const out = join(import.meta.dirname, "results");
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "cdc.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${result.markdown}\n\n${result.rows} rows per run in ${INSERT_BATCH}-row INSERTs, ${result.runs} runs; median (min–max). ` +
    `The same INSERTs alone: ${formatSummary(result.insertRowsPerSecond)} rows/s.\n`);
  process.exit(0);
}
