import type { Metadata } from "next";
import { clusterPage } from "@/components/clusters/cluster-page";
import { Dashboard } from "@/components/dashboard/dashboard";

export const metadata: Metadata = { title: "Dashboard" };

export default clusterPage(Dashboard);
