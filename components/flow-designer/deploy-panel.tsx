"use client";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { trpc } from "@/components/trpc";
import { ErrorNote, Loading, Time } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";
import { ErrorHistory } from "./error-history";

export type Rollout = inferRouterOutputs<AppRouter>["flows"]["rollout"];

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
              <ErrorHistory entries={Object.entries(r.components).flatMap(([component, c]) => (c.errors ?? []).map((e) => ({ where: component, ...e })))} />
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
