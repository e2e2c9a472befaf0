"use client";
import type { ReactNode } from "react";

/** The preview of an admin action: exactly what will change, applied only on confirmation. */
export function Confirm({ title, lines, onApply, onCancel, pending, danger }: { title: string; lines: ReactNode[]; onApply: () => void; onCancel: () => void; pending: boolean; danger?: boolean }) {
  return (
    <div className="warn-note security-confirm" role="alertdialog" aria-label={title}>
      <strong>{title}</strong>
      <ul>
        {lines.map((l, i) => (
          <li key={i}>{l}</li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className={danger ? "danger" : "primary"} onClick={onApply} disabled={pending}>
          {pending ? "Applying…" : "Apply"}
        </button>
        <button type="button" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </div>
  );
}
