"use client";
import { useEffect, useState } from "react";
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
  const [error, setError] = useState<{ message: string } | null>(null);
  useEffect(() => {
    const { cluster, topic, partitions, filters } = input;
    const sub = subscriptions.messages.tail.subscribe(
      { cluster, topic, partitions, filters },
      {
        onData: (ev) => setRecords((prev) => [...ev.records.slice().reverse(), ...prev].slice(0, LIVE_CAP)),
        onError: (err) => setError(err),
      },
    );
    return () => sub.unsubscribe();
  }, [input]);
  const status = (
    <span className="muted">
      <span className="live-dot" aria-hidden /> Following new records{records.length ? ` · ${records.length} so far` : "…"}
    </span>
  );
  return (
    <>
      <BrowseBar status={status} topic={input.topic} records={records} live onToggleLive={onStop} />
      <ErrorNote error={error} />
      {records.length > 0 ? <RecordsTable records={records} /> : <Empty>Waiting for new records…</Empty>}
    </>
  );
}
