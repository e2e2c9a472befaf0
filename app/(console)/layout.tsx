import type { ReactNode } from "react";
import { Nav } from "@/components/shell/nav";

export default function ConsoleLayout({ children }: { children: ReactNode }) {
  return (
    <div className="shell">
      <Nav />
      <main className="content">{children}</main>
    </div>
  );
}
