import { groupPage } from "@/components/clusters/cluster-page";
import { ResetOffsets } from "@/components/groups/reset-offsets";

const page = groupPage((group) => `Reset offsets · ${group}`, ResetOffsets);
export const generateMetadata = page.generateMetadata;
export default page.Page;
