"use client";
import { useMemo, useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { formatBytes, formatDuration } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Options } from "@/components/ui";
import { controlOf, describeValue, diffOverrides, parseWithUnit } from "./topic-configs";

type ConfigRow = inferRouterOutputs<AppRouter>["topics"]["get"]["configs"][number];

const fmt = { duration: formatDuration, bytes: formatBytes };

function Value({ name, value }: { name: string; value: string | null }) {
  if (value === null) return <span className="muted">default</span>;
  const human = describeValue(name, value, fmt);
  return (
    <span>
      <code>{value}</code>
      {human && <span className="muted"> ({human})</span>}
    </span>
  );
}

/** A config's value in the review: an unset one shows the default it falls back to, when the cluster said. */
function ReviewValue({ name, value, fallback }: { name: string; value: string | null; fallback: string | null }) {
  if (value !== null) return <Value name={name} value={value} />;
  return (
    <span>
      <span className="muted">default</span>
      {fallback !== null && (
        <>
          {" "}
          <Value name={name} value={fallback} />
        </>
      )}
    </span>
  );
}

/** The control for one config while editing: a select for enums, a switch for booleans, units for durations and sizes. */
function ConfigInput({ row, value, onChange }: { row: ConfigRow; value: string; onChange: (v: string) => void }) {
  const control = controlOf(row.name);
  const label = `Value of ${row.name}`;
  const fallback = row.override ? null : row.value;
  if (control.kind === "enum") {
    return (
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">default{fallback ? ` (${fallback})` : ""}</option>
        <Options values={control.choices} />
      </select>
    );
  }
  if (control.kind === "boolean") {
    const on = (value || fallback) === "true";
    return (
      <span className="config-switch">
        <label className="check">
          <input type="checkbox" role="switch" aria-label={label} checked={on} onChange={(e) => onChange(String(e.target.checked))} /> {on ? "on" : "off"}
        </label>
        {value !== "" && (
          <button type="button" className="link" onClick={() => onChange("")}>
            back to default{fallback ? ` (${fallback})` : ""}
          </button>
        )}
      </span>
    );
  }
  const parsed = value.trim() && (control.kind === "ms" || control.kind === "bytes") ? parseWithUnit(control.kind, value) : null;
  return (
    <span className="config-unit">
      <input aria-label={label} value={value} aria-invalid={Boolean(parsed && "error" in parsed)} placeholder={fallback === null ? "" : `default: ${describeValue(row.name, fallback, fmt) ?? fallback}`} onChange={(e) => onChange(e.target.value)} />
      {parsed && ("error" in parsed ? <span className="hint error-text">{parsed.error}</span> : parsed.value !== value.trim() && <span className="hint muted">= {parsed.value}</span>)}
    </span>
  );
}

/** The draft as Kafka values: units read; null when a field does not parse. */
function draftValues(draft: Record<string, string>): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(draft)) {
    if (v.trim() === "") continue;
    const control = controlOf(k);
    const p = control.kind === "ms" || control.kind === "bytes" ? parseWithUnit(control.kind, v) : { value: v.trim() };
    if ("error" in p) return null;
    out[k] = p.value;
  }
  return out;
}

export function TopicConfigs({ cluster, topic, configs, editable }: { cluster: string; topic: string; configs: ConfigRow[]; editable: boolean }) {
  const overrides = useMemo(() => Object.fromEntries(configs.filter((c) => c.override && c.value !== null).map((c) => [c.name, c.value as string])), [configs]);
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const [review, setReview] = useState(false);
  const [saved, setSaved] = useState("");
  const utils = trpc.useUtils();
  const alter = trpc.topics.alterConfigs.useMutation({
    onSuccess: async (r) => {
      setSaved(`Saved ${diffOverrides(r.before, r.after).length} change(s).`);
      setDraft(null);
      setReview(false);
      await utils.topics.get.invalidate({ cluster, topic });
    },
  });
  const parsedDraft = draft ? draftValues(draft) : overrides;
  const desired = parsedDraft ?? overrides;
  const changes = diffOverrides(overrides, desired);
  // What an unset config falls back to, as DescribeConfigs reported it (known for the configs not overridden now).
  const defaults = useMemo(() => new Map(configs.filter((c) => !c.override).map((c) => [c.name, c.value])), [configs]);

  return (
    <Card
      title={
        <span className="card-title-row">
          Configs
          {editable && !draft && (
            <button type="button" onClick={() => (setSaved(""), setDraft({ ...overrides }))}>
              Edit configs
            </button>
          )}
        </span>
      }
    >
      {saved && <p className="success">{saved}</p>}
      {review && draft ? (
        <div className="stack">
          <h3>Review {changes.length} change(s)</h3>
          {changes.length === 0 ? (
            <p className="muted">Nothing changed.</p>
          ) : (
            <table className="data diff" aria-label="Config changes">
              <thead>
                <tr>
                  <th>Config</th>
                  <th>Before</th>
                  <th>After</th>
                </tr>
              </thead>
              <tbody>
                {changes.map((c) => (
                  <tr key={c.name}>
                    <td>
                      <code>{c.name}</code>
                    </td>
                    <td className="before">
                      <ReviewValue name={c.name} value={c.before} fallback={defaults.get(c.name) ?? null} />
                    </td>
                    <td className="after">
                      <ReviewValue name={c.name} value={c.after} fallback={defaults.get(c.name) ?? null} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <ErrorNote error={alter.error} />
          <div className="actions">
            <button type="button" className="primary" disabled={alter.isPending || changes.length === 0} onClick={() => alter.mutate({ cluster, topic, configs: desired })}>
              {alter.isPending ? "Applying…" : "Apply changes"}
            </button>
            <button type="button" onClick={() => setReview(false)}>
              Back to editing
            </button>
          </div>
        </div>
      ) : (
        <>
          <table className="data configs">
            <thead>
              <tr>
                <th>Config</th>
                <th>Value</th>
                <th>Source</th>
                <th>What it does</th>
              </tr>
            </thead>
            <tbody>
              {configs.map((c) => (
                <tr key={c.name}>
                  <td>
                    <code>{c.name}</code>
                  </td>
                  <td>
                    {draft && !c.readOnly ? (
                      <ConfigInput row={c} value={draft[c.name] ?? ""} onChange={(v) => setDraft({ ...draft, [c.name]: v })} />
                    ) : c.sensitive ? (
                      <span className="muted">hidden</span>
                    ) : (
                      <Value name={c.name} value={c.value} />
                    )}
                  </td>
                  <td>{c.override ? <span className="badge ok">topic</span> : <span className="muted">default</span>}</td>
                  <td className="muted doc">{c.doc ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {draft && (
            <div className="actions sticky-actions">
              <span className="muted">Empty a field to return it to the cluster's default.</span>
              <button type="button" className="primary" disabled={parsedDraft === null} title={parsedDraft === null ? "Fix the values marked in red first" : undefined} onClick={() => setReview(true)}>
                Review changes ({changes.length})
              </button>
              <button type="button" onClick={() => (setDraft(null), alter.reset())}>
                Cancel
              </button>
            </div>
          )}
        </>
      )}
    </Card>
  );
}
