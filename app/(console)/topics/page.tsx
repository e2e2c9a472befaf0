import type { Metadata } from "next";
import { clusterPage } from "@/components/clusters/cluster-page";
import { TopicsPage } from "@/components/topics/topics-page";

export const metadata: Metadata = { title: "Topics" };

export default clusterPage(TopicsPage);
