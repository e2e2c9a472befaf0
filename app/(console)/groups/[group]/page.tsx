import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { GroupDetail } from "@/components/groups/group-detail";
import { groupParam } from "@/components/groups/state";

type Params = { params: Promise<{ group: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  return { title: `Group ${groupParam((await params).group)}` };
}

export default async function GroupPage({ params }: Params) {
  const groupId = groupParam((await params).group);
  return (
    <Suspense>
      <ClusterScope>
        <GroupDetail groupId={groupId} />
      </ClusterScope>
    </Suspense>
  );
}
