"use client";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { formatBytes, formatBytesRate, formatCount, formatDuration, formatRate } from "@/components/format";
import { ClusterPicker, clusterHref, useCluster } from "@/components/clusters/cluster-picker";
import { useIsAdmin } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { DataTable, ErrorNote, Loading, PageHeader } from "@/components/ui";
import { CreateTopic } from "./create-topic";
import { humanMs } from "./topic-configs";

function retention(ms: number | null, policy: string | null): string {
  if (policy === "compact") return "compacted";
  if (ms === null) return "–";
  if (ms < 0) return "forever";
  return humanMs(ms, formatDuration);
}

function plural(n: number, what: string): string {
  return `${formatCount(n)} ${what}${n === 1 ? "" : "s"}`;
}

export function TopicsPage() {
  const cluster = useCluster();
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const isAdmin = useIsAdmin();
  const search = params.get("q") ?? "";
  const showInternal = params.get("internal") === "1";
  const creating = params.get("create") === "1";
  const list = trpc.topics.list.useQuery({ cluster }, { refetchInterval: 5000 });

  const setParam = (k: string, v: string | null) => {
    const q = new URLSearchParams(params);
    if (v === null || v === "") q.delete(k);
    else q.set(k, v);
    router.replace(q.size ? `${path}?${q}` : path);
  };

  const rows = useMemo(() => {
    const needle = search.toLowerCase();
    return (list.data ?? []).filter((t) => (showInternal || !t.internal) && t.name.toLowerCase().includes(needle));
  }, [list.data, search, showInternal]);
  const sized = list.data?.some((t) => t.sizeBytes !== null) ?? true;

  return (
    <>
      <PageHeader
        title="Topics"
        subtitle={list.data ? plural(list.data.filter((t) => !t.internal).length, "topic") : undefined}
        actions={
          <>
            <ClusterPicker />
            {isAdmin && !creating && (
              <button type="button" className="primary" onClick={() => setParam("create", "1")}>
                Create topic
              </button>
            )}
          </>
        }
      />
      {creating && isAdmin && <CreateTopic cluster={cluster} onClose={() => setParam("create", null)} onCreated={(name) => router.push(clusterHref(`/topics/${encodeURIComponent(name)}`, cluster))} />}
      <div className="filters">
        <input type="search" aria-label="Search topics" placeholder="Search topics…" defaultValue={search} onChange={(e) => setParam("q", e.target.value)} />
        <label className="check">
          <input type="checkbox" checked={showInternal} onChange={(e) => setParam("internal", e.target.checked ? "1" : null)} /> Show internal topics
        </label>
      </div>
      <ErrorNote error={list.error} retry={() => void list.refetch()} />
      {list.isPending ? (
        <Loading label="Loading topics…" />
      ) : list.error ? null : (
        <DataTable
          rows={rows}
          rowKey={(t) => t.name}
          empty={search ? `No topic matches “${search}”.` : isAdmin ? "No topics yet. Create one, or produce to a new name with auto-creation on." : "No topics yet."}
          columns={[
            {
              key: "name",
              header: "Name",
              sort: (t) => t.name,
              render: (t) => (
                <>
                  <Link href={clusterHref(`/topics/${encodeURIComponent(t.name)}`, cluster)} className="truncate" title={t.name}>{t.name}</Link>
                  {t.internal && <span className="badge">internal</span>}
                </>
              ),
            },
            { key: "partitions", header: "Partitions", align: "right", sort: (t) => t.partitions, render: (t) => t.partitions },
            { key: "records", header: "Records", align: "right", sort: (t) => t.records, render: (t) => <span title={t.records.toLocaleString()}>{formatCount(t.records)}</span> },
            ...(sized
              ? [{ key: "size", header: "Size", align: "right" as const, sort: (t: (typeof rows)[number]) => t.sizeBytes ?? 0, render: (t: (typeof rows)[number]) => (t.sizeBytes === null ? "–" : <span title={`${t.sizeBytes.toLocaleString()} bytes`}>{formatBytes(t.sizeBytes)}</span>) }]
              : []),
            {
              key: "rate",
              header: "Rate in",
              align: "right",
              sort: (t) => t.recordsPerSec ?? -1,
              render: (t) =>
                t.recordsPerSec === null ? (
                  <span className="muted" title={t.rateFrom === "sampled" ? "Sampled by the console every 10 s from log-end offsets; shown once two samples are in." : undefined}>–</span>
                ) : (
                  <span title={t.rateFrom === "metrics" ? `${formatBytesRate(t.bytesPerSec ?? 0)}, from the broker's metrics` : "Sampled by the console every 10 s from log-end offsets"}>{formatRate(t.recordsPerSec)}</span>
                ),
            },
            { key: "retention", header: "Retention", sort: (t) => (t.cleanupPolicy === "compact" ? Infinity : t.retentionMs ?? 0), render: (t) => retention(t.retentionMs, t.cleanupPolicy) },
          ]}
        />
      )}
    </>
  );
}
