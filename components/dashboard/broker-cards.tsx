"use client";
import { ClusterLink } from "@/components/clusters/cluster-link";
import type { inferRouterOutputs } from "@trpc/server";
import { TimeChart } from "@/components/charts/time-chart";
import { formatBytes, formatCount, formatRate } from "@/components/format";
import { Card, DataTable, ErrorNote, Loading } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";

export type Overview = inferRouterOutputs<AppRouter>["dashboard"]["overview"];

/** The largest topics on disk, every replica counted (any cluster that answers DescribeLogDirs). */
export function DiskCard({ o }: { o?: Overview }) {
  return (
    <Card title="Disk used per topic" className="dash-card">
      {!o ? (
        <Loading />
      ) : !o.disk ? (
        <p className="muted">{o.diskNote}</p>
      ) : (
        <DataTable
          rows={o.disk.slice(0, 10)}
          rowKey={(r) => r.topic}
          empty="No topics yet."
          columns={[
            { key: "t", header: "Topic", sort: (r) => r.topic, render: (r) => r.topic },
            { key: "p", header: "Partitions", align: "right", sort: (r) => r.partitions, render: (r) => r.partitions },
            { key: "b", header: "Size", align: "right", sort: (r) => r.bytes, render: (r) => <span title={`${r.bytes.toLocaleString()} bytes`}>{formatBytes(r.bytes)}</span> },
          ]}
        />
      )}
    </Card>
  );
}

/** Open client connections to the broker, now and over the last minutes. */
export function ConnectionsCard({ o }: { o?: Overview }) {
  return (
    <Card>
      <div className="card-head">
        <h2>Connections</h2>
        {o?.connections && <span className="stat" data-testid="connections">{formatCount(o.connections.current)}</span>}
      </div>
      {!o ? (
        <Loading />
      ) : !o.connections ? (
        <p className="muted">{o.brokerNote}</p>
      ) : o.connections.series.length > 1 ? (
        <TimeChart label="Open connections" data={o.connections.series} height={150} format={formatCount} lines={[{ key: "v", label: "connections", color: "#7c3aed" }]} />
      ) : (
        <p className="muted">Collecting…</p>
      )}
    </Card>
  );
}

/** Postgres replication slots of CDC sources, with a warning when one holds back too much WAL. */
export function CdcSlotsCard({ o }: { o: Overview }) {
  return (
    <Card title="Change data capture slots" className="dash-card">
      {o.cdcSlots.some((c) => c.stale) && (
        <ErrorNote
          error={{
            message: `A replication slot is more than ${formatBytes(o.staleSlotBytes)} behind: Postgres keeps its WAL until the CDC source reads it, and a stale slot fills the database server's disk. Start the flow again, or drop the slot of a source you removed.`,
          }}
        />
      )}
      <DataTable
        rows={o.cdcSlots}
        rowKey={(r) => `${r.source}/${r.slot}`}
        columns={[
          { key: "s", header: "Source", sort: (r) => r.source, render: (r) => r.source },
          { key: "l", header: "Slot", sort: (r) => r.slot, render: (r) => r.slot },
          { key: "b", header: "WAL held", align: "right", sort: (r) => r.lagBytes, render: (r) => <span data-testid={`slot-lag-${r.slot}`}>{formatBytes(r.lagBytes)}</span> },
        ]}
      />
    </Card>
  );
}

/** Event rates of every running flow's components, on every agent. */
export function AgentRatesCard({ o }: { o?: Overview }) {
  return (
    <Card title="Agents' event rates" className="dash-card">
      {!o ? (
        <Loading />
      ) : (
        <DataTable
          rows={o.agents}
          rowKey={(r) => `${r.agent}/${r.flow}/${r.kind}/${r.component}`}
          empty={
            <>
              No flows running. <ClusterLink href="/flows">Design a flow</ClusterLink>.
            </>
          }
          columns={[
            { key: "f", header: "Flow", sort: (r) => r.flow, render: (r) => `${r.agent} · ${r.flow}` },
            { key: "c", header: "Component", sort: (r) => r.component, render: (r) => `${r.kind} ${r.component}` },
            { key: "r", header: "Events/s", align: "right", sort: (r) => r.rate, render: (r) => formatRate(r.rate, "ev") },
          ]}
        />
      )}
    </Card>
  );
}
