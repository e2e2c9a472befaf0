import { downloadText } from "@/components/download";
import type { BrowsedRecord } from "@/server/admin/browse";
import type { Bytes } from "./bytes";

/** A browsed record as JSON: text stays text, bytes that are not UTF-8 become { base64 }. */
export function recordJson(r: BrowsedRecord) {
  const val = (b: Bytes | null) => (b === null ? null : b.encoding === "utf8" ? b.data : { base64: b.data });
  return {
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: val(r.key),
    value: val(r.value),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, val(h.value)])),
  };
}

/** Saves records as JSON lines, one record per line. */
export function downloadRecords(records: BrowsedRecord[], name: string) {
  downloadText(name, records.map((r) => JSON.stringify(recordJson(r))).join("\n") + "\n", "application/x-ndjson");
}
