"use client";
import { useEffect, useRef, useState } from "react";
import { Empty, ErrorNote } from "@/components/ui";
import type { BrowsedRecord } from "@/server/admin/browse";
import { BrowseBar } from "./browse-bar";
import type { BrowseInput } from "./browse-url";
import { RecordsTable } from "./records-table";
import { subscriptions } from "./subscriptions";

/** At most this many tailed records are kept, newest first. */
const LIVE_CAP = 500;

/** New records as they arrive, filtered like the search; mount it per search so each tail starts empty. */
export function LiveTail({ input, onStop }: { input: BrowseInput; onStop: () => void }) {
  const [records, setRecords] = useState<BrowsedRecord[]>([]);
  // Paused, arrivals wait here (as bounded as the table) so the table holds still to be read.
  const [pending, setPending] = useState<BrowsedRecord[]>([]);
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  const [error, setError] = useState<{ message: string } | null>(null);
  useEffect(() => {
    const { cluster, topic, partitions, filters, isolation } = input;
    const sub = subscriptions.messages.tail.subscribe(
      { cluster, topic, partitions, filters, isolation },
      {
        onData: (ev) => {
          const add = (prev: BrowsedRecord[]) => [...ev.records.slice().reverse(), ...prev].slice(0, LIVE_CAP);
          if (pausedRef.current) setPending(add);
          else setRecords(add);
        },
        onError: (err) => setError(err),
      },
    );
    return () => sub.unsubscribe();
  }, [input]);
  const togglePause = () => {
    pausedRef.current = !paused;
    if (paused) {
      setRecords((prev) => [...pending, ...prev].slice(0, LIVE_CAP));
      setPending([]);
    }
    setPaused(!paused);
  };
  const status = paused ? (
    <span className="muted">
      Paused · {pending.length}
      {pending.length === LIVE_CAP ? "+" : ""} new {pending.length === 1 ? "record" : "records"} waiting
    </span>
  ) : (
    <span className="muted">
      <span className="live-dot" aria-hidden /> Following new records{records.length ? ` · ${records.length} so far` : "…"}
    </span>
  );
  return (
    <>
      <BrowseBar status={status} topic={input.topic} records={records} live onToggleLive={onStop} paused={{ on: paused, toggle: togglePause }} />
      <ErrorNote error={error} />
      {records.length > 0 ? <RecordsTable records={records} /> : <Empty>Waiting for new records…</Empty>}
    </>
  );
}
