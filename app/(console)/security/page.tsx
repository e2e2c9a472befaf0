import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { SecurityPage } from "@/components/security/security-page";

export const metadata: Metadata = { title: "Security" };

export default function Security() {
  return (
    <Suspense>
      <ClusterScope>
        <SecurityPage />
      </ClusterScope>
    </Suspense>
  );
}
