"use client";
import "./flow-designer.css";
import Link from "next/link";
import { useCanOperate } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote, Loading, PageHeader, Time } from "@/components/ui";

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
      <ErrorNote error={flows.error} retry={() => void flows.refetch()} />
      {flows.isPending ? (
        <Loading label="Loading flows…" />
      ) : (
        flows.data && (
          <DataTable
            rows={flows.data}
            rowKey={(f) => f.id}
            empty="No flows yet. Start a new one, or from a template below."
            columns={[
              { key: "name", header: "Flow", sort: (f) => f.name, render: (f) => <Link href={`/flows/${f.id}`}>{f.name}</Link> },
              { key: "latest", header: "Latest version", align: "right", sort: (f) => f.latest, render: (f) => `v${f.latest}` },
              { key: "running", header: "Running on", align: "right", sort: (f) => f.running, render: (f) => (f.running ? `${f.running} agent${f.running === 1 ? "" : "s"}` : <span className="muted">not deployed</span>) },
              { key: "updated", header: "Updated", sort: (f) => String(f.updatedAt), render: (f) => <Time at={f.updatedAt} /> },
            ]}
          />
        )
      )}
      <h2>Start from a template</h2>
      <ErrorNote error={templates.error} retry={() => void templates.refetch()} />
      {templates.isPending ? (
        <Loading label="Loading templates…" />
      ) : (
        <div className="templates">
          {templates.data?.map((t) => (
            <Card key={t.id} title={t.title}>
              <p className="muted">{t.description}</p>
              {t.issues.length > 0 && <p className="hint">Needs component types this build lacks: {t.issues.map((i) => i.message.match(/unknown (\w+) type "([^"]+)"/)).filter((m) => m !== null).map((m) => `${m[2]} (${m[1]})`).join(", ")}.</p>}
              {canEdit && <Link href={`/flows/new?template=${t.id}`}>Use this template</Link>}
            </Card>
          ))}
        </div>
      )}
    </>
  );
}
