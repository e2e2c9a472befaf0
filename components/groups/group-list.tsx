"use client";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { clusterHref, useCluster } from "@/components/clusters/cluster-picker";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { DataTable, Empty, ErrorNote, Loading, PageHeader, Time } from "@/components/ui";
import { LAG_TITLE } from "./lag";
import { GroupState } from "./state";
import "./groups.css";

/** Every consumer group of the cluster with its state and lag; the search box lives in `?q=`. */
export function GroupList() {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const cluster = useCluster();
  const q = params.get("q") ?? "";
  const groups = trpc.groups.list.useQuery({ cluster }, { refetchInterval: 5000, placeholderData: (prev) => prev });
  const rows = (groups.data ?? []).filter((g) => !q || g.groupId.toLowerCase().includes(q.toLowerCase()) || g.topics.some((t) => t.includes(q)));
  const setQ = (v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set("q", v);
    else next.delete("q");
    router.replace(next.size ? `${path}?${next}` : path, { scroll: false });
  };
  const total = rows.reduce((n, g) => n + g.lag, 0);

  return (
    <>
      <PageHeader
        title="Consumer groups"
        subtitle={
          groups.data ? (
            <>
              {groups.data.length} {groups.data.length === 1 ? "group" : "groups"} on {cluster} · {formatCount(total)} records of lag{q ? " in the matches" : ""} · updated <Time at={groups.dataUpdatedAt} />
            </>
          ) : (
            `cluster ${cluster}`
          )
        }
      />
      <div className="filters">
        <input type="search" aria-label="Search groups" placeholder="Search by group or topic…" defaultValue={q} onChange={(e) => setQ(e.target.value)} style={{ minWidth: 280 }} />
      </div>
      <ErrorNote error={groups.error} retry={() => void groups.refetch()} />
      {groups.isPending ? (
        <Loading label="Asking the cluster for its consumer groups…" />
      ) : groups.data?.length === 0 ? (
        <Empty>No consumer groups on this cluster yet. A group appears when a consumer with a group.id joins or commits offsets.</Empty>
      ) : (
        <DataTable
          rows={rows}
          rowKey={(g) => g.groupId}
          empty={`No group matches "${q}".`}
          columns={[
            { key: "id", header: "Group", sort: (g) => g.groupId, render: (g) => <Link href={clusterHref(`/groups/${encodeURIComponent(g.groupId)}`, cluster)}>{g.groupId}</Link> },
            { key: "state", header: "State", sort: (g) => g.state, render: (g) => <GroupState state={g.state} /> },
            { key: "members", header: "Members", align: "right", sort: (g) => g.members, render: (g) => g.members },
            { key: "assignor", header: "Assignor", sort: (g) => g.assignor, render: (g) => g.assignor || <span className="muted">–</span> },
            { key: "topics", header: "Topics", sort: (g) => g.topics.join(","), render: (g) => (g.topics.length ? g.topics.join(", ") : <span className="muted">none</span>) },
            {
              key: "partitions",
              header: "Partitions",
              align: "right",
              sort: (g) => g.partitions,
              render: (g) => (
                <>
                  {g.partitions}
                  {g.noOffset > 0 && <small className="muted"> ({g.noOffset} no offset)</small>}
                </>
              ),
            },
            { key: "lag", header: "Lag", title: LAG_TITLE, align: "right", sort: (g) => g.lag, render: (g) => <span title={`${g.lag.toLocaleString()} records`}>{formatCount(g.lag)}</span> },
          ]}
        />
      )}
    </>
  );
}
