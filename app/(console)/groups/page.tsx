import type { Metadata } from "next";
import { clusterPage } from "@/components/clusters/cluster-page";
import { GroupList } from "@/components/groups/group-list";

export const metadata: Metadata = { title: "Consumer groups" };

export default clusterPage(GroupList);
