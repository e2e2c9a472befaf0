"use client";
import { useState, type FormEvent } from "react";
import { topicNameProblem } from "@/server/admin/topic-name";
import { formatBytes, formatDuration } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Options } from "@/components/ui";
import { COMMON_CONFIGS, describeValue, parseWithUnit, PRESETS, type CommonConfig } from "./topic-configs";

/** A common config's typed text as Kafka's value: units read for durations and sizes. */
function valueOf(c: CommonConfig | undefined, text: string): { value: string } | { error: string } {
  return c && (c.kind === "ms" || c.kind === "bytes") ? parseWithUnit(c.kind, text) : { value: text };
}

export function KeyValueRows({ rows, onChange, keyLabel, valueLabel }: { rows: { key: string; value: string }[]; onChange: (rows: { key: string; value: string }[]) => void; keyLabel: string; valueLabel: string }) {
  return (
    <div className="kv-rows">
      {rows.map((r, i) => (
        <div className="kv-row" key={i}>
          <input aria-label={`${keyLabel} ${i + 1}`} placeholder={keyLabel} value={r.key} onChange={(e) => onChange(rows.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))} />
          <input aria-label={`${valueLabel} ${i + 1}`} placeholder={valueLabel} value={r.value} onChange={(e) => onChange(rows.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
          <button type="button" className="link" aria-label={`Remove row ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, { key: "", value: "" }])}>
        Add {keyLabel.toLowerCase()}
      </button>
    </div>
  );
}

export function CreateTopic({ cluster, onClose, onCreated }: { cluster: string; onClose: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [partitions, setPartitions] = useState(3);
  const [replication, setReplication] = useState<number | null>(null);
  // Replication is the cluster's to choose until it has brokers to put copies on.
  const status = trpc.clusters.status.useQuery({ cluster }, { retry: false });
  const brokers = status.data?.brokers.length ?? 1;
  const [common, setCommon] = useState<Record<string, string>>({});
  const [raw, setRaw] = useState<{ key: string; value: string }[]>([]);
  const [touched, setTouched] = useState(false);
  const utils = trpc.useUtils();
  const create = trpc.topics.create.useMutation({
    onSuccess: async (r) => {
      await utils.topics.list.invalidate();
      onCreated(r.name);
    },
  });
  const nameProblem = topicNameProblem(name);
  const fmt = { duration: formatDuration, bytes: formatBytes };

  const parsed = Object.fromEntries(Object.entries(common).filter(([, v]) => v.trim()).map(([k, v]) => [k, valueOf(COMMON_CONFIGS.find((c) => c.name === k), v)]));
  const unitProblem = Object.entries(parsed).find(([, p]) => "error" in p);

  const configs = () => {
    const out: Record<string, string> = {};
    for (const [k, p] of Object.entries(parsed)) if ("value" in p) out[k] = p.value;
    for (const r of raw) if (r.key.trim()) out[r.key.trim()] = r.value.trim();
    return out;
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (nameProblem || unitProblem) return;
    create.mutate({ cluster, name, partitions, replicationFactor: replication ?? -1, configs: configs() });
  };

  return (
    <Card title="Create topic">
      <form onSubmit={submit} className="stack">
        <div className="form-grid">
          <label>
            Topic name
            <input aria-label="Topic name" value={name} onChange={(e) => setName(e.target.value)} onBlur={() => setTouched(true)} aria-invalid={touched && Boolean(nameProblem)} autoFocus placeholder="orders" />
            {touched && nameProblem ? <span className="hint error-text">Name: {nameProblem}</span> : <span className="hint muted">letters, digits, “.”, “_” and “-”; up to 249</span>}
          </label>
          <label>
            Partitions
            <input aria-label="Partitions" type="number" min={1} max={10000} value={partitions} onChange={(e) => setPartitions(Number(e.target.value))} />
            <span className="hint muted">can be raised later, never lowered</span>
          </label>
          {brokers > 1 && (
            <label>
              Replication factor
              <select aria-label="Replication factor" value={replication ?? ""} onChange={(e) => setReplication(e.target.value ? Number(e.target.value) : null)}>
                <option value="">cluster default</option>
                {Array.from({ length: brokers }, (_, i) => i + 1).map((n) => (
                  <option key={n} value={n}>
                    {n} {n === 1 ? "copy" : "copies"}
                  </option>
                ))}
              </select>
              <span className="hint muted">copies on {brokers} brokers; fixed once created</span>
            </label>
          )}
        </div>
        <div className="presets" role="group" aria-label="Presets">
          <span className="muted">Presets:</span>
          {PRESETS.map((p) => (
            <button key={p.id} type="button" onClick={() => setCommon({ ...p.configs })}>
              {p.label}
            </button>
          ))}
        </div>
        <div className="config-form">
          {COMMON_CONFIGS.map((c) => {
            const p = parsed[c.name];
            const human = p && "value" in p ? describeValue(c.name, p.value, fmt) : null;
            return (
              <label key={c.name}>
                <span>
                  {c.label} <code className="muted">{c.name}</code>
                </span>
                {c.kind === "choice" ? (
                  <select aria-label={c.name} value={common[c.name] ?? ""} onChange={(e) => setCommon({ ...common, [c.name]: e.target.value })}>
                    <option value="">default ({c.placeholder})</option>
                    <Options values={c.choices!} />
                  </select>
                ) : (
                  <input aria-label={c.name} placeholder={`default ${describeValue(c.name, c.placeholder, fmt) ?? c.placeholder}`} value={common[c.name] ?? ""} aria-invalid={Boolean(p && "error" in p)} onChange={(e) => setCommon({ ...common, [c.name]: e.target.value })} />
                )}
                {p && "error" in p ? (
                  <span className="hint error-text">{p.error}</span>
                ) : (
                  <span className="hint muted">
                    {human ? <strong>{human}{p && "value" in p && p.value !== common[c.name]?.trim() ? ` (${p.value})` : ""}. </strong> : null}
                    {c.help}
                  </span>
                )}
              </label>
            );
          })}
        </div>
        <div>
          <h3>Other configs</h3>
          <KeyValueRows rows={raw} onChange={setRaw} keyLabel="Config" valueLabel="Value" />
        </div>
        <ErrorNote error={create.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending || Boolean(unitProblem)}>
            {create.isPending ? "Creating…" : "Create topic"}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Card>
  );
}
