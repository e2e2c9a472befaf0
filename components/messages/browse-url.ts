import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

/**
 * The message browser's state lives in its URL, so a search can be shared and reloaded: these
 * turn the query string into a scan request and back. Pure, so tests run them without a browser.
 */
export type BrowseInput = inferRouterInputs<AppRouter>["messages"]["browse"];
export type StartKind = "earliest" | "latest" | "offset" | "timestamp";

/** The query-string fields the search form writes. */
export const FIELDS = ["p", "start", "at", "limit", "iso", "key", "hname", "hval", "text", "expr"] as const;
/** Where each partition's page starts: written by paging, dropped by a new search. */
export const POSITION = "pos";

export const startKindOf = (params: URLSearchParams): StartKind => (params.get("start") ?? "earliest") as StartKind;

/** `iso=uncommitted` reads to the high watermark, open and aborted transactions included; anything else is read_committed. */
export const isolationOf = (params: URLSearchParams): BrowseInput["isolation"] => (params.get("iso") === "uncommitted" ? "read_uncommitted" : "read_committed");

/** A time in the link: epoch milliseconds (as Kafka timestamps are) or an ISO-8601 time. */
export function timeOf(at: string): number {
  return /^\d+$/.test(at) ? Number(at) : new Date(at).getTime();
}

/** The quick ranges: where "last 15 min" or "today" starts, as epoch milliseconds. */
export const QUICK_RANGES = [
  { label: "Last 15 min", since: (now: number) => now - 15 * 60_000 },
  { label: "Last hour", since: (now: number) => now - 3_600_000 },
  { label: "Last 24 h", since: (now: number) => now - 86_400_000 },
  { label: "Today", since: (now: number) => new Date(now).setHours(0, 0, 0, 0) },
] as const;

/** A link's time as a datetime-local input wants it, in the browser's zone. */
export function toLocalInput(at: string): string {
  const d = new Date(timeOf(at));
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "0:10,1:5" ⇄ { "0": 10, "1": 5 }: page positions in the URL. */
export function encodePositions(p: Record<string, number>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}:${v}`)
    .join(",");
}

export function decodePositions(s: string): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const part of s.split(",")) {
    const [k, v] = part.split(":");
    if (!/^\d+$/.test(k ?? "") || !/^\d+$/.test(v ?? "")) return undefined;
    out[k] = Number(v);
  }
  return Object.keys(out).length ? out : undefined;
}

function startOf(params: URLSearchParams): BrowseInput["start"] | string {
  const pos = params.get(POSITION);
  const kind = startKindOf(params);
  const at = params.get("at") ?? "";
  if (pos) {
    const positions = decodePositions(pos);
    return positions ? { kind: "positions", positions } : "The page position in the link is malformed; start a new search.";
  }
  if (kind === "offset") return /^\d+$/.test(at) ? { kind: "offset", offset: Number(at) } : "Offset: enter a whole number.";
  if (kind === "timestamp") {
    const ts = timeOf(at);
    return !at || Number.isNaN(ts) ? "Timestamp: pick a date and time." : { kind: "timestamp", timestamp: ts };
  }
  return { kind: kind === "latest" ? "latest" : "earliest" };
}

/** The scan the URL describes, or a message saying what in it is wrong. */
export function inputFromUrl(params: URLSearchParams, cluster: string, topic: string): { input?: BrowseInput; problem?: string } {
  const partitions = params.get("p") ? params.get("p")!.split(",").filter(Boolean).map(Number) : undefined;
  if (partitions?.some((n) => !Number.isInteger(n) || n < 0)) return { problem: "Partitions: use numbers separated by commas." };
  const limit = Math.min(500, Math.max(1, Number(params.get("limit") ?? 50) || 50));
  const start = startOf(params);
  if (typeof start === "string") return { problem: start };
  const hname = params.get("hname") ?? "";
  return {
    input: {
      cluster,
      topic,
      partitions,
      start,
      limit,
      isolation: isolationOf(params),
      filters: {
        key: params.get("key") || undefined,
        header: hname ? { name: hname, value: params.get("hval") || undefined } : undefined,
        text: params.get("text") || undefined,
        jsonata: params.get("expr") || undefined,
      },
    },
  };
}

/** The positions a page back starts at, when there is no history to go back through (opened from a link). */
export function previousPage(start: Record<string, number>, logStart: Record<string, number>, limit: number): Record<string, number> {
  const step = Math.ceil(limit / (Object.keys(start).length || 1));
  return Object.fromEntries(Object.entries(start).map(([p, o]) => [p, Math.max(logStart[p] ?? 0, o - step)]));
}
