"use client";
import { formatDuration } from "./format";
import { trpc } from "./trpc";
import { Card, ErrorNote, Loading, PageHeader, StatusDot } from "./ui";

export function Overview() {
  const health = trpc.health.useQuery(undefined, { refetchInterval: 5000 });
  const h = health.data;
  return (
    <>
      <PageHeader title="Overview" subtitle={h ? `Tributary ${h.version} · up ${formatDuration(h.uptimeSeconds * 1000)}` : undefined} />
      <ErrorNote error={health.error} retry={() => health.refetch()} />
      {health.isPending ? (
        <Loading label="Asking the server how it is…" />
      ) : h ? (
        <div className="grid cards-3">
          <Card title="Broker">
            <StatusDot ok={h.broker.ok} label={h.broker.ok ? "serving" : "not running"} />
            <p>
              Bootstrap <code>{h.broker.bootstrap ?? "–"}</code>
            </p>
          </Card>
          <Card title="Agents">
            <StatusDot ok={h.agents.ok} label={h.agents.ok ? "running" : "not running"} />
            <p>{h.agents.flows} flows in the embedded agent</p>
          </Card>
          <Card title="Database">
            <StatusDot ok={h.database.ok} label={h.database.ok ? "reachable" : "unreachable"} />
            <p>{h.database.kind === "pglite" ? "embedded PGlite" : "Postgres server"}</p>
            {h.database.error && <p className="error-text">{h.database.error}</p>}
          </Card>
        </div>
      ) : null}
    </>
  );
}
