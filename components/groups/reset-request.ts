/**
 * A reset as the form describes it: kafka-consumer-groups --reset-offsets' scopes and strategies,
 * read from the query string (a prepared reset can be shared as a link) and checked before the
 * server is asked for a preview. Pure, so tests run it without a browser.
 */
export const STRATEGIES = [
  { id: "to-earliest", label: "To earliest", help: "Re-read everything still in the log." },
  { id: "to-latest", label: "To latest", help: "Skip everything not yet read; consume only new records." },
  { id: "to-current", label: "To current", help: "Keep the committed offsets (fills in partitions without one)." },
  { id: "to-offset", label: "To offset", help: "The same offset in every partition, clamped to the log." },
  { id: "shift-by", label: "Shift by", help: "Move each committed offset by ±N, clamped to the log." },
  { id: "to-datetime", label: "To date and time", help: "The first record at or after this time in each partition." },
  { id: "by-duration", label: "By duration", help: "Go back this long from now, as an ISO-8601 duration (PT1H = an hour)." },
  { id: "from-file", label: "From file", help: "CSV lines topic,partition,offset — what Export offsets gives." },
] as const;
export type StrategyId = (typeof STRATEGIES)[number]["id"];

type Scope = { kind: "all-topics" } | { kind: "topic"; topic: string; partitions?: number[] };
type Strategy =
  | { kind: "to-earliest" | "to-latest" | "to-current" }
  | { kind: "to-offset"; offset: number }
  | { kind: "shift-by"; by: number }
  | { kind: "to-datetime"; at: string }
  | { kind: "by-duration"; duration: string }
  | { kind: "from-file"; csv: string };

/** Reads the form state from the query string, so a prepared reset can be shared as a link. */
export function fromParams(p: URLSearchParams) {
  const strategy = (STRATEGIES.some((s) => s.id === p.get("strategy")) ? p.get("strategy") : "to-earliest") as StrategyId;
  return { scope: p.get("scope") === "topic" ? "topic" : "all-topics", topic: p.get("topic") ?? "", partitions: p.get("partitions") ?? "", strategy, value: p.get("value") ?? "" };
}
export type FormState = ReturnType<typeof fromParams>;

/** The query string with the form written into it (a CSV stays out of the link: it can be long). */
export function withForm(params: URLSearchParams, form: FormState): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(form)) {
    if (v && !(k === "value" && form.strategy === "from-file")) next.set(k, v);
    else next.delete(k);
  }
  return next;
}
export type ResetRequest = { scope: Scope; strategy: Strategy };

/** The request the form describes, or what to fix in it. */
export function buildRequest(f: FormState, csv: string): ResetRequest | string {
  let scope: Scope = { kind: "all-topics" };
  if (f.scope === "topic") {
    if (!f.topic.trim()) return "Choose the topic to reset.";
    const parts = f.partitions.trim() ? f.partitions.split(",").map((s) => Number(s.trim())) : undefined;
    if (parts?.some((n) => !Number.isInteger(n) || n < 0)) return "Partitions: write numbers separated by commas, e.g. 0,2,5.";
    scope = { kind: "topic", topic: f.topic.trim(), partitions: parts };
  }
  const n = Number(f.value);
  switch (f.strategy) {
    case "to-offset":
      if (!f.value.trim() || !Number.isInteger(n) || n < 0) return "Offset: a whole number, 0 or more.";
      return { scope, strategy: { kind: "to-offset", offset: n } };
    case "shift-by":
      if (!f.value.trim() || !Number.isInteger(n)) return "Shift: a whole number; negative moves back (re-reads), positive skips ahead.";
      return { scope, strategy: { kind: "shift-by", by: n } };
    case "to-datetime": {
      const at = new Date(f.value);
      if (!f.value || Number.isNaN(at.getTime())) return "Choose a date and time.";
      return { scope, strategy: { kind: "to-datetime", at: at.toISOString() } };
    }
    case "by-duration":
      if (!f.value.trim()) return "Duration: e.g. PT30M for half an hour, P1D for a day.";
      return { scope, strategy: { kind: "by-duration", duration: f.value.trim() } };
    case "from-file":
      if (!csv.trim()) return "Paste or upload the offsets CSV (topic,partition,offset per line).";
      return { scope, strategy: { kind: "from-file", csv } };
    default:
      return { scope, strategy: { kind: f.strategy } };
  }
}
