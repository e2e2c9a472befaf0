"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Fragment, useState, type FormEvent } from "react";
import { formText } from "./form-text";
import { formatTimestamp } from "./format";
import { JsonTree } from "./messages/json-tree";
import { trpc } from "./trpc";
import { Empty, ErrorNote, Loading, PageHeader, Time } from "./ui";

const OUTCOMES = ["ok", "denied", "error"] as const;
type Outcome = (typeof OUTCOMES)[number];
const FILTERS = ["actor", "action", "target", "outcome"] as const;

/** Filters live in the query string so a filtered trail can be shared as a link. */
export function AuditTrail() {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const filter = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Record<(typeof FILTERS)[number], string>;
  const query = trpc.audit.list.useInfiniteQuery(
    {
      limit: 50,
      actor: filter.actor || undefined,
      action: filter.action || undefined,
      target: filter.target || undefined,
      outcome: OUTCOMES.includes(filter.outcome as Outcome) ? (filter.outcome as Outcome) : undefined,
    },
    { getNextPageParam: (last) => last.nextCursor ?? undefined },
  );
  const [open, setOpen] = useState<number | null>(null);

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const v = formText(form, f).trim();
      if (v) next.set(f, v);
    }
    router.replace(next.size ? `${path}?${next}` : path);
  };

  const rows = query.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Audit trail" subtitle="Every change made through the console or the API: who, what, when, and whether it worked." />
      <form className="filters" onSubmit={apply} key={params.toString()}>
        <input name="actor" placeholder="Actor (exact)" defaultValue={filter.actor} aria-label="Actor" />
        <input name="action" placeholder="Action contains…" defaultValue={filter.action} aria-label="Action" />
        <input name="target" placeholder="Target contains…" defaultValue={filter.target} aria-label="Target" />
        <select name="outcome" defaultValue={filter.outcome} aria-label="Outcome">
          <option value="">Any outcome</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={query.error} retry={() => void query.refetch()} />
      {query.isPending ? (
        <Loading label="Loading the audit trail…" />
      ) : rows.length === 0 ? (
        <Empty>No audit events match these filters.</Empty>
      ) : (
        <table className="data audit">
          <thead>
            <tr>
              <th>When</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>Outcome</th>
              <th>Client</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <Fragment key={r.id}>
                <tr className="clickable" onClick={() => setOpen(open === r.id ? null : r.id)} aria-expanded={open === r.id}>
                  <td>
                    <Time at={r.at} />
                  </td>
                  <td>{r.actor}</td>
                  <td>
                    <code>{r.action}</code>
                  </td>
                  <td>{r.target ? `${r.targetKind ?? ""} ${r.target}` : "–"}</td>
                  <td>
                    <span className={`badge ${r.outcome}`}>{r.outcome}</span>
                  </td>
                  <td className="muted">{r.clientAddress ?? "–"}</td>
                </tr>
                {open === r.id && (
                  <tr className="details">
                    <td colSpan={6}>
                      <p className="muted">
                        {formatTimestamp(r.at)} · request {r.requestId}
                      </p>
                      <JsonTree value={r.details} label="Event details" />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : "Load older events"}
        </button>
      )}
    </>
  );
}
