"use client";
import type { ReactNode } from "react";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, PageHeader } from "@/components/ui";
import { clusterHref, useCluster } from "./cluster-picker";
import Link from "next/link";
import { usePathname } from "next/navigation";

/**
 * A page about one cluster's topics or groups; a link naming a cluster the console does not know
 * (removed, renamed, mistyped) gets a page saying so, not errors from every card.
 */
export function ClusterScope({ children }: { children: ReactNode }) {
  const cluster = useCluster();
  // The same page on another cluster is what someone who followed a stale link most likely wants.
  const path = usePathname();
  const list = trpc.clusters.list.useQuery();
  if (list.error) return <ErrorNote error={list.error} retry={() => void list.refetch()} />;
  if (!list.data || list.data.some((c) => c.slug === cluster)) return children;
  return (
    <>
      <PageHeader title="Cluster not found" subtitle="404" />
      <Card>
        <p role="alert">
          This console knows no cluster named <code>{cluster}</code>. It may have been removed or renamed on the Clusters page.
        </p>
        <p>Open one of these instead:</p>
        <ul>
          {list.data.map((c) => (
            <li key={c.slug}>
              <Link href={clusterHref(path, c.slug)}>{c.name}</Link>
            </li>
          ))}
        </ul>
      </Card>
    </>
  );
}
