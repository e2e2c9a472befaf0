"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { ClusterLink } from "@/components/clusters/cluster-link";
import { trpc } from "@/components/trpc";

const AREAS = [
  { href: "/", label: "Dashboard" },
  { href: "/topics", label: "Topics" },
  { href: "/groups", label: "Consumer groups" },
  { href: "/flows", label: "Flows" },
  { href: "/agents", label: "Agents" },
  { href: "/clusters", label: "Clusters" },
  { href: "/audit", label: "Audit trail" },
  { href: "/users", label: "Users", admin: true },
];

export function Nav() {
  const path = usePathname();
  const me = trpc.auth.me.useQuery();
  const logout = trpc.auth.logout.useMutation({ onSuccess: () => window.location.assign("/login") });
  return (
    <nav className="sidebar" aria-label="Console">
      <Link href="/" className="brand">
        Tributary
      </Link>
      <ul>
        {AREAS.filter((a) => !a.admin || me.data?.role === "admin").map((a) => {
          const active = a.href === "/" ? path === "/" : path.startsWith(a.href);
          return (
            <li key={a.href}>
              <ClusterLink href={a.href} className={active ? "active" : undefined} aria-current={active ? "page" : undefined}>
                {a.label}
              </ClusterLink>
            </li>
          );
        })}
      </ul>
      <div className="me">
        {me.data && (
          <>
            <span title={`role: ${me.data.role}`}>
              {me.data.username} <small className="muted">({me.data.role})</small>
            </span>
            <button type="button" className="link" onClick={() => logout.mutate()} disabled={logout.isPending}>
              Sign out
            </button>
          </>
        )}
      </div>
    </nav>
  );
}
