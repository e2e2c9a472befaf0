"use client";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Loading, StatusDot } from "@/components/ui";

/** One card per part of the process: the broker, the embedded agent, the database. */
export function Health() {
  const health = trpc.health.useQuery(undefined, { refetchInterval: 5000 });
  const h = health.data;
  if (health.error) return <ErrorNote error={health.error} retry={() => void health.refetch()} />;
  if (!h) return <Loading label="Asking the server how it is…" />;
  return (
    <div className="grid cards-3">
      <Card title="Broker">
        <StatusDot ok={h.broker.ok} label={h.broker.ok ? "serving" : "not running"} />
        <p className="hint">
          Bootstrap <code>{h.broker.bootstrap ?? "–"}</code>
        </p>
      </Card>
      <Card title="Agents">
        <StatusDot ok={h.agents.ok} label={h.agents.ok ? "running" : "not running"} />
        <p className="hint">{h.agents.flows} flows in the embedded agent</p>
      </Card>
      <Card title="Database">
        <StatusDot ok={h.database.ok} label={h.database.ok ? "reachable" : "unreachable"} />
        <p className="hint">{h.database.kind === "pglite" ? "embedded PGlite" : "Postgres server"}</p>
        {h.database.error && <p className="error-text">{h.database.error}</p>}
      </Card>
    </div>
  );
}
