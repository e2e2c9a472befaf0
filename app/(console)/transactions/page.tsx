import type { Metadata } from "next";
import { Suspense } from "react";
import { ClusterScope } from "@/components/clusters/cluster-scope";
import { TransactionList } from "@/components/transactions/transaction-list";

export const metadata: Metadata = { title: "Transactions" };

export default function TransactionsPage() {
  return (
    <Suspense>
      <ClusterScope>
        <TransactionList />
      </ClusterScope>
    </Suspense>
  );
}
