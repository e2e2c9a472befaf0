"use client";
import Link from "next/link";
import { TimeChart } from "@/components/charts/time-chart";
import { clusterHref } from "@/components/clusters/cluster-picker";
import { formatCount } from "@/components/format";
import { Card, DataTable, ErrorNote, Loading, Time } from "@/components/ui";
import type { Overview } from "./broker-cards";

/** Total consumer lag on the cluster, its recent history, and the groups furthest behind. */
export function LagCard({ o, error, retry, cluster }: { o?: Overview; error: { message: string } | null; retry: () => void; cluster: string }) {
  return (
    <Card>
      <div className="card-head">
        <h2>Consumer lag</h2>
        {o?.lag.at && (
          <span className="muted">
            sampled <Time at={o.lag.at} />
          </span>
        )}
      </div>
      <ErrorNote error={error} retry={retry} />
      {o?.lag.error && <div className="error-note">{o.lag.error}</div>}
      {!o ? (
        <Loading label="Reading consumer groups…" />
      ) : (
        <>
          <div className="stat-row">
            <div>
              <div className="stat" data-testid="total-lag" title={`${o.lag.total.toLocaleString()} records`}>
                {formatCount(o.lag.total)}
              </div>
              <div className="stat-label">records behind, {o.lag.groups} groups</div>
            </div>
          </div>
          {o.lag.groups > 0 && o.lag.series.length > 1 && <TimeChart label="Total consumer lag" data={o.lag.series} height={120} format={formatCount} lines={[{ key: "v", label: "lag", color: "#d97706" }]} />}
          <DataTable
            rows={o.lag.top}
            rowKey={(r) => r.groupId}
            empty="No consumer groups on this cluster."
            columns={[
              { key: "g", header: "Most lagging groups", sort: (r) => r.groupId, render: (r) => <Link href={clusterHref(`/groups/${encodeURIComponent(r.groupId)}`, cluster)}>{r.groupId}</Link> },
              { key: "s", header: "State", sort: (r) => r.state, render: (r) => r.state },
              { key: "l", header: "Lag", align: "right", sort: (r) => r.lag, render: (r) => <span title={r.lag.toLocaleString()}>{formatCount(r.lag)}</span> },
            ]}
          />
        </>
      )}
    </Card>
  );
}
