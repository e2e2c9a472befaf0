import type { Metadata } from "next";
import { Suspense, type ComponentType, type ReactNode } from "react";
import { groupParam } from "@/components/groups/state";
import { ClusterScope } from "./cluster-scope";

/**
 * What every page about the picked cluster wraps its content in: Suspense because the cluster is a
 * search parameter (useSearchParams needs a boundary to prerender), then the unknown-cluster guard.
 */
function Scoped({ children }: { children: ReactNode }) {
  return (
    <Suspense>
      <ClusterScope>{children}</ClusterScope>
    </Suspense>
  );
}

/** The default export of a page about the picked cluster as a whole (dashboard, topics, groups...). */
export function clusterPage(Content: ComponentType): () => ReactNode {
  return function ClusterPage() {
    return (
      <Scoped>
        <Content />
      </Scoped>
    );
  };
}

type RouteParams<K extends string> = { params: Promise<Record<K, string>> };

/**
 * A page about one named thing on the picked cluster (a topic, a group): the route segment `param`,
 * decoded, names it in the title and is handed to the content; the page exports both members.
 */
function clusterItemPage<K extends string>(
  param: K,
  decode: (segment: string) => string,
  title: (name: string) => string,
  content: (name: string) => ReactNode,
): { generateMetadata: (route: RouteParams<K>) => Promise<Metadata>; Page: (route: RouteParams<K>) => Promise<ReactNode> } {
  const name = async ({ params }: RouteParams<K>) => decode((await params)[param]);
  return {
    generateMetadata: async (route) => ({ title: title(await name(route)) }),
    Page: async function ClusterItemPage(route) {
      return <Scoped>{content(await name(route))}</Scoped>;
    },
  };
}

/** A page about one topic, named by the `[topic]` segment. */
export function topicPage(title: (topic: string) => string, Content: ComponentType<{ topic: string }>) {
  return clusterItemPage("topic", decodeURIComponent, title, (topic) => <Content topic={topic} />);
}

/** A page about one consumer group, named by the `[group]` segment. */
export function groupPage(title: (group: string) => string, Content: ComponentType<{ groupId: string }>) {
  return clusterItemPage("group", groupParam, title, (group) => <Content groupId={group} />);
}
