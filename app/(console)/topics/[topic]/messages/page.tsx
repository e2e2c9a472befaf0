import { topicPage } from "@/components/clusters/cluster-page";
import { MessageBrowser } from "@/components/messages/message-browser";

const page = topicPage((topic) => `Messages · ${topic}`, MessageBrowser);
export const generateMetadata = page.generateMetadata;
export default page.Page;
