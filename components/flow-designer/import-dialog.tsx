"use client";
import { useState } from "react";
import { trpc } from "@/components/trpc";
import { ErrorNote } from "@/components/ui";

/** Paste or pick a Flume agent's .properties; unsupported keys are reported, not dropped silently. */
export function ImportDialog({ onCancel, onImported }: { onCancel: () => void; onImported: (flow: unknown, unsupported: string[]) => void }) {
  const [text, setText] = useState("");
  const [agent, setAgent] = useState("a1");
  const run = trpc.flows.importProperties.useMutation({ onSuccess: (r) => onImported(r.flow, r.unsupported) });
  return (
    <div className="card import-dialog" role="dialog" aria-label="Import Flume properties">
      <h2>Import a Flume .properties file</h2>
      <p className="muted">The canvas is replaced by the imported flow; Undo brings the previous one back.</p>
      <label>
        Agent name (flume-ng -n) <input aria-label="Agent name" value={agent} onChange={(e) => setAgent(e.target.value)} />
      </label>{" "}
      <input type="file" accept=".properties,.conf,text/plain" aria-label="Properties file" onChange={(e) => void e.target.files?.[0]?.text().then(setText)} />
      <textarea aria-label="Properties text" rows={8} value={text} onChange={(e) => setText(e.target.value)} placeholder={"a1.sources = r1\na1.channels = c1\n…"} />
      <ErrorNote error={run.error} />
      <div className="row-actions">
        <button type="button" className="primary" disabled={!text.trim() || run.isPending} onClick={() => run.mutate({ text, agent })}>
          Import
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** After an import: what of the .properties file was not carried over, until dismissed. */
export function ImportReport({ unsupported, onDismiss }: { unsupported: string[]; onDismiss: () => void }) {
  return (
    <div className="card import-report" role="status">
      <strong>Imported.</strong> {unsupported.length === 0 ? "Every key was carried over." : `${unsupported.length} item${unsupported.length === 1 ? " was" : "s were"} not carried over:`}
      <ul>
        {unsupported.map((u) => (
          <li key={u}>{u}</li>
        ))}
      </ul>
      <button type="button" className="link" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
