"use client";
import { usePathname } from "next/navigation";
import { useState } from "react";
import "@/components/charts/charts.css";
import { ClusterLink } from "@/components/clusters/cluster-link";
import { TimeZoneToggle } from "@/components/time-zone";
import { trpc } from "@/components/trpc";

const AREAS = [
  { href: "/", label: "Dashboard" },
  { href: "/brokers", label: "Brokers" },
  { href: "/topics", label: "Topics" },
  { href: "/groups", label: "Consumer groups" },
  { href: "/transactions", label: "Transactions" },
  { href: "/flows", label: "Flows" },
  { href: "/agents", label: "Agents" },
  { href: "/clusters", label: "Clusters" },
  { href: "/security", label: "Security" },
  { href: "/audit", label: "Audit trail" },
  { href: "/users", label: "Users", admin: true },
];

/**
 * The console's navigation: a sidebar on wide screens; below 1,100 px a top bar whose menu button
 * opens the list, so pages keep the full width.
 */
export function Nav() {
  const path = usePathname();
  const [open, setOpen] = useState(false);
  const me = trpc.auth.me.useQuery();
  const logout = trpc.auth.logout.useMutation({ onSuccess: () => window.location.assign("/login") });
  return (
    <nav className={open ? "sidebar open" : "sidebar"} aria-label="Console">
      <div className="bar">
        <ClusterLink href="/" className="brand">
          Tributary
        </ClusterLink>
        <button type="button" className="nav-toggle" aria-expanded={open} aria-controls="console-areas" onClick={() => setOpen((o) => !o)}>
          {open ? "Close menu" : "Menu"}
        </button>
      </div>
      <ul id="console-areas">
        {AREAS.filter((a) => !a.admin || me.data?.role === "admin").map((a) => {
          const active = a.href === "/" ? path === "/" : path.startsWith(a.href);
          return (
            <li key={a.href}>
              <ClusterLink href={a.href} className={active ? "active" : undefined} aria-current={active ? "page" : undefined} onClick={() => setOpen(false)}>
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
        {/* Every time on every page follows this choice, so it lives with the navigation. */}
        <span className="zone-choice">
          Times in <TimeZoneToggle />
        </span>
      </div>
    </nav>
  );
}
