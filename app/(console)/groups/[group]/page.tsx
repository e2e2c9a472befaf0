import type { Metadata } from "next";
import { Suspense } from "react";
import { GroupDetail } from "../../../../components/groups/group-detail";

type Params = { params: Promise<{ group: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  return { title: `Group ${decodeURIComponent((await params).group)}` };
}

export default async function GroupPage({ params }: Params) {
  const groupId = decodeURIComponent((await params).group);
  return (
    <Suspense>
      <GroupDetail groupId={groupId} />
    </Suspense>
  );
}
