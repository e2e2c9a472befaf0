"use client";
import Link from "next/link";
import { clusterHref, useCluster } from "@/components/clusters/cluster-picker";
import { formatBytes, formatCount, formatTimestamp } from "@/components/format";
import { useIsAdmin } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { Card, DataTable, QueryView } from "@/components/ui";
import { PartitionIsr, ReplicationSummary } from "@/components/brokers/partition-health";
import { AdminActions } from "./topic-admin";
import { Groups, Throughput } from "./topic-cards";
import { TopicHeader } from "./topic-header";
import { TopicConfigs } from "./topic-configs-card";
import "./partitions.css";

export function TopicPage({ topic }: { topic: string }) {
  const cluster = useCluster();
  const isAdmin = useIsAdmin();
  const q = trpc.topics.get.useQuery({ cluster, topic }, { refetchInterval: 5000 });
  return (
    <>
      <TopicHeader topic={topic} view="overview" />
      <QueryView query={q} loading="Loading topic…">
        {(t) => (
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
              <ReplicationSummary partitions={t.partitions} />
              <DataTable
                rows={t.partitions}
                rowKey={(p) => p.partition}
                columns={[
                  { key: "p", header: "Partition", align: "right", sort: (p) => p.partition, render: (p) => p.partition },
                  { key: "start", header: "Log start", align: "right", sort: (p) => p.logStartOffset, render: (p) => p.logStartOffset.toLocaleString() },
                  { key: "end", header: "High watermark", align: "right", sort: (p) => p.logEndOffset, render: (p) => p.logEndOffset.toLocaleString() },
                  {
                    key: "lso",
                    header: "Last stable",
                    align: "right",
                    sort: (p) => p.lastStableOffset,
                    render: (p) =>
                      p.lastStableOffset < p.logEndOffset ? (
                        <span className="lso-behind" title={`An open transaction holds read_committed consumers ${(p.logEndOffset - p.lastStableOffset).toLocaleString()} records behind the high watermark`}>
                          {p.lastStableOffset.toLocaleString()}
                        </span>
                      ) : (
                        p.lastStableOffset.toLocaleString()
                      ),
                  },
                  { key: "records", header: "Records", align: "right", sort: (p) => p.records, render: (p) => formatCount(p.records) },
                  { key: "size", header: "Size", align: "right", sort: (p) => p.sizeBytes ?? 0, render: (p) => (p.sizeBytes === null ? "–" : formatBytes(p.sizeBytes)) },
                  { key: "leader", header: "Leader", align: "right", sort: (p) => p.leader, render: (p) => (p.leader < 0 ? <span className="badge error">offline</span> : p.leader) },
                  { key: "replicas", header: "Replicas", sort: (p) => p.replicas.join(","), render: (p) => p.replicas.join(", ") },
                  { key: "isr", header: "In sync (ISR)", sort: (p) => p.isr.length - p.replicas.length, render: (p) => <PartitionIsr p={p} /> },
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
        )}
      </QueryView>
    </>
  );
}
