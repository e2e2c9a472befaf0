"use client";
import "./flow-designer.css";
import Link from "next/link";
import type { inferRouterOutputs } from "@trpc/server";
import { formatRate } from "@/components/format";
import type { AppRouter } from "@/server/api/root";
import { useCanOperate } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { Card, DataTable, PageHeader, QueryView, Time } from "@/components/ui";

type Flow = inferRouterOutputs<AppRouter>["flows"]["list"][number];

/** Events per second the flow's sinks deliver over its deployments; null until a rate is known for any of them. */
function totalRate(f: Flow): number | null {
  const known = f.deployments.filter((d) => d.eventsPerSec !== null);
  return known.length ? known.reduce((n, d) => n + (d.eventsPerSec ?? 0), 0) : null;
}

/** Where the flow runs: per agent, its version (and how far behind the latest), its state and rate. */
function Deployments({ flow }: { flow: Flow }) {
  if (flow.deployments.length === 0) return <span className="muted">not deployed</span>;
  return (
    <ul className="deployments">
      {flow.deployments.map((d) => (
        <li key={d.agent} title={d.error ?? undefined}>
          <strong>{d.agent}</strong> v{d.version}
          {d.behind > 0 && <span className="badge warn" title={`v${flow.latest} is saved but not deployed here`}>{d.behind} behind v{flow.latest}</span>}{" "}
          <span className={`badge ${d.state === "running" ? "ok" : d.state === "failed" || d.state === "offline" ? "error" : ""}`}>{d.state}</span>
          {d.eventsPerSec !== null && <span className="muted"> {formatRate(d.eventsPerSec, "events")}</span>}
        </li>
      ))}
    </ul>
  );
}

/** Every flow with its latest version and where it runs; new flows start blank or from a template. */
export function FlowList() {
  const flows = trpc.flows.list.useQuery(undefined, { refetchInterval: 5000 });
  const templates = trpc.flows.templates.useQuery();
  const canEdit = useCanOperate();
  return (
    <>
      <PageHeader
        title="Flows"
        subtitle="Sources → channels → sinks, drawn, validated, versioned and deployed to agents."
        actions={
          canEdit && (
            <Link href="/flows/new" className="button primary">
              New flow
            </Link>
          )
        }
      />
      <QueryView query={flows} loading="Loading flows…">
        {(rows) => (
          <DataTable
            rows={rows}
            rowKey={(f) => f.id}
            empty="No flows yet. Start a new one, or from a template below."
            columns={[
              { key: "name", header: "Flow", sort: (f) => f.name, render: (f) => <Link href={`/flows/${f.id}`}>{f.name}</Link> },
              { key: "latest", header: "Latest version", align: "right", sort: (f) => f.latest, render: (f) => `v${f.latest}` },
              { key: "running", header: "Deployments", sort: (f) => f.running, render: (f) => <Deployments flow={f} /> },
              { key: "rate", header: "Events out", align: "right", sort: (f) => totalRate(f) ?? -1, render: (f) => (totalRate(f) === null ? <span className="muted">–</span> : formatRate(totalRate(f) ?? 0, "events")) },
              { key: "updated", header: "Updated", sort: (f) => String(f.updatedAt), render: (f) => <Time at={f.updatedAt} /> },
            ]}
          />
        )}
      </QueryView>
      <h2>Start from a template</h2>
      <QueryView query={templates} loading="Loading templates…">
        {(list) => (
          <div className="templates">
            {list.map((t) => (
              <Card key={t.id} title={t.title}>
                <p className="muted">{t.description}</p>
                {t.issues.length > 0 && <p className="hint">Needs component types this build lacks: {t.issues.map((i) => i.message.match(/unknown (\w+) type "([^"]+)"/)).filter((m) => m !== null).map((m) => `${m[2]} (${m[1]})`).join(", ")}.</p>}
                {canEdit && <Link href={`/flows/new?template=${t.id}`}>Use this template</Link>}
              </Card>
            ))}
          </div>
        )}
      </QueryView>
    </>
  );
}
