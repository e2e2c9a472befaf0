"use client";
import { useState } from "react";
import { useCluster } from "@/components/clusters/cluster-picker";
import { formatCount, formatDuration } from "@/components/format";
import { useIsAdmin } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { DataTable, Empty, ErrorNote, Loading, PageHeader, Time } from "@/components/ui";
import { AbortDialog } from "./abort-dialog";
import { nearTimeout, partitionCount } from "./age";
import "./transactions.css";

/** Why a row's Abort is off, or undefined when the person may abort it. */
function abortBlocked(admin: boolean, state: string): string | undefined {
  if (!admin) return "Aborting a transaction needs the admin role.";
  if (state !== "Ongoing") return `The coordinator is already completing this transaction (${state}).`;
  return undefined;
}

/**
 * The cluster's open transactions, oldest first: the one pinning a partition's last stable offset
 * is at the top. Admins abort a hanging one after a preview.
 */
export function TransactionList() {
  const cluster = useCluster();
  const admin = useIsAdmin();
  const [aborting, setAborting] = useState<string | null>(null);
  const txns = trpc.transactions.open.useQuery({ cluster }, { refetchInterval: 5000, placeholderData: (prev) => prev });
  const view = txns.data;

  return (
    <>
      <PageHeader
        title="Transactions"
        subtitle={
          view?.supported ? (
            <>
              {view.transactions.length} open {view.transactions.length === 1 ? "transaction" : "transactions"} on {cluster} · updated <Time at={txns.dataUpdatedAt} />
            </>
          ) : (
            `cluster ${cluster}`
          )
        }
      />
      <ErrorNote error={txns.error} retry={() => void txns.refetch()} />
      {aborting !== null && <AbortDialog key={aborting} cluster={cluster} transactionalId={aborting} onClose={() => setAborting(null)} />}
      {txns.isPending ? (
        <Loading label="Asking the transaction coordinators for open transactions…" />
      ) : view && !view.supported ? (
        <p className="txn-note" role="note">
          Cluster {cluster} does not serve ListTransactions and DescribeTransactions (Kafka 3.0 and later, KIP-664), so the console cannot list its transactions. Read_committed consumers and the last stable offsets on the topic pages still work.
        </p>
      ) : view?.transactions.length === 0 ? (
        <Empty>No open transactions on this cluster. A transaction shows here from a transactional producer&apos;s first send until it commits or aborts.</Empty>
      ) : view ? (
        <>
          {!admin && <p className="muted">Aborting a hanging transaction needs the admin role; you can see the transactions only.</p>}
          <DataTable
            rows={view.transactions}
            rowKey={(t) => t.transactionalId}
            columns={[
              { key: "id", header: "Transactional id", sort: (t) => t.transactionalId, render: (t) => <code>{t.transactionalId}</code> },
              { key: "producer", header: "Producer id", align: "right", sort: (t) => t.producerId, render: (t) => t.producerId },
              { key: "epoch", header: "Epoch", align: "right", sort: (t) => t.producerEpoch, render: (t) => t.producerEpoch },
              { key: "state", header: "State", sort: (t) => t.state, render: (t) => <span className={`txn-state ${t.state}`}>{t.state}</span> },
              {
                key: "partitions",
                header: "Partitions",
                sort: (t) => partitionCount(t.partitions),
                render: (t) =>
                  t.partitions.length ? (
                    <span className="txn-partitions" title={`${formatCount(partitionCount(t.partitions))} partitions`}>
                      {t.partitions.map((p) => (
                        <span key={p.topic}>
                          {p.topic} <span className="muted">[{p.partitions.join(", ")}]</span>
                        </span>
                      ))}
                    </span>
                  ) : (
                    <span className="muted">none yet</span>
                  ),
              },
              {
                key: "age",
                header: "Open for",
                align: "right",
                sort: (t) => t.ageMs ?? -1,
                render: (t) =>
                  t.ageMs === null ? (
                    <span className="muted">–</span>
                  ) : (
                    <span className={nearTimeout(t.ageMs, t.timeoutMs) ? "txn-age near-timeout" : "txn-age"} title={t.startedAt ? `began ${new Date(t.startedAt).toISOString()}` : undefined}>
                      {formatDuration(t.ageMs)}
                    </span>
                  ),
              },
              { key: "timeout", header: "Timeout", align: "right", sort: (t) => t.timeoutMs, render: (t) => formatDuration(t.timeoutMs) },
              {
                key: "actions",
                header: "",
                render: (t) => {
                  const blocked = abortBlocked(admin, t.state);
                  return (
                    <button type="button" className="danger" disabled={blocked !== undefined} title={blocked} aria-label={`Abort ${t.transactionalId}`} onClick={() => setAborting(t.transactionalId)}>
                      Abort…
                    </button>
                  );
                },
              },
            ]}
          />
        </>
      ) : null}
    </>
  );
}
