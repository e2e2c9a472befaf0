/**
 * The appender the crash test kills: appends batches to a durable partition log as fast as it
 * can and prints "<base> <last> <tag>" only after each append is acknowledged.
 */
import { encodeRecordBatch } from "../../kafka/records/batch";
import { effectiveConfigs, logSettings } from "./configs";
import { PartitionLog } from "./partition-log";

const [dir, round] = process.argv.slice(2);
const settings = logSettings(effectiveConfigs({ "segment.bytes": String(64 * 1024), "index.interval.bytes": "512" }));
const log = PartitionLog.open(dir, "crash", 0, settings);
let n = 0;
async function loop(): Promise<void> {
  for (;;) {
    const tag = `${round}-${n++}`;
    const count = 1 + (n % 7);
    const batch = encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${tag}/${i}/${"p".repeat(n % 300)}`) })));
    const r = await log.append(batch);
    process.stdout.write(`${r.baseOffset} ${r.lastOffset} ${tag}\n`);
  }
}
// Several appenders at once, so acknowledgements share fsyncs as in production.
void Promise.all([loop(), loop(), loop()]);
