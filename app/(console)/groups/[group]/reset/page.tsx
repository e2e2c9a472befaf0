import type { Metadata } from "next";
import { Suspense } from "react";
import { ResetOffsets } from "../../../../../components/groups/reset-offsets";

type Params = { params: Promise<{ group: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  return { title: `Reset offsets · ${decodeURIComponent((await params).group)}` };
}

export default async function ResetOffsetsPage({ params }: Params) {
  const groupId = decodeURIComponent((await params).group);
  return (
    <Suspense>
      <ResetOffsets groupId={groupId} />
    </Suspense>
  );
}
