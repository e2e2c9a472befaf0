import type { Metadata } from "next";
import { clusterPage } from "@/components/clusters/cluster-page";
import { SecurityPage } from "@/components/security/security-page";

export const metadata: Metadata = { title: "Security" };

export default clusterPage(SecurityPage);
