"use client";
import { useState } from "react";
import { TimeChart } from "@/components/charts/time-chart";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { ErrorNote } from "@/components/ui";
import { plural } from "./component-node";
import { ErrorHistory } from "./error-history";
import { fillLevel, type NodeLive, type RatePoint } from "./live";

/** Where a tap looks: a channel, and whether at what goes into it or what its sinks take out. */
export interface Tap {
  flowId: number;
  channel: string;
  side: "put" | "take";
}

/** A running component's numbers, its rate chart and its recent errors. */
export function LiveDetails({ live, chart }: { live: NodeLive; chart: RatePoint[] }) {
  return (
    <div className="live-details">
      <h3>Live</h3>
      <dl className="live-stats">
        <dt>In</dt>
        <dd>{formatCount(Math.round(live.inRate * 10) / 10)}/s</dd>
        <dt>Out</dt>
        <dd>{formatCount(Math.round(live.outRate * 10) / 10)}/s</dd>
        <dt>Total</dt>
        <dd>{formatCount(live.total)}</dd>
        {live.fill !== null && (
          <>
            <dt>Fill</dt>
            <dd className={`fill-text fill-${fillLevel(live.fill)}`}>{live.fill.toFixed(1)} %</dd>
          </>
        )}
        <dt>State</dt>
        <dd>{live.state ?? "–"}</dd>
      </dl>
      <div className="live-chart">
        <TimeChart label="events per second" data={chart} height={140} format={(v) => `${formatCount(v)}/s`} lines={[{ key: "in", label: "in", color: "#1f6feb" }, { key: "out", label: "out", color: "#1a7f37" }]} />
      </div>
      <h4>Errors now</h4>
      {live.errors.length === 0 ? (
        <p className="muted">None{live.history.length ? ": it recovered." : "."}</p>
      ) : (
        <ul className="issue-list">
          {live.errors.map((e) => (
            <li key={`${e.agent}:${e.message}`} className="error-text">
              {e.agent}: {e.message}
            </li>
          ))}
        </ul>
      )}
      <ErrorHistory entries={live.history} />
    </div>
  );
}

/** Opt-in sample of the latest events through the node: opened on demand, bounded, closed when done. */
export function TapView({ flowId, channel, side, canOpen }: Tap & { canOpen: boolean }) {
  const [open, setOpen] = useState(false);
  const input = { flowId, channel, side };
  const start = trpc.flows.tapOpen.useMutation({ onSuccess: () => setOpen(true) });
  const stop = trpc.flows.tapClose.useMutation({ onSuccess: () => setOpen(false) });
  const read = trpc.flows.tapRead.useQuery(input, { enabled: open, refetchInterval: 1000 });
  const data = read.data ?? start.data;
  return (
    <div className="tap" data-testid="tap">
      <h4>Tap</h4>
      <p className="muted small">
        The latest events {side === "put" ? `committed into channel ${channel}` : `taken from channel ${channel} and delivered`}, at most 25, bodies cut at 1 KiB. It closes itself a minute after you stop watching.
      </p>
      <ErrorNote error={start.error ?? stop.error ?? read.error} />
      {!open ? (
        <button type="button" disabled={!canOpen || start.isPending} title={canOpen ? undefined : "Operators and admins open taps"} onClick={() => start.mutate(input)}>
          Tap events
        </button>
      ) : (
        <>
          <button type="button" disabled={stop.isPending} onClick={() => stop.mutate(input)}>
            Close tap
          </button>
          <p className="small">{plural(data?.seen ?? 0, "event")} since the tap opened</p>
          {data && data.events.length === 0 ? (
            <p className="muted">Waiting for events…</p>
          ) : (
            <ol className="tap-events">
              {data?.events.map((e, i) => (
                <li key={`${e.at}-${i}`}>
                  <code>{e.body}{e.truncated ? "…" : ""}</code>
                  {Object.keys(e.headers).length > 0 && <small className="muted"> {Object.entries(e.headers).map(([k, v]) => `${k}=${v}`).join(" ")}</small>}
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </div>
  );
}
