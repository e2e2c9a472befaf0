import { groupPage } from "@/components/clusters/cluster-page";
import { GroupDetail } from "@/components/groups/group-detail";

const page = groupPage((group) => `Group ${group}`, GroupDetail);
export const generateMetadata = page.generateMetadata;
export default page.Page;
