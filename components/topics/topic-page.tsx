"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatBytes, formatCount, formatRate, formatTimestamp } from "@/components/format";
import { ClusterPicker, clusterHref, useCluster } from "@/components/clusters/cluster-picker";
import { useCanOperate, useIsAdmin } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { Card, DataTable, Empty, ErrorNote, Loading, PageHeader } from "@/components/ui";
import { TopicConfigs } from "./topic-configs-card";

function Throughput({ cluster, topic }: { cluster: string; topic: string }) {
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

function Groups({ cluster, topic }: { cluster: string; topic: string }) {
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
          { key: "parts", header: "Partitions", align: "right", render: (g) => g.partitions.length },
          { key: "lag", header: "Lag", align: "right", sort: (g) => g.lag, render: (g) => <span title={g.partitions.map((p) => `p${p.partition}: ${p.lag}`).join(", ")}>{formatCount(g.lag)}</span> },
        ]}
      />
      {q.data.truncated && <p className="hint muted">Only the first 200 groups of the cluster were checked.</p>}
    </>
  );
}

function AdminActions({ cluster, topic, partitions }: { cluster: string; topic: string; partitions: number }) {
  const utils = trpc.useUtils();
  const router = useRouter();
  const [count, setCount] = useState(partitions + 1);
  const [purgeKind, setPurgeKind] = useState<"offset" | "timestamp" | "end">("offset");
  const [purgeValue, setPurgeValue] = useState("");
  const [purgePartition, setPurgePartition] = useState("");
  const [confirm, setConfirm] = useState("");
  const [done, setDone] = useState("");
  const add = trpc.topics.addPartitions.useMutation({ onSuccess: (r) => (setDone(`${topic} now has ${r.partitions} partitions.`), utils.topics.invalidate()) });
  const purge = trpc.topics.purge.useMutation({ onSuccess: (r) => (setDone(`Purged ${formatCount(r.removed)} records.`), utils.topics.invalidate()) });
  const del = trpc.topics.delete.useMutation({
    onSuccess: async () => {
      await utils.topics.list.invalidate();
      router.push(clusterHref("/topics", cluster));
    },
  });

  const runPurge = () => {
    const parts = purgePartition === "" ? undefined : [Number(purgePartition)];
    if (purgeKind === "end") return purge.mutate({ cluster, topic, partitions: parts, upTo: { kind: "end" } });
    if (purgeKind === "offset") return purge.mutate({ cluster, topic, partitions: parts, upTo: { kind: "offset", offset: Number(purgeValue) } });
    const ts = new Date(purgeValue).getTime();
    purge.mutate({ cluster, topic, partitions: parts, upTo: { kind: "timestamp", timestamp: ts } });
  };
  const purgeReady = purgeKind === "end" || (purgeKind === "offset" ? /^\d+$/.test(purgeValue) : !Number.isNaN(new Date(purgeValue).getTime()));

  return (
    <Card title="Change the topic">
      {done && <p className="success">{done}</p>}
      <div className="stack">
        <div className="inline-form">
          <h3>Add partitions</h3>
          <input type="number" aria-label="New partition count" min={partitions + 1} value={count} onChange={(e) => setCount(Number(e.target.value))} />
          <button type="button" disabled={add.isPending || count <= partitions} onClick={() => add.mutate({ cluster, topic, count })}>
            Set to {count} partitions
          </button>
          <span className="hint muted">Keys map to partitions by hash, so adding partitions moves where new records of a key go.</span>
          <ErrorNote error={add.error} />
        </div>
        <div className="inline-form">
          <h3>Purge records</h3>
          <select aria-label="Purge partition" value={purgePartition} onChange={(e) => setPurgePartition(e.target.value)}>
            <option value="">all partitions</option>
            {Array.from({ length: partitions }, (_, i) => (
              <option key={i} value={i}>
                partition {i}
              </option>
            ))}
          </select>
          <select aria-label="Purge up to" value={purgeKind} onChange={(e) => (setPurgeKind(e.target.value as typeof purgeKind), setPurgeValue(""))}>
            <option value="offset">before offset</option>
            <option value="timestamp">older than</option>
            <option value="end">everything</option>
          </select>
          {purgeKind === "offset" && <input aria-label="Purge before offset" inputMode="numeric" placeholder="offset" value={purgeValue} onChange={(e) => setPurgeValue(e.target.value)} />}
          {purgeKind === "timestamp" && <input aria-label="Purge older than" type="datetime-local" step={1} value={purgeValue} onChange={(e) => setPurgeValue(e.target.value)} />}
          <button
            type="button"
            className="danger"
            disabled={purge.isPending || !purgeReady}
            onClick={() => window.confirm(`Delete these records of ${topic} for good?`) && runPurge()}
          >
            Purge
          </button>
          <span className="hint muted">Moves the log start forward (DeleteRecords); consumers behind it restart from the new start.</span>
          <ErrorNote error={purge.error} />
        </div>
        <div className="inline-form">
          <h3>Delete topic</h3>
          <input aria-label="Type the topic name to confirm" placeholder={`type ${topic} to confirm`} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          <button type="button" className="danger" disabled={del.isPending || confirm !== topic} onClick={() => del.mutate({ cluster, topic, confirm })}>
            Delete {topic}
          </button>
          <ErrorNote error={del.error} />
        </div>
      </div>
    </Card>
  );
}

export function TopicPage({ topic }: { topic: string }) {
  const cluster = useCluster();
  const isAdmin = useIsAdmin();
  const canProduce = useCanOperate();
  const q = trpc.topics.get.useQuery({ cluster, topic }, { refetchInterval: 5000 });
  const t = q.data;
  return (
    <>
      <PageHeader
        title={topic}
        subtitle={
          <>
            <Link href={clusterHref("/topics", cluster)}>Topics</Link> / {topic}
          </>
        }
        actions={
          <>
            <ClusterPicker />
            <Link className="button" href={clusterHref(`/topics/${encodeURIComponent(topic)}/messages`, cluster)}>
              Browse messages
            </Link>
            {canProduce && (
              <Link className="button" href={clusterHref(`/topics/${encodeURIComponent(topic)}/produce`, cluster)}>
                Produce
              </Link>
            )}
          </>
        }
      />
      <ErrorNote error={q.error} retry={() => void q.refetch()} />
      {q.isPending ? (
        <Loading label="Loading topic…" />
      ) : t ? (
        <>
          <div className="grid cards-4">
            <Card title="Partitions">
              <div className="stat">{t.partitions.length}</div>
            </Card>
            <Card title="Records">
              <div className="stat" title={t.records.toLocaleString()}>{formatCount(t.records)}</div>
            </Card>
            <Card title="Size">
              <div className="stat">{t.sizeBytes === null ? "–" : formatBytes(t.sizeBytes)}</div>
            </Card>
            <Card title="Cleanup">
              <div className="stat">{t.configs.find((c) => c.name === "cleanup.policy")?.value ?? "–"}</div>
            </Card>
          </div>
          <Card title="Throughput (last 15 min)">
            <Throughput cluster={cluster} topic={topic} />
          </Card>
          <Card title="Partitions">
            <DataTable
              rows={t.partitions}
              rowKey={(p) => p.partition}
              columns={[
                { key: "p", header: "Partition", align: "right", sort: (p) => p.partition, render: (p) => p.partition },
                { key: "start", header: "Log start", align: "right", sort: (p) => p.logStartOffset, render: (p) => p.logStartOffset.toLocaleString() },
                { key: "end", header: "Log end", align: "right", sort: (p) => p.logEndOffset, render: (p) => p.logEndOffset.toLocaleString() },
                { key: "records", header: "Records", align: "right", sort: (p) => p.records, render: (p) => formatCount(p.records) },
                { key: "size", header: "Size", align: "right", sort: (p) => p.sizeBytes ?? 0, render: (p) => (p.sizeBytes === null ? "–" : formatBytes(p.sizeBytes)) },
                { key: "leader", header: "Leader", align: "right", sort: (p) => p.leader, render: (p) => p.leader },
                { key: "replicas", header: "Replicas (ISR)", render: (p) => `${p.replicas.join(", ")} (${p.isr.join(", ")})` },
                {
                  key: "browse",
                  header: "",
                  render: (p) => (
                    <Link href={clusterHref(`/topics/${encodeURIComponent(topic)}/messages`, cluster, { p: String(p.partition) })}>browse</Link>
                  ),
                },
              ]}
            />
          </Card>
          <Card title="Consumer groups">
            <Groups cluster={cluster} topic={topic} />
          </Card>
          <TopicConfigs cluster={cluster} topic={topic} configs={t.configs} editable={isAdmin} />
          {isAdmin && <AdminActions cluster={cluster} topic={topic} partitions={t.partitions.length} />}
          <p className="hint muted">Updated {formatTimestamp(q.dataUpdatedAt)}</p>
        </>
      ) : null}
    </>
  );
}
