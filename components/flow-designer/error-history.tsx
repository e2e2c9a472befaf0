"use client";
import { Timestamp } from "@/components/time-zone";

/** A component's past error, as the agent reports it; `where` names the agent (and component) it came from. */
export interface HistoryEntry {
  where: string;
  message: string;
  firstAt: number;
  lastAt: number;
  count: number;
}

/**
 * Errors a component had, newest first, closed by default: a component that recovered shows
 * healthy, and what went wrong stays one click away.
 */
export function ErrorHistory({ entries }: { entries: HistoryEntry[] }) {
  if (entries.length === 0) return null;
  const newest = [...entries].sort((a, b) => b.lastAt - a.lastAt);
  return (
    <details className="error-history" data-testid="error-history">
      <summary>
        Error history ({entries.length})
      </summary>
      <ul>
        {newest.map((e) => (
          <li key={`${e.where}:${e.firstAt}:${e.message}`}>
            <Timestamp at={e.lastAt} /> <strong>{e.where}</strong>: {e.message}
            {e.count > 1 && <span className="muted"> ({e.count} times since <Timestamp at={e.firstAt} />)</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}
