import type { Metadata } from "next";
import { Suspense } from "react";
import { BrokersPage } from "@/components/brokers/brokers-page";
import { ClusterScope } from "@/components/clusters/cluster-scope";

export const metadata: Metadata = { title: "Brokers" };

export default function Brokers() {
  return (
    <Suspense>
      <ClusterScope>
        <BrokersPage />
      </ClusterScope>
    </Suspense>
  );
}
