"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { TimeChart } from "@/components/charts/time-chart";
import "@/components/charts/charts.css";
import { clusterHref, useCluster } from "@/components/clusters/cluster-picker";
import { canOperate } from "@/components/roles";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, DataTable, Empty, ErrorNote, Loading, PageHeader, Time } from "@/components/ui";
import { LAG_TITLE, LOG_END_TITLE } from "./lag";
import { downloadText } from "@/components/download";
import { GroupState } from "./state";
import "./groups.css";

/** A partition the group never committed on: where a consumer would start, by its auto.offset.reset. */
function NoOffset({ logStart, logEnd }: { logStart: number; logEnd: number }) {
  return (
    <span className="no-offset" title="The group has no committed offset here; its lag counts every record from the log start.">
      no offset
      <small className="muted">
        earliest → {logStart.toLocaleString()} · latest → {logEnd.toLocaleString()}
      </small>
    </span>
  );
}

export function GroupDetail({ groupId }: { groupId: string }) {
  const cluster = useCluster();
  const router = useRouter();
  const me = trpc.auth.me.useQuery();
  const utils = trpc.useUtils();
  const group = trpc.groups.get.useQuery({ cluster, groupId }, { refetchInterval: 3000, placeholderData: (prev) => prev });
  const history = trpc.groups.lagHistory.useQuery({ cluster, groupId }, { refetchInterval: 10_000 });
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [offsetsTopic, setOffsetsTopic] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const del = trpc.groups.delete.useMutation({ onSuccess: () => router.push(clusterHref("/groups", cluster)) });
  const delOffsets = trpc.groups.deleteTopicOffsets.useMutation({
    onSuccess: (r, v) => {
      setNotice(`Deleted the committed offsets of ${r.removed} partitions of ${v.topic}.`);
      setOffsetsTopic("");
      void utils.groups.get.invalidate();
    },
  });
  const [exportError, setExportError] = useState<Error | null>(null);
  const exportCsv = async () => {
    setExportError(null);
    try {
      const { csv } = await utils.groups.exportOffsets.fetch({ cluster, groupId });
      downloadText(`${groupId}-offsets.csv`, csv, "text/csv");
    } catch (err) {
      setExportError(err as Error);
    }
  };
  const operator = canOperate(me.data?.role);
  const g = group.data;
  const empty = g?.members === 0;

  return (
    <>
      <PageHeader
        title={groupId}
        subtitle={
          <>
            <Link href={clusterHref("/groups", cluster)}>Consumer groups</Link> · cluster {cluster}
            {g && (
              <>
                {" "}
                · <GroupState state={g.state} /> · updated <Time at={group.dataUpdatedAt} />
              </>
            )}
          </>
        }
        actions={
          g && (
            <>
              <button type="button" onClick={() => void exportCsv()}>
                Export offsets (CSV)
              </button>
              <Link className="button-link" href={clusterHref(`/groups/${encodeURIComponent(groupId)}/reset`, cluster)}>
                Reset offsets…
              </Link>
              {operator && (
                <button type="button" className="danger" disabled={!empty} title={empty ? undefined : "Only an empty group can be deleted: stop its consumers first."} onClick={() => setConfirmDelete(true)}>
                  Delete group
                </button>
              )}
            </>
          )
        }
      />
      <ErrorNote error={exportError} />
      {confirmDelete && (
        <div className="warn-note" role="alertdialog" aria-label="Confirm delete">
          Delete group <strong>{groupId}</strong> and all its committed offsets? Consumers that join it later start from their auto.offset.reset position.{" "}
          <button type="button" className="danger" onClick={() => del.mutate({ cluster, groupId })} disabled={del.isPending}>
            {del.isPending ? "Deleting…" : "Delete"}
          </button>{" "}
          <button type="button" onClick={() => setConfirmDelete(false)}>
            Cancel
          </button>
        </div>
      )}
      <ErrorNote error={del.error} />
      <ErrorNote error={group.error} retry={() => void group.refetch()} />
      {group.isPending ? (
        <Loading label="Reading the group's offsets and members…" />
      ) : !g ? null : (
        <>
          <div className="grid cards-4">
            <Card title="Lag">
              <div className="stat" data-testid="group-lag" title={`${g.lag.toLocaleString()} records`}>
                {formatCount(g.lag)}
              </div>
              <p className="hint muted">records not yet consumed</p>
            </Card>
            <Card title="Members">
              <div className="stat">{g.members}</div>
              <p className="hint muted">assignor {g.assignor || "–"}</p>
            </Card>
            <Card title="Topics">
              <div className="stat">{g.topics.length}</div>
              <p className="hint muted">{g.topics.join(", ") || "none"}</p>
            </Card>
            <Card title="Partitions">
              <div className="stat">{g.partitions}</div>
              <p className="hint muted">{g.noOffset ? `${g.noOffset} without a committed offset` : "all with committed offsets"}</p>
            </Card>
          </div>

          <Card title="Lag over time">
            {history.error ? (
              <ErrorNote error={history.error} retry={() => void history.refetch()} />
            ) : (history.data?.length ?? 0) < 2 ? (
              <p className="muted">The server samples lag every 10 seconds; the chart fills in as it does.</p>
            ) : (
              <TimeChart label="Lag over time" data={history.data!} height={160} format={formatCount} lines={[{ key: "v", label: "lag", color: "#d97706" }]} />
            )}
          </Card>

          <Card title="Partitions">
            <DataTable
              rows={g.offsets}
              rowKey={(r) => `${r.topic}-${r.partition}`}
              empty="This group has no committed offsets and no assigned partitions."
              columns={[
                { key: "topic", header: "Topic", sort: (r) => r.topic, render: (r) => r.topic },
                { key: "partition", header: "Partition", align: "right", sort: (r) => r.partition, render: (r) => r.partition },
                { key: "committed", header: "Committed", align: "right", sort: (r) => r.committed ?? -1, render: (r) => (r.committed === null ? <NoOffset logStart={r.logStart} logEnd={r.logEnd} /> : r.committed.toLocaleString()) },
                { key: "start", header: "Log start", align: "right", sort: (r) => r.logStart, render: (r) => r.logStart.toLocaleString() },
                { key: "end", header: "Log end", title: LOG_END_TITLE, align: "right", sort: (r) => r.logEnd, render: (r) => r.logEnd.toLocaleString() },
                { key: "lag", header: "Lag", title: LAG_TITLE, align: "right", sort: (r) => r.lag, render: (r) => <span title={r.lag.toLocaleString()}>{formatCount(r.lag)}</span> },
                { key: "client", header: "Client id", sort: (r) => r.clientId ?? "", render: (r) => r.clientId ?? <span className="muted">unassigned</span> },
                { key: "host", header: "Host", sort: (r) => r.host ?? "", render: (r) => r.host ?? "" },
              ]}
            />
          </Card>

          <Card title="Members">
            {g.memberList.length === 0 ? (
              <Empty>No consumer is connected to this group.</Empty>
            ) : (
              <DataTable
                rows={g.memberList}
                rowKey={(m) => m.memberId}
                columns={[
                  { key: "member", header: "Member id", sort: (m) => m.memberId, render: (m) => <code>{m.memberId}</code> },
                  { key: "client", header: "Client id", sort: (m) => m.clientId, render: (m) => m.clientId },
                  { key: "host", header: "Host", sort: (m) => m.host, render: (m) => m.host },
                  { key: "assignment", header: "Assigned partitions", sort: (m) => m.assignment.reduce((n, a) => n + a.partitions.length, 0), render: (m) => m.assignment.map((a) => `${a.topic}: ${a.partitions.join(", ")}`).join(" · ") || "–" },
                ]}
              />
            )}
          </Card>

          {operator && g.topics.length > 0 && (
            <Card title="Delete a topic's offsets">
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  setNotice(null);
                  if (offsetsTopic) delOffsets.mutate({ cluster, groupId, topic: offsetsTopic });
                }}
              >
                <p className="hint muted">The group forgets where it was in that topic (kafka-consumer-groups --delete-offsets); its consumers then start from their auto.offset.reset position. Refused while a member is subscribed to the topic.</p>
                <select aria-label="Topic whose offsets to delete" value={offsetsTopic} onChange={(e) => setOffsetsTopic(e.target.value)}>
                  <option value="">Choose a topic…</option>
                  {g.topics.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
                <button type="submit" className="danger" disabled={!offsetsTopic || delOffsets.isPending}>
                  Delete offsets
                </button>
                <ErrorNote error={delOffsets.error} />
              </form>
            </Card>
          )}
          {notice && (
            <p className="success" role="status">
              {notice}
            </p>
          )}
        </>
      )}
    </>
  );
}
