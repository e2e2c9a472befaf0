import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { ProducePage } from "@/components/messages/produce-page";

export async function generateMetadata({ params }: { params: Promise<{ topic: string }> }): Promise<Metadata> {
  return { title: `Produce · ${decodeURIComponent((await params).topic)}` };
}

export default async function Page({ params }: { params: Promise<{ topic: string }> }) {
  return (
    <Suspense>
      <ClusterScope>
        <ProducePage topic={decodeURIComponent((await params).topic)} />
      </ClusterScope>
    </Suspense>
  );
}
