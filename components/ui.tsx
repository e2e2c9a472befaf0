"use client";
import { useMemo, useState, type ReactNode } from "react";
import { formatTimestamp, timeAgo } from "./format";
import { useTimeZone } from "./time-zone";

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1 title={title}>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  );
}

export function Card({ title, children, className }: { title?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ""}`}>
      {title && <h2>{title}</h2>}
      {children}
    </section>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden /> {label}
    </div>
  );
}

/**
 * Answers the same request would get again (bad input, no permission, not found, a conflict):
 * offering "Try again" on them would only repeat the failure.
 */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 409, 412, 413, 415, 422]);

type ShownError = { message: string; data?: { httpStatus?: number } | null };

/** An error a user can act on: what went wrong, and a retry when the caller offers one and it can help. */
export function ErrorNote({ error, retry }: { error: ShownError | null | undefined; retry?: () => void }) {
  if (!error) return null;
  const retryable = !PERMANENT_STATUSES.has(error.data?.httpStatus ?? 0);
  return (
    <div className="error-note" role="alert">
      <span>{error.message}</span>
      {retry && retryable && (
        <button type="button" className="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A select's options for a list of names, each shown as it is sent. */
export function Options({ values }: { values: readonly string[] }) {
  return values.map((v) => (
    <option key={v} value={v}>
      {v}
    </option>
  ));
}

/** The part of a console query a page shows: its error with a retry, a spinner while it loads, then what its data renders. */
export function QueryView<T>({ query, loading, children }: { query: { data: T | undefined; error: ShownError | null; isPending: boolean; refetch: () => unknown }; loading?: string; children: (data: T) => ReactNode }) {
  return (
    <>
      <ErrorNote error={query.error} retry={() => void query.refetch()} />
      {query.isPending ? <Loading label={loading} /> : query.data !== undefined && children(query.data)}
    </>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** A relative time with the exact time, in the chosen zone, on hover. */
export function Time({ at }: { at: string | number | Date }) {
  const zone = useTimeZone();
  return (
    <time dateTime={new Date(at).toISOString()} title={formatTimestamp(at, zone)}>
      {timeAgo(at)}
    </time>
  );
}

export function StatusDot({ ok, label }: { ok: boolean; label: string }) {
  return (
    <span className={`status ${ok ? "ok" : "bad"}`}>
      <span className="dot" aria-hidden /> {label}
    </span>
  );
}

export interface Column<T> {
  key: string;
  header: string;
  render: (row: T) => ReactNode;
  /** The value sorted on; columns without one are not sortable. */
  sort?: (row: T) => string | number;
  align?: "right";
  /** What the column means, shown on hovering its header, for values a name alone would leave unclear. */
  title?: string;
  /** A class for one row's cell, for values whose colour carries meaning (an error, a rewind). */
  cellClass?: (row: T) => string | undefined;
}

/** A table whose sortable headers are buttons, so sorting works from the keyboard too. */
export function DataTable<T>({ rows, columns, rowKey, empty, label, variant, footer }: { rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string | number; empty?: ReactNode; label?: string; variant?: "compact"; footer?: ReactNode }) {
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const sorted = useMemo(() => {
    const col = sort && columns.find((c) => c.key === sort.key);
    if (!col?.sort) return rows;
    const by = col.sort;
    return [...rows].sort((a, b) => {
      const x = by(a);
      const y = by(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sort!.dir;
    });
  }, [rows, columns, sort]);
  if (rows.length === 0 && empty) return <Empty>{empty}</Empty>;
  return (
    <table className={variant ? `data ${variant}` : "data"} aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} className={c.align === "right" ? "num" : undefined} title={c.title} aria-sort={sort?.key === c.key ? (sort.dir === 1 ? "ascending" : "descending") : undefined}>
              {c.sort ? (
                <button type="button" className="th-sort" onClick={() => setSort((s) => ({ key: c.key, dir: s?.key === c.key && s.dir === 1 ? -1 : 1 }))}>
                  {c.header}
                  <span aria-hidden>{sort?.key === c.key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}</span>
                </button>
              ) : (
                c.header
              )}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => (
          <tr key={rowKey(r)}>
            {columns.map((c) => (
              <td key={c.key} className={[c.align === "right" ? "num" : "", c.cellClass?.(r) ?? ""].join(" ").trim() || undefined}>
                {c.render(r)}
              </td>
            ))}
          </tr>
        ))}
        {footer}
      </tbody>
    </table>
  );
}
