/**
 * `npm run chaos -- --seed 42 --duration 600`: a long chaos run against three local brokers,
 * replayable from its seed. Exits 1 when the history check finds a violation.
 */
import { parseArgs } from "node:util";
import { describeViolations } from "./history";
import { runChaos } from "./run";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    duration: { type: "string", default: "300" },
    partitions: { type: "string", default: "3" },
    "database-url": { type: "string", default: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" },
    "keep-on-failure": { type: "boolean", default: true },
  },
});

const report = await runChaos({
  seed: Number(values.seed),
  durationMs: Number(values.duration) * 1000,
  partitions: Number(values.partitions),
  databaseServer: values["database-url"],
  keepOnFailure: values["keep-on-failure"],
  onProgress: (line) => console.log(line),
});
const kinds = report.faults.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.kind]: (acc[f.kind] ?? 0) + 1 }), {});
console.log(`seed ${report.seed}: ${report.faults.length} faults (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")}); ${report.acknowledged} acknowledged, ${report.sendsFailed} sends failed, ${report.liveReads} read live, ${report.finalRecords} in the final logs`);
if (report.violations.length) {
  console.log(`FAILED: ${report.violations.length} violations\n${describeViolations(report.violations)}`);
  if (report.dataDirs) console.log(`data dirs kept: ${report.dataDirs.join(" ")}`);
  process.exit(1);
}
console.log("no violations: every acknowledged record read back once, in order; no live read was truncated");
