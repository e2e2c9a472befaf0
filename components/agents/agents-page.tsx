"use client";
import "./agents.css";
import { useState, useSyncExternalStore, type FormEvent } from "react";
import { formText } from "@/components/form-text";
import { formatRate } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote, PageHeader, QueryView, Time } from "@/components/ui";
import { advanceIntake, NO_INTAKE } from "./intake";

/** The page's origin never changes while it is open; on the server it is not known. */
const noSubscription = () => () => undefined;

export function AgentsPage() {
  const me = trpc.auth.me.useQuery();
  const list = trpc.agents.list.useQuery(undefined, { refetchInterval: 3000 });
  const [intake, setIntake] = useState(NO_INTAKE);
  // Each new list advances the rates once, while rendering, so no effect renders twice for it.
  if (list.data && list.data !== intake.reports) setIntake(advanceIntake(intake, list.data));
  const { rates } = intake;
  return (
    <>
      <PageHeader title="Agents" subtitle="The embedded agent and every standalone agent that heartbeats to this console. An agent silent for 15 s is marked offline." />
      <QueryView query={list} loading="Loading agents…">
        {(agents) => (
          <DataTable
            rows={agents}
            rowKey={(a) => a.id}
            empty="No agents registered yet."
            columns={[
              { key: "name", header: "Agent", sort: (a) => a.name, render: (a) => <span data-testid={`agent-${a.name}`}>{a.name}{a.embedded && <span className="badge"> embedded</span>}</span> },
              { key: "host", header: "Host", sort: (a) => a.host ?? "", render: (a) => a.host ?? "–" },
              { key: "version", header: "Version", sort: (a) => a.version ?? "", render: (a) => a.version ?? "–" },
              { key: "heartbeat", header: "Last heartbeat", sort: (a) => String(a.lastHeartbeatAt ?? ""), render: (a) => (a.lastHeartbeatAt ? <Time at={a.lastHeartbeatAt} /> : "never") },
              { key: "state", header: "State", sort: (a) => a.state, render: (a) => <span className={`badge ${a.state === "online" ? "ok" : a.state === "revoked" ? "denied" : "error"}`} data-testid={`state-${a.name}`}>{a.state}</span> },
              {
                key: "flows",
                header: "Flows running",
                sort: (a) => a.flows.length,
                render: (a) =>
                  a.flows.length === 0 ? (
                    <span className="muted">{a.deployed ? `${a.deployed} deployed, none reported yet` : "none"}</span>
                  ) : (
                    <ul className="agent-flows">
                      {a.flows.map((f) => (
                        <li key={f.id}>
                          {f.name} v{f.version} <span className={`badge ${f.state === "running" ? "ok" : "error"}`}>{f.state}</span>
                          {f.error && <div className="error-text">{f.error}</div>}
                        </li>
                      ))}
                    </ul>
                  ),
              },
              { key: "rate", header: "Events in", align: "right", sort: (a) => rates.get(a.id) ?? -1, render: (a) => (rates.has(a.id) ? formatRate(rates.get(a.id) ?? 0, "events") : "–") },
            ]}
          />
        )}
      </QueryView>
      {me.data?.role === "admin" && <Tokens />}
    </>
  );
}

function Tokens() {
  const utils = trpc.useUtils();
  // Polled: a token's agent appears when that agent first heartbeats.
  const tokens = trpc.agents.tokens.useQuery(undefined, { refetchInterval: 5000 });
  const create = trpc.agents.createToken.useMutation({ onSuccess: () => utils.agents.tokens.invalidate() });
  const revoke = trpc.agents.revokeToken.useMutation({ onSuccess: () => Promise.all([utils.agents.tokens.invalidate(), utils.agents.list.invalidate()]) });
  const origin = useSyncExternalStore(noSubscription, () => window.location.origin, () => "http://HOST:PORT");
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    create.mutate({ label: formText(new FormData(e.currentTarget), "label") });
  };
  return (
    <Card title="Registration tokens">
      <p className="muted">A token lets one standalone agent register with its first heartbeat; it then serves that agent only. Revoking it cuts the agent off.</p>
      <form className="inline-form" onSubmit={submit}>
        <input name="label" aria-label="Token label" placeholder="label, e.g. web servers" />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      <ErrorNote error={create.error ?? revoke.error} />
      {create.data && (
        <div className="token-created" role="status">
          <p className="success">Token created. It is shown only now; start the agent with:</p>
          <code className="command" data-testid="agent-command">{`npx tributary agent --control ${origin} --token ${create.data.token}`}</code>
        </div>
      )}
      <QueryView query={tokens} loading="Loading tokens…">
        {(rows) => (
          <DataTable
            rows={rows}
            rowKey={(t) => t.id}
            empty="No tokens yet."
            columns={[
              { key: "prefix", header: "Token", sort: (t) => t.prefix, render: (t) => <code>{t.prefix}…</code> },
              { key: "label", header: "Label", sort: (t) => t.label, render: (t) => t.label || <span className="muted">–</span> },
              { key: "agent", header: "Agent", sort: (t) => t.agent ?? "", render: (t) => t.agent ?? <span className="muted">not used yet</span> },
              { key: "created", header: "Created", sort: (t) => String(t.createdAt), render: (t) => <><Time at={t.createdAt} /> by {t.createdBy}</> },
              {
                key: "state",
                header: "",
                render: (t) =>
                  t.revokedAt ? (
                    <span className="badge denied">revoked</span>
                  ) : (
                    <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate({ id: t.id })}>
                      Revoke
                    </button>
                  ),
              },
            ]}
          />
        )}
      </QueryView>
    </Card>
  );
}
