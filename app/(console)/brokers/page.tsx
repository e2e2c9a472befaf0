import type { Metadata } from "next";
import { BrokersPage } from "@/components/brokers/brokers-page";
import { clusterPage } from "@/components/clusters/cluster-page";

export const metadata: Metadata = { title: "Brokers" };

export default clusterPage(BrokersPage);
