import { metrics, type Counter } from "./registry";
import { partitionKey } from "../kafka/partition-key";

/**
 * What the console's own scans (browse, search, download, live tail) read from the embedded
 * broker. The broker's "out" counters count every Fetch it serves, these included; the dashboard
 * subtracts them so "out" is consumer traffic, and charts them apart as "console reads".
 * Counted as the broker counts: record-set bytes and the records of every batch served.
 */
export const CONSOLE_READS = {
  records: "tributary_console_records_read_total",
  bytes: "tributary_console_bytes_read_total",
} as const;

const counters = new Map<string, { records: Counter; bytes: Counter }>();

export function countConsoleRead(topic: string, partition: number, wire: { bytes: number; records: number }): void {
  if (wire.bytes === 0) return;
  const id = partitionKey(topic, partition);
  let c = counters.get(id);
  if (!c) {
    const labels = { topic, partition: String(partition) };
    c = {
      records: metrics.counter(CONSOLE_READS.records, "records the console's own scans read from the embedded broker (counted in the broker's records out too)", labels),
      bytes: metrics.counter(CONSOLE_READS.bytes, "record batch bytes the console's own scans read from the embedded broker (counted in the broker's bytes out too)", labels),
    };
    counters.set(id, c);
  }
  c.records.inc(wire.records);
  c.bytes.inc(wire.bytes);
}
