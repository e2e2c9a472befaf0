"use client";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Fragment, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { BrowseResult, BrowsedRecord, ScanProgress } from "@/server/console/browse";
import { ClusterPicker, clusterHref, useCanProduce, useCluster } from "@/components/clusters/cluster-picker";
import { formatBytes, formatCount, formatTimestamp } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Empty, ErrorNote, PageHeader, Time } from "@/components/ui";
import { hexDump, prettyJson, preview, toUint8, type Bytes } from "./bytes";
import { subscriptions } from "./subscriptions";

type BrowseInput = inferRouterInputs<AppRouter>["messages"]["browse"];
type StartKind = "earliest" | "latest" | "offset" | "timestamp";

/** An ISO time as a datetime-local input wants it, in the browser's zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const FIELDS = ["p", "start", "at", "limit", "key", "hname", "hval", "text", "expr", "pos"] as const;

/** "0:10,1:5" ⇄ { "0": 10, "1": 5 }: page positions in the URL. */
function encodePositions(p: Record<string, number>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}:${v}`)
    .join(",");
}
function decodePositions(s: string): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const part of s.split(",")) {
    const [k, v] = part.split(":");
    if (!/^\d+$/.test(k ?? "") || !/^\d+$/.test(v ?? "")) return undefined;
    out[k] = Number(v);
  }
  return Object.keys(out).length ? out : undefined;
}

/** The scan the URL describes, or a message saying what in it is wrong. */
function inputFromUrl(params: URLSearchParams, cluster: string, topic: string): { input?: BrowseInput; problem?: string } {
  const partitions = params.get("p") ? params.get("p")!.split(",").filter(Boolean).map(Number) : undefined;
  if (partitions?.some((n) => !Number.isInteger(n) || n < 0)) return { problem: "Partitions: use numbers separated by commas." };
  const limit = Math.min(500, Math.max(1, Number(params.get("limit") ?? 50) || 50));
  const kind = (params.get("start") ?? "earliest") as StartKind;
  const at = params.get("at") ?? "";
  let start: BrowseInput["start"];
  const pos = params.get("pos");
  if (pos) {
    const positions = decodePositions(pos);
    if (!positions) return { problem: "The page position in the link is malformed; start a new search." };
    start = { kind: "positions", positions };
  } else if (kind === "offset") {
    if (!/^\d+$/.test(at)) return { problem: "Offset: enter a whole number." };
    start = { kind: "offset", offset: Number(at) };
  } else if (kind === "timestamp") {
    const ts = new Date(at).getTime();
    if (!at || Number.isNaN(ts)) return { problem: "Timestamp: pick a date and time." };
    start = { kind: "timestamp", timestamp: ts };
  } else start = { kind: kind === "latest" ? "latest" : "earliest" };
  const hname = params.get("hname") ?? "";
  return {
    input: {
      cluster,
      topic,
      partitions,
      start,
      limit,
      filters: {
        key: params.get("key") || undefined,
        header: hname ? { name: hname, value: params.get("hval") || undefined } : undefined,
        text: params.get("text") || undefined,
        jsonata: params.get("expr") || undefined,
      },
    },
  };
}

function recordJson(r: BrowsedRecord) {
  const val = (b: Bytes | null) => (b === null ? null : b.encoding === "utf8" ? b.data : { base64: b.data });
  return {
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: val(r.key),
    value: val(r.value),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, val(h.value)])),
  };
}

function RecordDetail({ r }: { r: BrowsedRecord }) {
  const pretty = r.value?.encoding === "utf8" ? prettyJson(r.value.data) : undefined;
  const [mode, setMode] = useState<"json" | "text" | "hex">(pretty ? "json" : r.value?.encoding === "base64" ? "hex" : "text");
  const [copied, setCopied] = useState(false);
  const shown = r.value === null ? "null" : mode === "hex" ? hexDump(toUint8(r.value)) : mode === "json" && pretty ? pretty : r.value.encoding === "utf8" ? r.value.data : hexDump(toUint8(r.value));
  return (
    <div className="record-detail">
      <div className="actions">
        <div role="tablist" aria-label="Value format" className="segmented">
          {(["json", "text", "hex"] as const).map((m) => (
            <button key={m} type="button" role="tab" aria-selected={mode === m} className={mode === m ? "on" : undefined} disabled={m === "json" && !pretty} onClick={() => setMode(m)}>
              {m === "json" ? "JSON" : m === "text" ? "Text" : "Hex"}
            </button>
          ))}
        </div>
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard.writeText(JSON.stringify(recordJson(r), null, 2)).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? "Copied" : "Copy record"}
        </button>
        <span className="muted">
          partition {r.partition} · offset {r.offset} · {formatTimestamp(r.timestamp)} · {formatBytes(r.size)}
          {r.truncated ? " · value cut for display" : ""}
        </span>
      </div>
      <pre aria-label="Record value">{shown}</pre>
      {r.headers.length > 0 && (
        <table className="data compact" aria-label="Headers">
          <thead>
            <tr>
              <th>Header</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {r.headers.map((h, i) => (
              <tr key={i}>
                <td>
                  <code>{h.key}</code>
                </td>
                <td>
                  <code>{preview(h.value, 400)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function RecordsTable({ records }: { records: BrowsedRecord[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: "partition" | "offset" | "timestamp" | "size"; dir: 1 | -1 } | null>(null);
  const rows = useMemo(() => (sort ? [...records].sort((a, b) => (a[sort.key] - b[sort.key]) * sort.dir) : records), [records, sort]);
  const th = (key: "partition" | "offset" | "timestamp" | "size", label: string, num = true) => (
    <th className={num ? "num" : undefined} aria-sort={sort?.key === key ? (sort.dir === 1 ? "ascending" : "descending") : undefined}>
      <button type="button" className="th-sort" onClick={() => setSort((s) => ({ key, dir: s?.key === key && s.dir === 1 ? -1 : 1 }))}>
        {label}
        <span aria-hidden>{sort?.key === key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );
  return (
    <table className="data records" aria-label="Records">
      <thead>
        <tr>
          {th("partition", "Partition")}
          {th("offset", "Offset")}
          {th("timestamp", "Timestamp", false)}
          <th>Key</th>
          <th>Value</th>
          {th("size", "Size")}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const id = `${r.partition}:${r.offset}`;
          return (
            <Fragment key={id}>
              <tr
                className="clickable"
                tabIndex={0}
                aria-expanded={open === id}
                onClick={() => setOpen(open === id ? null : id)}
                onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), setOpen(open === id ? null : id))}
              >
                <td className="num">{r.partition}</td>
                <td className="num">{r.offset}</td>
                <td className="nowrap">
                  <Time at={r.timestamp} />
                </td>
                <td className="key">
                  <code>{preview(r.key, 40)}</code>
                </td>
                <td className="value">
                  <code>{preview(r.value)}</code>
                </td>
                <td className="num">{formatBytes(r.size)}</td>
              </tr>
              {open === id && (
                <tr className="details">
                  <td colSpan={6}>
                    <RecordDetail r={r} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}

function download(records: BrowsedRecord[], name: string) {
  const blob = new Blob([records.map((r) => JSON.stringify(recordJson(r))).join("\n") + "\n"], { type: "application/x-ndjson" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

const LIVE_CAP = 500;

export function MessageBrowser({ topic }: { topic: string }) {
  const cluster = useCluster();
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const canProduce = useCanProduce();
  const meta = trpc.topics.get.useQuery({ cluster, topic });
  const { input, problem } = useMemo(() => inputFromUrl(params, cluster, topic), [params, cluster, topic]);
  const inputKey = JSON.stringify(input ?? null);

  const [progress, setProgress] = useState<ScanProgress | null>(null);
  const [result, setResult] = useState<BrowseResult | null>(null);
  const [error, setError] = useState<{ message: string } | null>(null);
  const [running, setRunning] = useState(false);
  const [cancelled, setCancelled] = useState(false);
  const [live, setLive] = useState<BrowsedRecord[] | null>(null);
  const [liveError, setLiveError] = useState<{ message: string } | null>(null);
  const stopScan = useRef<() => void>(() => undefined);
  const history = useRef<string[]>([]);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!input || live) return;
    setRunning(true);
    setCancelled(false);
    setError(null);
    setProgress(null);
    setResult(null);
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
    stopScan.current = () => {
      sub.unsubscribe();
      setRunning(false);
      setCancelled(true);
    };
    return () => sub.unsubscribe();
    // inputKey stands for input: a new object with the same content must not restart the scan.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [inputKey, live === null, attempt]);

  useEffect(() => {
    if (live === null || !input) return;
    setLiveError(null);
    const sub = subscriptions.messages.tail.subscribe(
      { cluster, topic, partitions: input.partitions, filters: input.filters },
      {
        onData: (ev) => setLive((prev) => [...ev.records.slice().reverse(), ...(prev ?? [])].slice(0, LIVE_CAP)),
        onError: (err) => setLiveError(err),
      },
    );
    return () => sub.unsubscribe();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live === null, inputKey]);

  const go = (next: URLSearchParams, push = false) => {
    const url = next.size ? `${path}?${next}` : path;
    if (push) router.push(url);
    else router.replace(url);
  };

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    if (cluster !== "embedded") next.set("cluster", cluster);
    for (const k of FIELDS) {
      if (k === "pos") continue;
      let v = String(f.get(k) ?? "").trim();
      // Times go into the link as UTC, so a shared link means the same instant everywhere.
      if (k === "at" && startKind === "timestamp" && v) v = new Date(v).toISOString();
      if (v) next.set(k, v);
    }
    history.current = [];
    go(next, true);
  };

  const page = (dir: "next" | "prev") => {
    if (!result) return;
    const next = new URLSearchParams(params);
    if (dir === "next") {
      history.current.push(params.get("pos") ?? "");
      next.set("pos", encodePositions(result.next));
    } else {
      const back = history.current.pop();
      if (back !== undefined) {
        if (back) next.set("pos", back);
        else next.delete("pos");
      } else {
        // Opened from a link: step back a page's worth in each partition.
        const n = Object.keys(result.start).length || 1;
        const step = Math.ceil((input?.limit ?? 50) / n);
        next.set("pos", encodePositions(Object.fromEntries(Object.entries(result.start).map(([p, o]) => [p, Math.max(result.logStart[p] ?? 0, o - step)]))));
      }
    }
    go(next);
  };

  const atStart = result ? Object.entries(result.start).every(([p, o]) => o <= (result.logStart[p] ?? 0)) : true;
  const atEnd = result ? result.stoppedBy === "end" : true;
  const kind = (params.get("start") ?? "earliest") as StartKind;
  const [startKind, setStartKind] = useState<StartKind>(kind);
  const shown = live ?? result?.records ?? [];
  const pct = progress && progress.total > 0 ? Math.min(100, (progress.scanned / progress.total) * 100) : 0;

  return (
    <>
      <PageHeader
        title={`Messages · ${topic}`}
        subtitle={
          <>
            <Link href={clusterHref("/topics", cluster)}>Topics</Link> / <Link href={clusterHref(`/topics/${encodeURIComponent(topic)}`, cluster)}>{topic}</Link> / messages
          </>
        }
        actions={
          <>
            <ClusterPicker />
            {canProduce && (
              <Link className="button" href={clusterHref(`/topics/${encodeURIComponent(topic)}/produce`, cluster)}>
                Produce
              </Link>
            )}
          </>
        }
      />
      <ErrorNote error={meta.error} retry={() => meta.refetch()} />
      <form className="browse-form card" onSubmit={submit} key={params.toString()}>
        <label>
          Partitions
          <input name="p" placeholder={meta.data ? `all (0–${meta.data.partitions.length - 1})` : "all"} defaultValue={params.get("p") ?? ""} aria-label="Partitions" />
        </label>
        <label>
          Start
          <select name="start" aria-label="Start" value={startKind} onChange={(e) => setStartKind(e.target.value as StartKind)}>
            <option value="earliest">earliest</option>
            <option value="latest">latest</option>
            <option value="offset">offset</option>
            <option value="timestamp">timestamp</option>
          </select>
        </label>
        {startKind === "offset" && (
          <label>
            Offset
            <input name="at" inputMode="numeric" aria-label="Start offset" defaultValue={kind === "offset" ? params.get("at") ?? "" : ""} required />
          </label>
        )}
        {startKind === "timestamp" && (
          <label>
            From
            <input name="at" type="datetime-local" step={1} aria-label="Start time" defaultValue={kind === "timestamp" ? toLocalInput(params.get("at") ?? "") : ""} required />
          </label>
        )}
        <label>
          Page size
          <input name="limit" type="number" min={1} max={500} aria-label="Page size" defaultValue={params.get("limit") ?? "50"} />
        </label>
        <label>
          Key
          <input name="key" aria-label="Key filter" placeholder="exact key" defaultValue={params.get("key") ?? ""} />
        </label>
        <label>
          Header
          <span className="pair">
            <input name="hname" aria-label="Header name" placeholder="name" defaultValue={params.get("hname") ?? ""} />
            <input name="hval" aria-label="Header value" placeholder="value (any)" defaultValue={params.get("hval") ?? ""} />
          </span>
        </label>
        <label>
          Value contains
          <input name="text" aria-label="Value contains" placeholder="text" defaultValue={params.get("text") ?? ""} />
        </label>
        <label className="wide">
          JSONata on the value
          <input name="expr" aria-label="JSONata filter" placeholder='e.g. amount > 100 and status = "paid"' defaultValue={params.get("expr") ?? ""} />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Search
          </button>
        </div>
      </form>

      <div className="browse-bar">
        {running ? (
          <>
            <div className="progress" role="progressbar" aria-label="Scan progress" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
              <div style={{ width: `${pct}%` }} />
            </div>
            <span className="muted">
              Scanned {formatCount(progress?.scanned ?? 0)} of {formatCount(progress?.total ?? 0)} · {progress?.matched ?? 0} match
            </span>
            <button type="button" onClick={() => stopScan.current()}>
              Cancel
            </button>
          </>
        ) : live ? (
          <span className="muted">
            <span className="live-dot" aria-hidden /> Following new records{live.length ? ` · ${live.length} so far` : "…"}
          </span>
        ) : result ? (
          <span className="muted" data-testid="scan-summary">
            {result.records.length} record(s) · scanned {formatCount(result.scanned)}
            {result.stoppedBy === "scanLimit" ? " · stopped at the scan limit; go to the next page to scan on" : result.stoppedBy === "end" ? " · reached the end" : ""}
            {result.filterErrors > 0 ? ` · the filter failed on ${result.filterErrors} record(s): ${result.firstFilterError}` : ""}
          </span>
        ) : null}
        {cancelled && !running && <span className="muted">Scan cancelled after {formatCount(progress?.scanned ?? 0)} records.</span>}
        <span className="spacer" />
        <button type="button" onClick={() => page("prev")} disabled={running || Boolean(live) || atStart}>
          ← Previous
        </button>
        <button type="button" onClick={() => page("next")} disabled={running || Boolean(live) || atEnd}>
          Next →
        </button>
        <button type="button" disabled={shown.length === 0} onClick={() => download(shown, `${topic}-${Date.now()}.jsonl`)}>
          Download JSON lines
        </button>
        <button type="button" className={live ? "primary" : undefined} aria-pressed={Boolean(live)} onClick={() => setLive(live ? null : [])} disabled={!input}>
          {live ? "Stop live tail" : "Live tail"}
        </button>
      </div>
      {problem && <ErrorNote error={{ message: problem }} />}
      <ErrorNote error={live ? liveError : error} retry={live ? undefined : () => setAttempt((n) => n + 1)} />
      {shown.length > 0 ? (
        <RecordsTable key={live ? "live" : inputKey} records={shown} />
      ) : running ? null : live ? (
        <Empty>Waiting for new records…</Empty>
      ) : result ? (
        <Empty>{input?.filters && Object.values(input.filters).some(Boolean) ? "No record matched the filters in the scanned range." : "No records in this range."}</Empty>
      ) : null}
    </>
  );
}
