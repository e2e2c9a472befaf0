"use client";
import "@/components/charts/charts.css";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { ClusterHealthCard } from "@/components/brokers/cluster-health-card";
import { useCluster } from "@/components/clusters/cluster-picker";
import { formatDuration } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Empty, ErrorNote, Loading, PageHeader } from "@/components/ui";
import { AgentRatesCard, CdcSlotsCard, ConnectionsCard, DiskCard } from "./broker-cards";
import { Health } from "./health";
import { LagCard } from "./lag-card";
import { rangeOf, RangeToolbar, ThroughputCharts, TopTopics } from "./throughput";

/** Live updates: the 15-minute range refreshes every 2 s, the rolled-up ranges every minute. */
const LIVE_MS = 2000;
const ROLLUP_MS = 60_000;

/** The cluster at a glance: health, throughput over a chosen range and topic, lag, disk, connections and agents. */
export function Dashboard() {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const cluster = useCluster();
  const range = rangeOf(params.get("range"));
  const topic = params.get("topic") || undefined;
  const setParam = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    router.replace(next.size ? `${path}?${next}` : path, { scroll: false });
  };

  const health = trpc.health.useQuery(undefined, { refetchInterval: 5000 });
  const throughput = trpc.dashboard.throughput.useQuery({ cluster, range, topic }, { refetchInterval: range === "15m" ? LIVE_MS : ROLLUP_MS, placeholderData: (prev) => prev });
  const overview = trpc.dashboard.overview.useQuery({ cluster }, { refetchInterval: LIVE_MS, placeholderData: (prev) => prev });
  const t = throughput.data;
  const o = overview.data;

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle={health.data ? `Tributary ${health.data.version} · up ${formatDuration(health.data.uptimeSeconds * 1000)} · cluster ${cluster}` : `cluster ${cluster}`}
      />
      <Health />
      <RangeToolbar range={range} topic={topic} t={t} onRange={(r) => setParam("range", r === "15m" ? undefined : r)} onTopic={(x) => setParam("topic", x)} />
      <ErrorNote error={throughput.error} retry={() => void throughput.refetch()} />
      {throughput.isPending ? <Loading label="Loading throughput…" /> : t && !t.available ? <Empty>{t.reason}</Empty> : t ? <ThroughputCharts t={t} range={range} topic={topic} /> : null}
      <div className="grid cards-2">
        <TopTopics t={t} range={range} onPick={(x) => setParam("topic", x)} />
        <LagCard o={o} error={overview.error} retry={() => void overview.refetch()} cluster={cluster} />
      </div>
      <div className="grid cards-3">
        <ClusterHealthCard cluster={cluster} />
        <DiskCard o={o} />
        <ConnectionsCard o={o} />
        {o && o.cdcSlots.length > 0 && <CdcSlotsCard o={o} />}
        <AgentRatesCard o={o} />
      </div>
    </>
  );
}
