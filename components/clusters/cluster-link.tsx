"use client";
import Link from "next/link";
import { Suspense, type ComponentProps } from "react";
import { clusterHref, useCluster } from "./cluster-picker";

type Props = Omit<ComponentProps<typeof Link>, "href"> & { href: string };

function KeepingCluster({ href, ...rest }: Props) {
  return <Link href={clusterHref(href, useCluster())} {...rest} />;
}

/**
 * A link that keeps the picked cluster (`?cluster=`), for links outside any one page: following
 * the navigation must not land on another cluster before a reset or a delete.
 */
export function ClusterLink(props: Props) {
  // Reading the URL's query suspends while a page renders statically; the plain link stands in.
  return (
    <Suspense fallback={<Link {...props} />}>
      <KeepingCluster {...props} />
    </Suspense>
  );
}
