"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { trpc } from "@/components/trpc";

export const EMBEDDED = "embedded";

/** The cluster a page shows: its slug in `?cluster=`, so a link always opens the same cluster and says which. */
export function useCluster(): string {
  return useSearchParams().get("cluster") || EMBEDDED;
}

/** A console link that keeps the chosen cluster. */
export function clusterHref(href: string, cluster: string, params: Record<string, string | undefined> = {}): string {
  const [path, query] = href.split("?", 2);
  const q = new URLSearchParams(query);
  if (cluster !== EMBEDDED) q.set("cluster", cluster);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  return q.size ? `${path}?${q}` : path;
}

/** Switches the page to another cluster, keeping the path and dropping positions that belong to the old one. */
export function ClusterPicker() {
  const cluster = useCluster();
  const router = useRouter();
  const path = usePathname();
  const params = useSearchParams();
  const list = trpc.clusters.list.useQuery();
  const choose = (id: string) => {
    const q = new URLSearchParams(params);
    q.delete("pos");
    if (id === EMBEDDED) q.delete("cluster");
    else q.set("cluster", id);
    router.push(q.size ? `${path}?${q}` : path);
  };
  const known = list.data?.some((c) => c.slug === cluster);
  return (
    <label className="picker">
      <span className="muted">Cluster</span>
      <select aria-label="Cluster" value={cluster} onChange={(e) => choose(e.target.value)} disabled={list.isPending}>
        {!known && <option value={cluster}>{list.isPending ? "…" : `unknown (${cluster})`}</option>}
        {list.data?.map((c) => (
          <option key={c.slug} value={c.slug}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
}
