"use client";
import { useState, type FormEvent } from "react";
import { formText } from "@/components/form-text";
import "./browse-form.css";
import { FIELDS, isolationOf, POSITION, QUICK_RANGES, startKindOf, toLocalInput, type StartKind } from "./browse-url";

/**
 * The search: partitions, where to start, page size and the filters. It starts from the URL (so
 * mount it keyed by the query string) and submits a new query string.
 */
export function BrowseForm({ params, cluster, partitions, onSearch }: { params: URLSearchParams; cluster: string; partitions: number | undefined; onSearch: (next: URLSearchParams) => void }) {
  const kind = startKindOf(params);
  const [startKind, setStartKind] = useState<StartKind>(kind);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    if (cluster !== "embedded") next.set("cluster", cluster);
    for (const k of FIELDS) {
      let v = formText(f, k).trim();
      // Times go into the link as UTC, so a shared link means the same instant everywhere.
      if (k === "at" && startKind === "timestamp" && v) v = new Date(v).toISOString();
      // read_committed is the default, so links to it stay short.
      if (k === "iso" && v !== "uncommitted") continue;
      if (v) next.set(k, v);
    }
    onSearch(next);
  };
  const initial = (name: string) => params.get(name) ?? "";
  // A quick range keeps the rest of the search and starts it at a time, in epoch ms like Kafka's timestamps.
  const quick = (since: number) => {
    const next = new URLSearchParams(params);
    next.delete(POSITION);
    next.set("start", "timestamp");
    next.set("at", String(since));
    onSearch(next);
  };
  return (
    <form className="browse-form card" onSubmit={submit}>
      <label>
        Partitions
        <input name="p" placeholder={partitions === undefined ? "all" : `all (0–${partitions - 1})`} defaultValue={initial("p")} aria-label="Partitions" />
      </label>
      <label>
        Start
        <select name="start" aria-label="Start" value={startKind} onChange={(e) => setStartKind(e.target.value as StartKind)}>
          <option value="earliest">earliest</option>
          <option value="latest">latest</option>
          <option value="offset">offset</option>
          <option value="timestamp">timestamp</option>
        </select>
      </label>
      {startKind === "offset" && (
        <label>
          Offset
          <input name="at" inputMode="numeric" aria-label="Start offset" defaultValue={kind === "offset" ? initial("at") : ""} required />
        </label>
      )}
      {startKind === "timestamp" && (
        <label>
          From
          <input name="at" type="datetime-local" step={1} aria-label="Start time" defaultValue={kind === "timestamp" ? toLocalInput(initial("at")) : ""} required />
        </label>
      )}
      <label>
        Page size
        <input name="limit" type="number" min={1} max={500} aria-label="Page size" defaultValue={params.get("limit") ?? "50"} />
      </label>
      <label title="read_committed stops at the last stable offset and hides aborted transactions; read_uncommitted reads to the high watermark. Commit and abort markers are never shown.">
        Isolation
        <select name="iso" aria-label="Isolation" defaultValue={isolationOf(params) === "read_uncommitted" ? "uncommitted" : "committed"}>
          <option value="committed">read_committed</option>
          <option value="uncommitted">read_uncommitted</option>
        </select>
      </label>
      <label>
        Key
        <input name="key" aria-label="Key filter" placeholder="exact key" defaultValue={initial("key")} />
      </label>
      <label>
        Header
        <span className="pair">
          <input name="hname" aria-label="Header name" placeholder="name" defaultValue={initial("hname")} />
          <input name="hval" aria-label="Header value" placeholder="value (any)" defaultValue={initial("hval")} />
        </span>
      </label>
      <label>
        Value contains
        <input name="text" aria-label="Value contains" placeholder="text" defaultValue={initial("text")} />
      </label>
      <label className="wide">
        JSONata on the value
        <input name="expr" aria-label="JSONata filter" placeholder='e.g. amount > 100 and status = "paid"' defaultValue={initial("expr")} />
      </label>
      <div className="actions">
        <button type="submit" className="primary">
          Search
        </button>
        <span className="segmented quick-ranges" role="group" aria-label="Quick time ranges">
          {QUICK_RANGES.map((r) => (
            <button key={r.label} type="button" onClick={() => quick(r.since(Date.now()))}>
              {r.label}
            </button>
          ))}
        </span>
      </div>
    </form>
  );
}
