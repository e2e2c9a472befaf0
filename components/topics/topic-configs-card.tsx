"use client";
import { useMemo, useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { formatBytes, formatDuration } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote } from "@/components/ui";
import { describeValue, diffOverrides } from "./topic-configs";

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
  const desired = draft ? Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim() !== "").map(([k, v]) => [k, v.trim()])) : overrides;
  const changes = diffOverrides(overrides, desired);

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
                      <Value name={c.name} value={c.before} />
                    </td>
                    <td className="after">
                      <Value name={c.name} value={c.after} />
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
                      <input
                        aria-label={`Value of ${c.name}`}
                        value={draft[c.name] ?? ""}
                        placeholder={c.override ? "" : `default: ${c.value ?? ""}`}
                        onChange={(e) => setDraft({ ...draft, [c.name]: e.target.value })}
                      />
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
              <button type="button" className="primary" onClick={() => setReview(true)}>
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
