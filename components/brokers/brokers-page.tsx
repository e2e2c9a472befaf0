"use client";
import type { inferRouterOutputs } from "@trpc/server";
import { useCluster } from "@/components/clusters/cluster-picker";
import { formatBytes, formatCount, formatDuration } from "@/components/format";
import { useIsAdmin } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { Card, DataTable, ErrorNote, Loading, PageHeader, StatusDot, Time } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";
import { DrainCard, ElectionCard, OngoingCard, ReassignCard } from "./cluster-actions";
import "./brokers.css";

type Health = inferRouterOutputs<AppRouter>["brokers"]["list"];

/**
 * Every broker of the cluster: where it listens, what it leads and holds, its disk and its lagging
 * replicas; and for admins, reassigning partitions, draining a broker and electing preferred leaders.
 */
export function BrokersPage() {
  const cluster = useCluster();
  const admin = useIsAdmin();
  const q = trpc.brokers.list.useQuery({ cluster }, { refetchInterval: 5000, placeholderData: (prev) => prev });
  const h = q.data;
  return (
    <>
      <PageHeader
        title="Brokers"
        subtitle={
          h ? (
            <>
              {h.brokers.length} {h.brokers.length === 1 ? "broker" : "brokers"} on {cluster}
              {h.clusterId ? ` (${h.clusterId})` : ""} · updated <Time at={q.dataUpdatedAt} />
            </>
          ) : (
            `cluster ${cluster}`
          )
        }
      />
      <ErrorNote error={q.error} retry={() => void q.refetch()} />
      {q.isPending ? (
        <Loading label="Asking the cluster for its brokers…" />
      ) : h ? (
        <>
          <div className="grid cards-4">
            <Card title="Controller">
              <div className="stat" data-testid="controller">{h.controllerId < 0 ? "none" : `broker ${h.controllerId}`}</div>
            </Card>
            <Card title="Partitions">
              <div className="stat">{formatCount(h.partitions)}</div>
            </Card>
            <Card title="Under-replicated">
              <div className={h.underReplicated ? "stat warn-text" : "stat"} data-testid="under-replicated">{formatCount(h.underReplicated)}</div>
            </Card>
            <Card title="Offline">
              <div className={h.offline ? "stat error-text" : "stat"} data-testid="offline">{formatCount(h.offline)}</div>
            </Card>
          </div>
          <Card title="Brokers">
            {h.diskNote && <p className="hint muted">{h.diskNote}</p>}
            <BrokerTable h={h} />
          </Card>
          {h.member && <MemberCard m={h.member} at={q.dataUpdatedAt} />}
          <h2>Move partitions and leaders</h2>
          <OngoingCard cluster={cluster} admin={admin} />
          <ElectionCard cluster={cluster} admin={admin} />
          <DrainCard cluster={cluster} admin={admin} brokers={h.brokers} />
          <ReassignCard cluster={cluster} admin={admin} />
        </>
      ) : null}
    </>
  );
}

function BrokerTable({ h }: { h: Health }) {
  return (
    <DataTable
      rows={h.brokers}
      rowKey={(b) => b.nodeId}
      empty="The cluster names no live broker."
      columns={[
        {
          key: "id",
          header: "Broker",
          align: "right",
          sort: (b) => b.nodeId,
          render: (b) => (
            <span data-testid={`broker-${b.nodeId}`}>
              {b.nodeId}
              {b.controller && <span className="badge ok">controller</span>}
            </span>
          ),
        },
        { key: "addr", header: "Address", sort: (b) => `${b.host}:${b.port}`, render: (b) => <code>{`${b.host}:${b.port}`}</code> },
        { key: "rack", header: "Rack", sort: (b) => b.rack ?? "", render: (b) => b.rack ?? <span className="muted">–</span> },
        { key: "led", header: "Leader of", align: "right", sort: (b) => b.leaderOf, render: (b) => formatCount(b.leaderOf) },
        { key: "replicas", header: "Replicas", align: "right", sort: (b) => b.replicas, render: (b) => formatCount(b.replicas) },
        {
          key: "under",
          header: "Under-replicated",
          align: "right",
          sort: (b) => b.underReplicated,
          render: (b) => (b.underReplicated ? <span className="badge denied">{formatCount(b.underReplicated)}</span> : "0"),
        },
        {
          key: "disk",
          header: "Disk",
          align: "right",
          sort: (b) => b.diskBytes ?? -1,
          render: (b) => (b.diskBytes === null ? <span className="muted">–</span> : <span title={`${b.diskBytes.toLocaleString()} bytes`}>{formatBytes(b.diskBytes)}</span>),
        },
      ]}
    />
  );
}

/** What this console's own Tributary broker knows of its membership in the cluster's coordination. */
function MemberCard({ m, at }: { m: NonNullable<Health["member"]>; at: number }) {
  return (
    <Card title={`This console's broker (${m.nodeId})`}>
      <dl className="member-facts" data-testid="member">
        <div>
          <dt>State</dt>
          <dd>
            <StatusDot ok={m.state === "member"} label={m.state} />
          </dd>
        </div>
        <div>
          <dt>Lease</dt>
          <dd>
            <StatusDot ok={m.leaseCurrent} label={m.leaseCurrent ? "current" : "lapsed: not acknowledging writes as leader"} />
            <span className="muted" data-testid="lease-age">
              {" "}
              {m.leaseAgeMs === null ? "never renewed" : `renewed ${formatSeconds(m.leaseAgeMs)} ago`}
            </span>
          </dd>
        </div>
        <div>
          <dt>Coordination store</dt>
          <dd>
            <StatusDot ok={m.storeReachable} label={`${m.storeReachable ? "reachable" : "unreachable"} for ${formatDuration(Math.max(0, at - m.storeSince))}`} />
            {m.storeError && <span className="error-text"> {m.storeError}</span>}
          </dd>
        </div>
        <div>
          <dt>Controller epoch</dt>
          <dd>{m.controllerEpoch ?? "–"}</dd>
        </div>
      </dl>
    </Card>
  );
}

/** Sub-second detail, since leases renew several times a session timeout (a few seconds). */
function formatSeconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}
