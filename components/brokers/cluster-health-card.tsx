"use client";
import { ClusterLink } from "@/components/clusters/cluster-link";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Loading, StatusDot } from "@/components/ui";
import "./brokers.css";

/** Brokers up, the controller, and the partitions that need looking at, for the dashboard. */
export function ClusterHealthCard({ cluster }: { cluster: string }) {
  const q = trpc.brokers.list.useQuery({ cluster }, { refetchInterval: 5000, placeholderData: (prev) => prev });
  const h = q.data;
  return (
    <Card title="Cluster health" className="dash-card">
      <ErrorNote error={q.error} retry={() => void q.refetch()} />
      {q.isPending ? (
        <Loading />
      ) : h ? (
        <div data-testid="cluster-health">
          <StatusDot ok={h.offline === 0 && h.underReplicated === 0 && h.controllerId >= 0} label={h.offline ? "partitions offline" : h.underReplicated ? "under-replicated" : h.controllerId < 0 ? "no controller" : "healthy"} />
          <dl className="member-facts health">
            <div>
              <dt>Brokers up</dt>
              <dd>{formatCount(h.brokers.length)}</dd>
            </div>
            <div>
              <dt>Controller</dt>
              <dd>{h.controllerId < 0 ? "none" : `broker ${h.controllerId}`}</dd>
            </div>
            <div>
              <dt>Offline partitions</dt>
              <dd className={h.offline ? "error-text" : undefined}>{formatCount(h.offline)}</dd>
            </div>
            <div>
              <dt>Under-replicated</dt>
              <dd className={h.underReplicated ? "warn-text" : undefined}>{formatCount(h.underReplicated)}</dd>
            </div>
          </dl>
          <p className="hint">
            <ClusterLink href="/brokers">See the brokers</ClusterLink>
          </p>
        </div>
      ) : null}
    </Card>
  );
}
