import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { ResetOffsets } from "@/components/groups/reset-offsets";
import { groupParam } from "@/components/groups/state";

type Params = { params: Promise<{ group: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  return { title: `Reset offsets · ${groupParam((await params).group)}` };
}

export default async function ResetOffsetsPage({ params }: Params) {
  const groupId = groupParam((await params).group);
  return (
    <Suspense>
      <ClusterScope>
        <ResetOffsets groupId={groupId} />
      </ClusterScope>
    </Suspense>
  );
}
