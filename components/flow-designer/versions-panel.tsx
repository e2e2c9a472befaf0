"use client";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { trpc } from "@/components/trpc";
import { ErrorNote, Loading, Time } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";

/** Saved versions with author and time; a diff between any two; roll back to one. */
export function VersionsPanel({ flowId, current, canEdit }: { flowId: number; current?: number; canEdit: boolean }) {
  const utils = trpc.useUtils();
  const flow = trpc.flows.get.useQuery({ id: flowId });
  const versions = flow.data?.versions ?? [];
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const a = from ?? versions[1]?.version ?? null;
  const b = to ?? versions[0]?.version ?? null;
  const diff = trpc.flows.diff.useQuery({ flowId, from: a ?? 1, to: b ?? 1 }, { enabled: a !== null && b !== null && a !== b });
  const rollback = trpc.flows.rollback.useMutation({
    onSuccess: () => Promise.all([utils.flows.get.invalidate({ id: flowId }), utils.flows.version.invalidate({ flowId })]),
  });
  if (flow.error) return <ErrorNote error={flow.error} retry={() => void flow.refetch()} />;
  if (flow.isPending) return <Loading label="Loading versions…" />;
  return (
    <div className="panel-body" data-testid="versions-panel">
      <ErrorNote error={rollback.error} />
      <ul className="version-list">
        {versions.map((v) => (
          <li key={v.version} data-testid={`version-${v.version}`}>
            <div>
              <strong>v{v.version}</strong> {v.version === current && <span className="badge ok">latest</span>} <span>{v.message || <em className="muted">no message</em>}</span>
            </div>
            <small className="muted">
              {v.author} · <Time at={v.createdAt} />
            </small>
            {canEdit && v.version !== current && (
              <button type="button" className="link" disabled={rollback.isPending} onClick={() => rollback.mutate({ flowId, version: v.version })}>
                Roll back to v{v.version}
              </button>
            )}
          </li>
        ))}
      </ul>
      {versions.length > 1 && (
        <>
          <h3>Compare</h3>
          <div className="diff-pick">
            <VersionPick label="from" versions={versions} value={a} onPick={setFrom} />
            <VersionPick label="to" versions={versions} value={b} onPick={setTo} />
          </div>
          {a === b ? <p className="muted">Pick two different versions.</p> : diff.error ? <ErrorNote error={diff.error} /> : diff.isPending ? <Loading label="Comparing…" /> : <DiffView diff={diff.data} />}
        </>
      )}
    </div>
  );
}

function VersionPick({ label, versions, value, onPick }: { label: "from" | "to"; versions: { version: number }[]; value: number | null; onPick: (v: number) => void }) {
  return (
    <label>
      {label}{" "}
      <select aria-label={`Diff ${label}`} value={value ?? ""} onChange={(e) => onPick(Number(e.target.value))}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}
          </option>
        ))}
      </select>
    </label>
  );
}

const show = (v: unknown) => (v === undefined ? "–" : typeof v === "string" ? v : JSON.stringify(v));

function DiffView({ diff }: { diff: inferRouterOutputs<AppRouter>["flows"]["diff"] }) {
  if (diff.length === 0) return <p className="muted">The two versions define the same flow.</p>;
  return (
    <ul className="diff" data-testid="diff">
      {diff.map((c) => (
        <li key={`${c.kind}.${c.name}`} className={`diff-${c.change}`}>
          <strong>
            {c.change} {c.kind.slice(0, -1)} {c.name}
          </strong>
          <table>
            <tbody>
              {c.properties.map((p) => (
                <tr key={p.key}>
                  <td>{p.key}</td>
                  <td className="before">{show(p.before)}</td>
                  <td>→</td>
                  <td className="after">{show(p.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </li>
      ))}
    </ul>
  );
}
