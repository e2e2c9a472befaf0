import type { Metadata } from "next";
import { clusterPage } from "@/components/clusters/cluster-page";
import { TransactionList } from "@/components/transactions/transaction-list";

export const metadata: Metadata = { title: "Transactions" };

export default clusterPage(TransactionList);
