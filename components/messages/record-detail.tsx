"use client";
import { useState } from "react";
import { formatBytes, formatTimestamp } from "@/components/format";
import type { BrowsedRecord } from "@/server/admin/browse";
import { hexDump, prettyJson, preview, toUint8 } from "./bytes";
import { recordJson } from "./record-json";

/** One record opened: its value as JSON, text or hex, its headers, and a copy of the whole record. */
export function RecordDetail({ r }: { r: BrowsedRecord }) {
  const pretty = r.value?.encoding === "utf8" ? prettyJson(r.value.data) : undefined;
  const [mode, setMode] = useState<"json" | "text" | "hex">(pretty ? "json" : r.value?.encoding === "base64" ? "hex" : "text");
  const [copied, setCopied] = useState(false);
  const shown = r.value === null ? "null" : mode === "hex" ? hexDump(toUint8(r.value)) : mode === "json" && pretty ? pretty : r.value.encoding === "utf8" ? r.value.data : hexDump(toUint8(r.value));
  return (
    <div className="record-detail">
      <div className="actions">
        <div role="tablist" aria-label="Value format" className="segmented">
          {(["json", "text", "hex"] as const).map((m) => (
            <button key={m} type="button" role="tab" aria-selected={mode === m} className={mode === m ? "on" : undefined} disabled={m === "json" && !pretty} onClick={() => setMode(m)}>
              {m === "json" ? "JSON" : m === "text" ? "Text" : "Hex"}
            </button>
          ))}
        </div>
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard.writeText(JSON.stringify(recordJson(r), null, 2)).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? "Copied" : "Copy record"}
        </button>
        <span className="muted">
          partition {r.partition} · offset {r.offset} · {formatTimestamp(r.timestamp)} · {formatBytes(r.size)}
          {r.truncated ? " · value cut for display" : ""}
        </span>
      </div>
      <pre aria-label="Record value">{shown}</pre>
      {r.headers.length > 0 && (
        <table className="data compact" aria-label="Headers">
          <thead>
            <tr>
              <th>Header</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {r.headers.map((h, i) => (
              <tr key={i}>
                <td>
                  <code>{h.key}</code>
                </td>
                <td>
                  <code>{preview(h.value, 400)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
