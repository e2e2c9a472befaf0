/**
 * The process the compaction crash test kills: appends keyed records to a durable compacted log
 * and compacts it over and over; prints "<offset> <key>" once each append is acknowledged and
 * "cleaning" as each cleaner pass starts.
 */
import { encodeRecordBatch } from "../../kafka/records/batch";
import { LogCleaner } from "./cleaner";
import { effectiveConfigs, logSettings } from "./configs";
import { PartitionLog } from "./partition-log";

const [dir] = process.argv.slice(2);
const settings = logSettings(effectiveConfigs({ "cleanup.policy": "compact", "segment.bytes": "4096", "index.interval.bytes": "256", "min.cleanable.dirty.ratio": "0.01" }));
const log = PartitionLog.open(dir, "crash", 0, settings);
const cleaner = new LogCleaner();
async function appendLoop(): Promise<void> {
  for (;;) {
    const base = log.logEndOffset;
    const keys = [0, 1, 2].map((j) => `k${(base * 7 + j) % 23}`);
    // Values name the offset they are written at, so the test can tell an original record from anything else.
    const r = await log.append(encodeRecordBatch(keys.map((k, j) => ({ key: Buffer.from(k), value: Buffer.from(`v${base + j}`) })), { compression: base % 2 ? "gzip" : "none" }));
    if (r.baseOffset !== base) throw new Error(`expected offset ${base}, got ${r.baseOffset}`);
    process.stdout.write(keys.map((k, j) => `${base + j} ${k}\n`).join(""));
  }
}
async function cleanLoop(): Promise<void> {
  for (;;) {
    process.stdout.write("cleaning\n"); // lets the test aim some kills at a cleaning pass
    await cleaner.clean(log);
    await new Promise((r) => setTimeout(r, 1));
  }
}
void Promise.all([appendLoop(), cleanLoop()]);
