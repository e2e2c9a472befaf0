"use client";
import { useState } from "react";
import { formatBytes, formatTimestamp } from "@/components/format";
import { useTimeZone } from "@/components/time-zone";
import type { BrowsedRecord } from "@/server/admin/browse";
import { hexDump, parsedJson, preview, toUint8 } from "./bytes";
import { JsonTree } from "./json-tree";
import { recordJson } from "./record-json";

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button type="button" onClick={() => void navigator.clipboard.writeText(text).then(() => setCopied(true), () => setCopied(false))}>
      {copied ? "Copied" : label}
    </button>
  );
}

/** One record opened: its value as a JSON tree, text or hex, its headers, and copies of the record (and of binary values as base64). */
export function RecordDetail({ r }: { r: BrowsedRecord }) {
  const zone = useTimeZone();
  const json = r.value?.encoding === "utf8" ? parsedJson(r.value.data) : undefined;
  const [mode, setMode] = useState<"json" | "text" | "hex">(json ? "json" : r.value?.encoding === "base64" ? "hex" : "text");
  // Bytes that are not UTF-8 have no text to show: hex in either mode.
  const shown = r.value === null ? "null" : mode === "hex" || r.value.encoding === "base64" ? hexDump(toUint8(r.value)) : r.value.data;
  return (
    <div className="record-detail">
      <div className="actions">
        <div role="tablist" aria-label="Value format" className="segmented">
          {(["json", "text", "hex"] as const).map((m) => (
            <button key={m} type="button" role="tab" aria-selected={mode === m} className={mode === m ? "on" : undefined} disabled={m === "json" && !json} onClick={() => setMode(m)}>
              {m === "json" ? "JSON" : m === "text" ? "Text" : "Hex"}
            </button>
          ))}
        </div>
        <CopyButton text={JSON.stringify(recordJson(r), null, 2)} label="Copy record" />
        {r.value?.encoding === "base64" && <CopyButton text={r.value.data} label="Copy value as base64" />}
        <span className="muted">
          partition {r.partition} · offset {r.offset} · {formatTimestamp(r.timestamp, zone)} · {formatBytes(r.size)}
          {r.truncated ? " · value cut for display" : ""}
        </span>
      </div>
      {mode === "json" && json ? <JsonTree value={json.value} label="Record value" /> : <pre aria-label="Record value">{shown}</pre>}
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
