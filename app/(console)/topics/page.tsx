import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { TopicsPage } from "@/components/topics/topics-page";

export const metadata: Metadata = { title: "Topics" };

export default function Page() {
  return (
    <Suspense>
      <ClusterScope>
        <TopicsPage />
      </ClusterScope>
    </Suspense>
  );
}
