import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { MessageBrowser } from "@/components/messages/message-browser";

export async function generateMetadata({ params }: { params: Promise<{ topic: string }> }): Promise<Metadata> {
  return { title: `Messages · ${decodeURIComponent((await params).topic)}` };
}

export default async function Page({ params }: { params: Promise<{ topic: string }> }) {
  return (
    <Suspense>
      <ClusterScope>
        <MessageBrowser topic={decodeURIComponent((await params).topic)} />
      </ClusterScope>
    </Suspense>
  );
}
