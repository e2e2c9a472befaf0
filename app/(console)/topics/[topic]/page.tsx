import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { TopicPage } from "@/components/topics/topic-page";

export async function generateMetadata({ params }: { params: Promise<{ topic: string }> }): Promise<Metadata> {
  return { title: decodeURIComponent((await params).topic) };
}

export default async function Page({ params }: { params: Promise<{ topic: string }> }) {
  return (
    <Suspense>
      <ClusterScope>
        <TopicPage topic={decodeURIComponent((await params).topic)} />
      </ClusterScope>
    </Suspense>
  );
}
