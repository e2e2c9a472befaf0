import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditTrail } from "@/components/audit-trail";

export const metadata: Metadata = { title: "Audit trail" };

export default function AuditPage() {
  return (
    <Suspense>
      <AuditTrail />
    </Suspense>
  );
}
