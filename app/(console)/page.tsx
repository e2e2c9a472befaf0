import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { Dashboard } from "@/components/dashboard/dashboard";

export const metadata: Metadata = { title: "Dashboard" };

export default function DashboardPage() {
  return (
    <Suspense>
      <ClusterScope>
        <Dashboard />
      </ClusterScope>
    </Suspense>
  );
}
