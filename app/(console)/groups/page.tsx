import type { Metadata } from "next";
import { Suspense } from "react";
import { GroupList } from "@/components/groups/group-list";

export const metadata: Metadata = { title: "Consumer groups" };

export default function GroupsPage() {
  return (
    <Suspense>
      <GroupList />
    </Suspense>
  );
}
