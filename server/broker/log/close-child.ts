/**
 * Opens a log with many partitions under a low open-file limit (set by the test), appends a
 * record to each and closes it: the close must stay within the limit. Prints "closed" at the end.
 */
import { encodeRecordBatch } from "../../kafka/records/batch";
import { LogManager } from "./log-manager";

const [dataDir, partitions] = process.argv.slice(2);
const logs = LogManager.open({ dataDir, maxOpenSegments: 32, backgroundIntervalMs: 60_000 });
await logs.createTopic("wide", { partitions: Number(partitions), configs: { "flush.messages": "1000000" } });
for (const p of logs.partitions("wide")) await p.append(encodeRecordBatch([{ value: Buffer.from(`to ${p.partition}`) }]));
await logs.close();
process.stdout.write("closed\n");
