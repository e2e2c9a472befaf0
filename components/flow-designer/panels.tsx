"use client";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AppRouter } from "@/server/api/root";
import { formatCount } from "@/components/format";
import { plural } from "./component-node";
import { trpc } from "@/components/trpc";
import { ErrorNote, Loading, Time } from "@/components/ui";
import type { RatePoint } from "./designer";
import type { FlowNodeData, GraphNode, NodeIssue, NodeKind } from "./graph";
import { fillLevel, type NodeLive } from "./live";
import type { Catalog } from "./palette";
import { SchemaForm, type JsonSchema } from "./schema-form";

type Outputs = inferRouterOutputs<AppRouter>;
const CATALOG_KEY: Record<NodeKind, keyof Catalog> = { source: "sources", interceptor: "interceptors", selector: "selectors", channel: "channels", sink: "sinks", sinkgroup: "sinkgroups" };
/** A sink group's form is its processor's: only the processor type is chosen elsewhere (the type list). */
const PROCESSOR_OMIT: ReadonlySet<string> = new Set(["type"]);

/** The selected component's settings (a form from its schema), its problems, and its live numbers. */
export function NodePanel({
  node,
  catalog,
  issues,
  live,
  chart,
  readOnly,
  onChange,
  onDelete,
  onSelect,
  tap,
}: {
  /** Where a tap on this node looks, when the flow runs on the embedded agent. */
  tap: { flowId: number; channel: string; side: "put" | "take" } | null;
  node: GraphNode | undefined;
  catalog: Catalog;
  issues: NodeIssue[];
  live: NodeLive | null;
  chart: RatePoint[];
  readOnly: boolean;
  onChange: (data: FlowNodeData) => void;
  onDelete: () => void;
  onSelect: (id: string) => void;
}) {
  if (!node) {
    const flowIssues = issues.filter((i) => i.nodeId === null);
    return (
      <div className="panel-body">
        <p className="muted">Select a component to configure it. Connect sources → channels → sinks; interceptors and selectors connect into a source; sinks that share a failover or load balancing processor connect into a sink group.</p>
        {issues.length > 0 && (
          <>
            <h3>Problems</h3>
            <ul className="issue-list">
              {flowIssues.map((i) => (
                <li key={i.message} className="error-text">
                  {i.message}
                </li>
              ))}
              {issues
                .filter((i) => i.nodeId !== null)
                .map((i) => (
                  <li key={`${i.nodeId}:${i.property}:${i.message}`}>
                    <button type="button" className="link" onClick={() => onSelect(i.nodeId!)}>
                      {i.nodeId}
                    </button>{" "}
                    <span className="error-text">{i.property ? `${i.property}: ` : ""}{i.message}</span>
                  </li>
                ))}
            </ul>
          </>
        )}
      </div>
    );
  }
  const d = node.data;
  const types = catalog[CATALOG_KEY[d.kind]];
  const entry = types.find((t) => t.type === d.type);
  const mine = issues.filter((i) => i.nodeId === node.id);
  const byProp: Record<string, string[]> = {};
  for (const i of mine) if (i.property) (byProp[i.property] ??= []).push(i.message);
  const named = d.kind !== "interceptor" && d.kind !== "selector";
  return (
    <div className="panel-body" data-testid="node-panel">
      <h3>
        {d.kind === "sinkgroup" ? "sink group" : d.kind} <span className="muted">{d.type}</span>
      </h3>
      {named && (
        <div className={`field ${byProp.name ? "invalid" : ""}`}>
          <label htmlFor="node-name">name</label>
          <input id="node-name" readOnly={readOnly} value={d.name} onChange={(e) => onChange({ ...d, name: e.target.value.replace(/[^a-zA-Z0-9_-]/g, "") })} />
          {(byProp.name ?? []).map((m) => (
            <small key={m} className="error-text">
              {m}
            </small>
          ))}
        </div>
      )}
      <div className="field">
        <label htmlFor="node-type">{d.kind === "sinkgroup" ? "processor" : "type"}</label>
        <select id="node-type" disabled={readOnly} value={d.type} onChange={(e) => onChange({ ...d, type: e.target.value, name: d.kind === "interceptor" || d.kind === "selector" ? e.target.value : d.name })}>
          {types.map((t) => (
            <option key={t.type} value={t.type}>
              {t.type}
            </option>
          ))}
        </select>
        {entry?.description && <small className="help">{entry.description}</small>}
      </div>
      {mine.filter((i) => !i.property || !(i.property in ((entry?.schema as JsonSchema | undefined)?.properties ?? {})) && i.property !== "name").map((i) => (
        <p key={i.message} className="error-text" role="alert">
          {i.property ? `${i.property}: ` : ""}
          {i.message}
        </p>
      ))}
      {live && <LiveDetails live={live} chart={chart} />}
      {live && tap && <TapView {...tap} canOpen={!readOnly} />}
      {live && <h3>Settings</h3>}
      {entry ? (
        <SchemaForm schema={entry.schema as JsonSchema} values={d.props} errors={byProp} readOnly={readOnly} omit={d.kind === "sinkgroup" ? PROCESSOR_OMIT : undefined} onChange={(props) => onChange({ ...d, props })} />
      ) : (
        <p className="error-text">Unknown type “{d.type}” in this build; choose one from the list.</p>
      )}
      {!readOnly && (
        <button type="button" className="danger" onClick={onDelete}>
          Delete {d.kind === "sinkgroup" ? "sink group" : d.kind}
        </button>
      )}
    </div>
  );
}

function LiveDetails({ live, chart }: { live: NodeLive; chart: RatePoint[] }) {
  return (
    <div className="live-details">
      <h3>Live</h3>
      <dl className="live-stats">
        <dt>In</dt>
        <dd>{formatCount(Math.round(live.inRate * 10) / 10)}/s</dd>
        <dt>Out</dt>
        <dd>{formatCount(Math.round(live.outRate * 10) / 10)}/s</dd>
        <dt>Total</dt>
        <dd>{formatCount(live.total)}</dd>
        {live.fill !== null && (
          <>
            <dt>Fill</dt>
            <dd className={`fill-text fill-${fillLevel(live.fill)}`}>{live.fill.toFixed(1)} %</dd>
          </>
        )}
        <dt>State</dt>
        <dd>{live.state ?? "–"}</dd>
      </dl>
      <div className="live-chart" aria-label="events per second">
        <ResponsiveContainer width="100%" height={140}>
          <LineChart data={chart.map((p) => ({ ...p, time: new Date(p.t).toLocaleTimeString() }))}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="time" hide />
            <YAxis width={40} tickFormatter={(v: number) => formatCount(v)} />
            <Tooltip formatter={(v) => `${formatCount(Number(v))}/s`} />
            <Line type="monotone" dataKey="in" stroke="#1f6feb" dot={false} isAnimationActive={false} />
            <Line type="monotone" dataKey="out" stroke="#1a7f37" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <h4>Recent errors</h4>
      {live.errors.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="issue-list">
          {live.errors.map((e) => (
            <li key={`${e.agent}:${e.message}`} className="error-text">
              {e.agent}: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Opt-in sample of the latest events through the node: opened on demand, bounded, closed when done. */
function TapView({ flowId, channel, side, canOpen }: { flowId: number; channel: string; side: "put" | "take"; canOpen: boolean }) {
  const [open, setOpen] = useState(false);
  const input = { flowId, channel, side };
  const start = trpc.flows.tapOpen.useMutation({ onSuccess: () => setOpen(true) });
  const stop = trpc.flows.tapClose.useMutation({ onSuccess: () => setOpen(false) });
  const read = trpc.flows.tapRead.useQuery(input, { enabled: open, refetchInterval: 1000 });
  const data = read.data ?? start.data;
  return (
    <div className="tap" data-testid="tap">
      <h4>Tap</h4>
      <p className="muted small">
        The latest events {side === "put" ? `committed into channel ${channel}` : `taken from channel ${channel} and delivered`}, at most 25, bodies cut at 1 KiB. It closes itself a minute after you stop watching.
      </p>
      <ErrorNote error={start.error ?? stop.error ?? read.error} />
      {!open ? (
        <button type="button" disabled={!canOpen || start.isPending} title={canOpen ? undefined : "Operators and admins open taps"} onClick={() => start.mutate(input)}>
          Tap events
        </button>
      ) : (
        <>
          <button type="button" disabled={stop.isPending} onClick={() => stop.mutate(input)}>
            Close tap
          </button>
          <p className="small">{plural(data?.seen ?? 0, "event")} since the tap opened</p>
          {data && data.events.length === 0 ? (
            <p className="muted">Waiting for events…</p>
          ) : (
            <ol className="tap-events">
              {data?.events.map((e, i) => (
                <li key={`${e.at}-${i}`}>
                  <code>{e.body}{e.truncated ? "…" : ""}</code>
                  {Object.keys(e.headers).length > 0 && <small className="muted"> {Object.entries(e.headers).map(([k, v]) => `${k}=${v}`).join(" ")}</small>}
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </div>
  );
}

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
            <label>
              from{" "}
              <select aria-label="Diff from" value={a ?? ""} onChange={(e) => setFrom(Number(e.target.value))}>
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </label>
            <label>
              to{" "}
              <select aria-label="Diff to" value={b ?? ""} onChange={(e) => setTo(Number(e.target.value))}>
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {a === b ? <p className="muted">Pick two different versions.</p> : diff.error ? <ErrorNote error={diff.error} /> : diff.isPending ? <Loading label="Comparing…" /> : <DiffView diff={diff.data} />}
        </>
      )}
    </div>
  );
}

const show = (v: unknown) => (v === undefined ? "–" : typeof v === "string" ? v : JSON.stringify(v));

function DiffView({ diff }: { diff: Outputs["flows"]["diff"] }) {
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

type Rollout = Outputs["flows"]["rollout"];

/** Choose agents, deploy a version, and watch the rollout on each; stop, start or roll back per agent. */
export function DeployPanel({ flowId, latest, rollout, canDeploy, canOperate, blocked }: { flowId: number; latest: number; rollout: Rollout; canDeploy: boolean; canOperate: boolean; blocked: string | null }) {
  const utils = trpc.useUtils();
  const agents = trpc.agents.list.useQuery(undefined, { refetchInterval: 5000 });
  const [chosen, setChosen] = useState<number[] | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  const refresh = () => Promise.all([utils.flows.rollout.invalidate({ flowId }), utils.flows.live.invalidate({ flowId })]);
  const deploy = trpc.flows.deploy.useMutation({ onSuccess: refresh });
  const stop = trpc.flows.stop.useMutation({ onSuccess: refresh });
  const start = trpc.flows.start.useMutation({ onSuccess: refresh });
  if (agents.error) return <ErrorNote error={agents.error} retry={() => void agents.refetch()} />;
  if (agents.isPending) return <Loading label="Loading agents…" />;
  const usable = agents.data.filter((a) => a.state !== "revoked");
  const targets = chosen ?? usable.filter((a) => a.embedded).map((a) => a.id);
  const v = version ?? latest;
  return (
    <div className="panel-body" data-testid="deploy-panel">
      <ErrorNote error={deploy.error ?? stop.error ?? start.error} />
      {blocked && (
        <p className="error-text" role="alert">
          {blocked}
        </p>
      )}
      <h3>Target agents</h3>
      <ul className="agent-picks">
        {usable.map((a) => (
          <li key={a.id}>
            <label>
              <input type="checkbox" checked={targets.includes(a.id)} onChange={(e) => setChosen(e.target.checked ? [...targets, a.id] : targets.filter((t) => t !== a.id))} /> {a.name}{" "}
              <span className={`badge ${a.state === "online" ? "ok" : "error"}`}>{a.state}</span>
            </label>
          </li>
        ))}
      </ul>
      <label>
        Version{" "}
        <select aria-label="Version to deploy" value={v} onChange={(e) => setVersion(Number(e.target.value))}>
          {Array.from({ length: latest }, (_, i) => latest - i).map((n) => (
            <option key={n} value={n}>
              v{n}
            </option>
          ))}
        </select>
      </label>{" "}
      <button
        type="button"
        className="primary"
        disabled={!canDeploy || !!blocked || targets.length === 0 || deploy.isPending}
        title={!canDeploy ? "Only admins deploy" : blocked ?? undefined}
        onClick={() => deploy.mutate({ flowId, version: v, agentIds: targets })}
      >
        {deploy.isPending ? "Deploying…" : `Deploy v${v}`}
      </button>
      <h3>Rollout</h3>
      {rollout.length === 0 ? (
        <p className="muted">Not deployed yet.</p>
      ) : (
        <ul className="rollout" data-testid="rollout">
          {rollout.map((r) => (
            <li key={r.agentId} data-testid={`rollout-${r.agent}`}>
              <div>
                <strong>{r.agent}</strong> <span data-testid={`rollout-version-${r.agent}`}>v{r.version}</span>{" "}
                <span className={`badge ${r.state === "running" ? "ok" : r.state === "failed" || r.state === "offline" ? "error" : ""}`}>{r.state}</span>
              </div>
              {r.error && <div className="error-text small">{r.error}</div>}
              <small className="muted">
                by {r.deployedBy} · <Time at={r.updatedAt} />
              </small>
              <div className="row-actions">
                {r.desired === "running" ? (
                  <button type="button" disabled={!canOperate || stop.isPending} onClick={() => stop.mutate({ flowId, agentIds: [r.agentId] })}>
                    Stop
                  </button>
                ) : (
                  <button type="button" disabled={!canOperate || start.isPending} onClick={() => start.mutate({ flowId, agentIds: [r.agentId] })}>
                    Start
                  </button>
                )}
                {r.version > 1 && (
                  <button type="button" disabled={!canDeploy || deploy.isPending} title="Deploy the version before this one to this agent" onClick={() => deploy.mutate({ flowId, version: r.version - 1, agentIds: [r.agentId] })}>
                    Roll back to v{r.version - 1}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

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
