"use client";
import { useSyncExternalStore } from "react";
import { formatTimestamp, timeAgo, type TimeZone } from "./format";

const KEY = "tributary.timeZone";
const EVENT = "tributary-time-zone";

function subscribe(onChange: () => void): () => void {
  window.addEventListener(EVENT, onChange);
  window.addEventListener("storage", onChange);
  return () => {
    window.removeEventListener(EVENT, onChange);
    window.removeEventListener("storage", onChange);
  };
}

const read = (): TimeZone => (window.localStorage.getItem(KEY) === "utc" ? "utc" : "local");

/** The zone every time in the console shows in; the choice is the browser's, kept across pages and visits. */
export function useTimeZone(): TimeZone {
  return useSyncExternalStore(subscribe, read, () => "local");
}

function setTimeZone(zone: TimeZone) {
  window.localStorage.setItem(KEY, zone);
  window.dispatchEvent(new Event(EVENT));
}

/** Switches every time on the page between local time and UTC. */
export function TimeZoneToggle() {
  const zone = useTimeZone();
  return (
    <span className="segmented" role="group" aria-label="Time zone">
      <button type="button" className={zone === "local" ? "on" : undefined} aria-pressed={zone === "local"} onClick={() => setTimeZone("local")}>
        Local
      </button>
      <button type="button" className={zone === "utc" ? "on" : undefined} aria-pressed={zone === "utc"} onClick={() => setTimeZone("utc")}>
        UTC
      </button>
    </span>
  );
}

/** A record's time: exact, in the chosen zone, and how long ago. */
export function Timestamp({ at }: { at: number }) {
  const zone = useTimeZone();
  return (
    <time dateTime={new Date(at).toISOString()} className="timestamp">
      {formatTimestamp(at, zone)} <small className="muted">{timeAgo(at)}</small>
    </time>
  );
}
