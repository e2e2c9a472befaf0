"use client";
import { useEffect, useRef, useState } from "react";
import { formatCount } from "@/components/format";
import { Empty, ErrorNote } from "@/components/ui";
import type { BrowseResult, ScanProgress } from "@/server/admin/browse";
import { BrowseBar } from "./browse-bar";
import type { BrowseInput } from "./browse-url";
import { RecordsTable } from "./records-table";
import { subscriptions } from "./subscriptions";

/** A scan over the server's subscription: progress while it runs, then the page it found. */
function useScan(input: BrowseInput) {
  const [progress, setProgress] = useState<ScanProgress | null>(null);
  const [result, setResult] = useState<BrowseResult | null>(null);
  const [error, setError] = useState<{ message: string } | null>(null);
  const [running, setRunning] = useState(true);
  const [cancelled, setCancelled] = useState(false);
  const subscription = useRef<{ unsubscribe: () => void } | null>(null);
  useEffect(() => {
    const sub = subscriptions.messages.browse.subscribe(input, {
      onData: (ev) => {
        if ("progress" in ev) setProgress(ev.progress);
        else {
          setResult(ev.result);
          setRunning(false);
        }
      },
      onError: (err) => {
        setError(err);
        setRunning(false);
      },
      onComplete: () => setRunning(false),
    });
    subscription.current = sub;
    return () => sub.unsubscribe();
  }, [input]);
  const cancel = () => {
    subscription.current?.unsubscribe();
    setRunning(false);
    setCancelled(true);
  };
  return { progress, result, error, running, cancelled, cancel };
}

interface Props {
  input: BrowseInput;
  onPage: (dir: "next" | "prev", result: BrowseResult) => void;
  onRetry: () => void;
  onLive: () => void;
}

/** One search's scan and its records; mount it per search (and per retry), so each starts afresh. */
export function ScanView({ input, onPage, onRetry, onLive }: Props) {
  const { progress, result, error, running, cancelled, cancel } = useScan(input);
  const pct = progress && progress.total > 0 ? Math.min(100, (progress.scanned / progress.total) * 100) : 0;
  const atStart = !result || Object.entries(result.start).every(([p, o]) => o <= (result.logStart[p] ?? 0));
  const atEnd = !result || result.stoppedBy === "end";
  const records = result?.records ?? [];
  const filtered = Object.values(input.filters ?? {}).some(Boolean);
  const status = running ? (
    <>
      <div className="progress" role="progressbar" aria-label="Scan progress" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
        <div style={{ width: `${pct}%` }} />
      </div>
      <span className="muted">
        Scanned {formatCount(progress?.scanned ?? 0)} of {formatCount(progress?.total ?? 0)} · {progress?.matched ?? 0} match
      </span>
      <button type="button" onClick={cancel}>
        Cancel
      </button>
    </>
  ) : result ? (
    <span className="muted" data-testid="scan-summary">
      {result.records.length} record(s) · scanned {formatCount(result.scanned)}
      {result.stoppedBy === "scanLimit" ? " · stopped at the scan limit; go to the next page to scan on" : result.stoppedBy === "end" ? " · reached the end" : ""}
      {result.filterErrors > 0 ? ` · the filter failed on ${result.filterErrors} record(s): ${result.firstFilterError}` : ""}
    </span>
  ) : null;
  const paging = (dir: "next" | "prev", blocked: boolean) => (running || blocked || !result ? undefined : () => onPage(dir, result));
  return (
    <>
      <BrowseBar
        status={
          <>
            {status}
            {cancelled && !running && <span className="muted">Scan cancelled after {formatCount(progress?.scanned ?? 0)} records.</span>}
          </>
        }
        topic={input.topic}
        records={records}
        onPrevious={paging("prev", atStart)}
        onNext={paging("next", atEnd)}
        live={false}
        onToggleLive={onLive}
      />
      <ErrorNote error={error} retry={onRetry} />
      {records.length > 0 ? (
        <RecordsTable records={records} />
      ) : running || !result ? null : (
        <Empty>{filtered ? "No record matched the filters in the scanned range." : "No records in this range."}</Empty>
      )}
    </>
  );
}
