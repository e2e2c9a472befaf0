"use client";
import Link from "next/link";
import { TimeChart } from "@/components/charts/time-chart";
import { clusterHref } from "@/components/clusters/cluster-picker";
import { formatCount, formatDuration, formatRate } from "@/components/format";
import { trpc } from "@/components/trpc";
import { DataTable, Empty, ErrorNote, Loading } from "@/components/ui";

/** The topic's produce and consume rates over the last 15 minutes; "out" is consumers only, the console's own reads are their own line. */
export function Throughput({ cluster, topic }: { cluster: string; topic: string }) {
  const q = trpc.dashboard.throughput.useQuery({ cluster, topic, range: "15m" }, { refetchInterval: 2000 });
  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorNote error={q.error} retry={() => void q.refetch()} />;
  if (!q.data.available) return <Empty>{q.data.reason} The topics list shows this cluster&apos;s records per second, measured from its log-end offsets.</Empty>;
  const sampled = q.data.sampledEveryMs;
  if (q.data.points.length === 0) return <Empty>{sampled ? `No rate yet: the console samples this cluster every ${formatDuration(sampled)}, and a rate takes two samples.` : "No samples yet; the chart fills in once a second."}</Empty>;
  return (
    <div className="chart" data-testid="throughput-chart">
      {sampled && <p className="muted chart-note">{q.data.scope}</p>}
      <TimeChart
        label="Records per second"
        data={q.data.points}
        range={q.data}
        format={(v) => formatRate(v)}
        lines={[
          { key: "recordsIn", label: "in", color: "#1f6feb" },
          { key: "recordsOut", label: "out (consumers)", color: "#1a7f37" },
          ...(sampled ? [] : [{ key: "consoleRecords" as const, label: "console reads", color: "#9ca3af", dashed: true }]),
        ]}
      />
    </div>
  );
}

/** The consumer groups reading the topic, with their lag on it. */
export function Groups({ cluster, topic }: { cluster: string; topic: string }) {
  const q = trpc.topics.groups.useQuery({ cluster, topic }, { refetchInterval: 5000 });
  if (q.isPending) return <Loading label="Looking for consumer groups…" />;
  if (q.error) return <ErrorNote error={q.error} retry={() => void q.refetch()} />;
  return (
    <>
      <DataTable
        rows={q.data.groups}
        rowKey={(g) => g.groupId}
        empty="No consumer group has committed offsets on this topic."
        columns={[
          { key: "group", header: "Group", sort: (g) => g.groupId, render: (g) => <Link href={clusterHref(`/groups/${encodeURIComponent(g.groupId)}`, cluster)}>{g.groupId}</Link> },
          { key: "state", header: "State", sort: (g) => g.state, render: (g) => g.state },
          { key: "members", header: "Members", align: "right", sort: (g) => g.members, render: (g) => g.members },
          { key: "parts", header: "Committed on", align: "right", render: (g) => `${g.partitions.filter((p) => p.committed !== null).length} of ${g.partitions.length}` },
          { key: "lag", header: "Lag", align: "right", sort: (g) => g.lag, render: (g) => <span title={g.partitions.map((p) => `p${p.partition}: ${p.lag}${p.committed === null ? " (no offset)" : ""}`).join(", ")}>{formatCount(g.lag)}</span> },
        ]}
      />
      {q.data.truncated && <p className="hint muted">Only the first 200 groups of the cluster were checked.</p>}
    </>
  );
}
