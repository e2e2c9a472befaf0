"use client";
import { useSearchParams } from "next/navigation";

/** The cluster a page shows, from `?cluster=` (the embedded broker when absent), and links that keep it. */
export function useClusterParam(): { cluster: string; withCluster: (href: string) => string } {
  const params = useSearchParams();
  const cluster = params.get("cluster") || "embedded";
  const withCluster = (href: string) => {
    if (cluster === "embedded") return href;
    return `${href}${href.includes("?") ? "&" : "?"}cluster=${encodeURIComponent(cluster)}`;
  };
  return { cluster, withCluster };
}

/** Whether the signed-in user may change things (operator or admin). */
export function canOperate(role: string | undefined): boolean {
  return role === "operator" || role === "admin";
}
