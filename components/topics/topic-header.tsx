"use client";
import Link from "next/link";
import { ClusterPicker, clusterHref, useCluster } from "@/components/clusters/cluster-picker";
import { useCanOperate } from "@/components/roles";
import { PageHeader } from "@/components/ui";

/** A topic's pages: its overview, its messages and the produce form. */
export type TopicView = "overview" | "messages" | "produce";

/**
 * The header every page of a topic shares: the way back to the topics, the cluster picker and
 * buttons to the topic's other pages (Produce only for those allowed to produce). Browsing from the
 * produce form starts at the latest records, where what was just produced is.
 */
export function TopicHeader({ topic, view }: { topic: string; view: TopicView }) {
  const cluster = useCluster();
  const canProduce = useCanOperate();
  const href = `/topics/${encodeURIComponent(topic)}`;
  const topics = <Link href={clusterHref("/topics", cluster)}>Topics</Link>;
  return (
    <PageHeader
      title={view === "overview" ? topic : `${view === "messages" ? "Messages" : "Produce"} · ${topic}`}
      subtitle={
        view === "overview" ? (
          <>{topics} / {topic}</>
        ) : (
          <>
            {topics} / <Link href={clusterHref(href, cluster)}>{topic}</Link> / {view}
          </>
        )
      }
      actions={
        <>
          <ClusterPicker />
          {view !== "messages" && (
            <Link className="button" href={clusterHref(`${href}/messages`, cluster, { start: view === "produce" ? "latest" : undefined })}>
              Browse messages
            </Link>
          )}
          {view !== "produce" && canProduce && (
            <Link className="button" href={clusterHref(`${href}/produce`, cluster)}>
              Produce
            </Link>
          )}
        </>
      }
    />
  );
}
