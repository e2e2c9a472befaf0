"use client";
import { useState, type ReactNode } from "react";
import { ErrorNote } from "@/components/ui";

/** The confirm-then-apply step every previewed admin action shares: only `role` may apply, the others see why not. */
export function Apply({ allowed, role, what, question, confirmLabel, applyLabel = "Apply", pendingLabel = "Applying…", pending, disabled, onApply, done, error }: { allowed: boolean; role: string; what: string; question: string; confirmLabel: string; applyLabel?: string; pendingLabel?: string; pending: boolean; disabled: boolean; onApply: () => void; done: ReactNode; error: Parameters<typeof ErrorNote>[0]["error"] }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      {!allowed ? (
        <p className="muted">
          {what} needs the {role} role; you can preview only.
        </p>
      ) : done ? (
        done
      ) : confirming ? (
        <div className="reset-actions">
          <strong>{question}</strong>
          <button type="button" className="danger" onClick={onApply} disabled={pending}>
            {pending ? pendingLabel : confirmLabel}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="reset-actions">
          <button type="button" className="primary" disabled={disabled} onClick={() => setConfirming(true)}>
            {applyLabel}
          </button>
        </div>
      )}
      <ErrorNote error={error} />
    </>
  );
}
