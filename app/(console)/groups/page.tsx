import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { GroupList } from "@/components/groups/group-list";

export const metadata: Metadata = { title: "Consumer groups" };

export default function GroupsPage() {
  return (
    <Suspense>
      <ClusterScope>
        <GroupList />
      </ClusterScope>
    </Suspense>
  );
}
