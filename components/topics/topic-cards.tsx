"use client";
import Link from "next/link";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { clusterHref } from "@/components/clusters/cluster-picker";
import { formatCount, formatRate } from "@/components/format";
import { trpc } from "@/components/trpc";
import { DataTable, Empty, ErrorNote, Loading } from "@/components/ui";

/** The topic's produce and consume rates over the last minutes. */
export function Throughput({ cluster, topic }: { cluster: string; topic: string }) {
  const q = trpc.topics.throughput.useQuery({ cluster, topic }, { refetchInterval: 2000 });
  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorNote error={q.error} retry={() => void q.refetch()} />;
  if (q.data === null) return <Empty>Rates come from the embedded broker's metrics; this cluster does not report them over the Kafka protocol.</Empty>;
  const data = q.data.map((p) => ({ ...p, time: new Date(p.t).toLocaleTimeString() }));
  if (data.length === 0) return <Empty>No samples yet; the chart fills in once a second.</Empty>;
  return (
    <div className="chart" data-testid="throughput-chart">
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6eb" />
          <XAxis dataKey="time" minTickGap={60} fontSize={11} />
          <YAxis tickFormatter={(v: number) => formatCount(v)} fontSize={11} width={48} />
          <Tooltip formatter={(v, name) => [formatRate(Number(v)), name]} />
          <Legend />
          <Line type="linear" dataKey="recordsIn" name="records in/s" stroke="#1f6feb" dot={false} isAnimationActive={false} />
          <Line type="linear" dataKey="recordsOut" name="records out/s" stroke="#1a7f37" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
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
