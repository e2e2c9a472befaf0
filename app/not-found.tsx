import type { Metadata } from "next";
import Link from "next/link";
import { Nav } from "@/components/shell/nav";

export const metadata: Metadata = { title: "Not found" };

/** Any URL the console has no page for: the navigation stays, so the way back is one click. */
export default function NotFound() {
  return (
    <div className="shell">
      <Nav />
      <main className="content">
        <div className="card not-found">
          <p className="muted">404</p>
          <h1>There is no page here</h1>
          <p>The address may be mistyped, or what it pointed to (a topic, group or flow) was deleted.</p>
          <p>
            <Link href="/" className="button">
              Go to the dashboard
            </Link>
          </p>
        </div>
      </main>
    </div>
  );
}
