import { topicPage } from "@/components/clusters/cluster-page";
import { TopicPage } from "@/components/topics/topic-page";

const page = topicPage((topic) => topic, TopicPage);
export const generateMetadata = page.generateMetadata;
export default page.Page;
