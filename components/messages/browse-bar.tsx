"use client";
import type { ReactNode } from "react";
import type { BrowsedRecord } from "@/server/admin/browse";
import { downloadRecords } from "./record-json";

interface Props {
  /** What the scan or the tail is doing, on the left. */
  status: ReactNode;
  topic: string;
  records: BrowsedRecord[];
  /** Absent where there is no page in that direction (or no paging at all, as in a live tail). */
  onPrevious?: () => void;
  onNext?: () => void;
  live: boolean;
  /** Absent while the search in the link is malformed. */
  onToggleLive?: () => void;
  /** A live tail's pause switch: records keep arriving but the table holds still. */
  paused?: { on: boolean; toggle: () => void };
}

/** The bar above the records: status, paging, download, and the live tail switch. */
export function BrowseBar({ status, topic, records, onPrevious, onNext, live, onToggleLive, paused }: Props) {
  return (
    <div className="browse-bar">
      {status}
      <span className="spacer" />
      <button type="button" onClick={onPrevious} disabled={!onPrevious}>
        ← Previous
      </button>
      <button type="button" onClick={onNext} disabled={!onNext}>
        Next →
      </button>
      <button type="button" disabled={records.length === 0} onClick={() => downloadRecords(records, `${topic}-${Date.now()}.jsonl`)}>
        Download JSON lines
      </button>
      {paused && (
        <button type="button" aria-pressed={paused.on} onClick={paused.toggle}>
          {paused.on ? "Resume" : "Pause"}
        </button>
      )}
      <button type="button" className={live ? "primary" : undefined} aria-pressed={live} onClick={onToggleLive} disabled={!onToggleLive}>
        {live ? "Stop live tail" : "Live tail"}
      </button>
    </div>
  );
}
