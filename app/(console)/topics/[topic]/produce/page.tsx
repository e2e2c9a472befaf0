import { topicPage } from "@/components/clusters/cluster-page";
import { ProducePage } from "@/components/messages/produce-page";

const page = topicPage((topic) => `Produce · ${topic}`, ProducePage);
export const generateMetadata = page.generateMetadata;
export default page.Page;
