"use client";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { canOperate, useClusterParam } from "@/components/cluster-param";
import { formatCount } from "@/components/format";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Loading, PageHeader } from "@/components/ui";
import { GroupState } from "./state";
import "./groups.css";

const STRATEGIES = [
  { id: "to-earliest", label: "To earliest", help: "Re-read everything still in the log." },
  { id: "to-latest", label: "To latest", help: "Skip everything not yet read; consume only new records." },
  { id: "to-current", label: "To current", help: "Keep the committed offsets (fills in partitions without one)." },
  { id: "to-offset", label: "To offset", help: "The same offset in every partition, clamped to the log." },
  { id: "shift-by", label: "Shift by", help: "Move each committed offset by ±N, clamped to the log." },
  { id: "to-datetime", label: "To date and time", help: "The first record at or after this time in each partition." },
  { id: "by-duration", label: "By duration", help: "Go back this long from now, as an ISO-8601 duration (PT1H = an hour)." },
  { id: "from-file", label: "From file", help: "CSV lines topic,partition,offset — what Export offsets gives." },
] as const;
type StrategyId = (typeof STRATEGIES)[number]["id"];

type Scope = { kind: "all-topics" } | { kind: "topic"; topic: string; partitions?: number[] };
type Strategy =
  | { kind: "to-earliest" | "to-latest" | "to-current" }
  | { kind: "to-offset"; offset: number }
  | { kind: "shift-by"; by: number }
  | { kind: "to-datetime"; at: string }
  | { kind: "by-duration"; duration: string }
  | { kind: "from-file"; csv: string };

/** Reads the form state from the query string, so a prepared reset can be shared as a link. */
function fromParams(p: URLSearchParams) {
  const strategy = (STRATEGIES.some((s) => s.id === p.get("strategy")) ? p.get("strategy") : "to-earliest") as StrategyId;
  return { scope: p.get("scope") === "topic" ? "topic" : "all-topics", topic: p.get("topic") ?? "", partitions: p.get("partitions") ?? "", strategy, value: p.get("value") ?? "" };
}
type FormState = ReturnType<typeof fromParams>;

function build(f: FormState, csv: string): { scope: Scope; strategy: Strategy } | string {
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

/**
 * Offset replay with kafka-consumer-groups --reset-offsets semantics: choose scope and strategy,
 * preview the exact effect (the dry run), then execute once the group is empty.
 */
export function ResetOffsets({ groupId }: { groupId: string }) {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const { cluster, withCluster } = useClusterParam();
  const me = trpc.auth.me.useQuery();
  const group = trpc.groups.get.useQuery({ cluster, groupId }, { refetchInterval: 3000 });
  const [form, setForm] = useState<FormState>(() => fromParams(new URLSearchParams(params)));
  const [csv, setCsv] = useState("");
  const [request, setRequest] = useState<{ scope: Scope; strategy: Strategy } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const preview = trpc.groups.previewReset.useQuery({ cluster, groupId, ...request! }, { enabled: request !== null, refetchOnWindowFocus: false, retry: false });
  const utils = trpc.useUtils();
  const execute = trpc.groups.resetOffsets.useMutation({
    onSuccess: () => {
      setConfirming(false);
      void utils.groups.get.invalidate();
    },
  });

  const set = (patch: Partial<FormState>) => {
    setForm((f) => ({ ...f, ...patch }));
    setRequest(null);
    setConfirming(false);
    execute.reset();
  };

  const onPreview = (e: FormEvent) => {
    e.preventDefault();
    const built = build(form, csv);
    if (typeof built === "string") {
      setFormError(built);
      return;
    }
    setFormError(null);
    setConfirming(false);
    execute.reset();
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(form)) {
      if (v && !(k === "value" && form.strategy === "from-file")) next.set(k, v);
      else next.delete(k);
    }
    router.replace(`${path}?${next}`, { scroll: false });
    setRequest(built);
    if (request && JSON.stringify(request) === JSON.stringify(built)) void preview.refetch();
  };

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setCsv(await file.text());
    setRequest(null);
  };

  const p = preview.data;
  const strategy = STRATEGIES.find((s) => s.id === form.strategy)!;
  const operator = canOperate(me.data?.role);
  const blocked = p && p.members.length > 0;

  return (
    <>
      <PageHeader
        title={`Reset offsets · ${groupId}`}
        subtitle={
          <>
            <Link href={withCluster(`/groups/${encodeURIComponent(groupId)}`)}>{groupId}</Link> · cluster {cluster}
            {group.data && (
              <>
                {" "}
                · <GroupState state={group.data.state} /> · {group.data.members} members
              </>
            )}
          </>
        }
      />
      {group.error?.data?.code === "NOT_FOUND" ? (
        <p className="muted">This group has no committed offsets on this cluster yet; a reset creates them, so its consumers start there.</p>
      ) : (
        <ErrorNote error={group.error} retry={() => group.refetch()} />
      )}
      <Card>
        <form className="reset-form" onSubmit={onPreview} aria-label="Reset offsets">
          <label>
            Scope
            <select value={form.scope} onChange={(e) => set({ scope: e.target.value })} aria-label="Scope">
              <option value="all-topics">All topics of the group</option>
              <option value="topic">One topic (all or chosen partitions)</option>
            </select>
          </label>
          {form.scope === "topic" ? (
            <>
              <label>
                Topic
                <input list="group-topics" value={form.topic} onChange={(e) => set({ topic: e.target.value })} aria-label="Topic" placeholder="topic name" />
                <datalist id="group-topics">
                  {group.data?.topics.map((t) => (
                    <option key={t} value={t} />
                  ))}
                </datalist>
              </label>
              <label>
                Partitions
                <input value={form.partitions} onChange={(e) => set({ partitions: e.target.value })} aria-label="Partitions" placeholder="all, or e.g. 0,1,4" />
              </label>
            </>
          ) : (
            <p className="hint muted scope-note">
              Every partition the group has committed offsets for ({group.data ? `${group.data.topics.length} ${group.data.topics.length === 1 ? "topic" : "topics"}` : "…"}).
            </p>
          )}
          <label>
            Strategy
            <select value={form.strategy} onChange={(e) => set({ strategy: e.target.value as StrategyId, value: "" })} aria-label="Strategy">
              {STRATEGIES.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.label}
                </option>
              ))}
            </select>
            <span className="hint muted">{strategy.help}</span>
          </label>
          {form.strategy === "to-offset" || form.strategy === "shift-by" ? (
            <label>
              {form.strategy === "to-offset" ? "Offset" : "Shift by (±N)"}
              <input type="number" value={form.value} onChange={(e) => set({ value: e.target.value })} aria-label={form.strategy === "to-offset" ? "Offset" : "Shift by"} />
            </label>
          ) : form.strategy === "to-datetime" ? (
            <label>
              Date and time (your local time)
              <input type="datetime-local" step="1" value={form.value} onChange={(e) => set({ value: e.target.value })} aria-label="Date and time" />
            </label>
          ) : form.strategy === "by-duration" ? (
            <label>
              Duration
              <input value={form.value} onChange={(e) => set({ value: e.target.value })} aria-label="Duration" placeholder="PT1H" />
            </label>
          ) : null}
          {form.strategy === "from-file" && (
            <label className="wide">
              Offsets CSV
              <textarea value={csv} onChange={(e) => (setCsv(e.target.value), setRequest(null))} aria-label="Offsets CSV" placeholder={"orders,0,1200\norders,1,1187"} />
              <input type="file" accept=".csv,text/csv,text/plain" aria-label="Upload offsets CSV" onChange={(e) => void onFile(e.target.files?.[0])} />
            </label>
          )}
          <div className="reset-actions wide">
            <button type="submit" className="primary">
              Preview
            </button>
            <span className="muted">The preview changes nothing; it shows what a reset would do.</span>
          </div>
          {formError && (
            <div className="error-note wide" role="alert">
              {formError}
            </div>
          )}
        </form>
      </Card>

      {request && preview.isFetching && <Loading label="Planning the reset…" />}
      <ErrorNote error={preview.isFetching ? null : preview.error} retry={() => preview.refetch()} />
      {p && request && !preview.isFetching && (
        <Card title="Preview">
          <table className="data compact" aria-label="Reset preview">
            <thead>
              <tr>
                <th>Topic</th>
                <th className="num">Partition</th>
                <th className="num">Current offset</th>
                <th className="num">New offset</th>
                <th className="num">Re-read</th>
                <th className="num">Skipped</th>
              </tr>
            </thead>
            <tbody>
              {p.partitions.map((r) => (
                <tr key={`${r.topic}-${r.partition}`}>
                  <td>{r.topic}</td>
                  <td className="num">{r.partition}</td>
                  <td className="num">{r.current === null ? <span className="muted">none</span> : r.current.toLocaleString()}</td>
                  <td className="num">→ {r.next.toLocaleString()}</td>
                  <td className={`num ${r.reread ? "delta-minus" : ""}`}>{r.reread.toLocaleString()}</td>
                  <td className={`num ${r.skipped ? "delta-plus" : ""}`}>{r.skipped.toLocaleString()}</td>
                </tr>
              ))}
              <tr className="totals">
                <td>Total</td>
                <td className="num">{p.totals.partitions}</td>
                <td />
                <td />
                <td className="num" data-testid="total-reread">
                  {p.totals.reread.toLocaleString()}
                </td>
                <td className="num" data-testid="total-skipped">
                  {p.totals.skipped.toLocaleString()}
                </td>
              </tr>
            </tbody>
          </table>
          <p className="hint">
            The group will re-read {formatCount(p.totals.reread)} records and skip {formatCount(p.totals.skipped)} across {p.totals.partitions} partitions.
          </p>
          {blocked && (
            <div className="warn-note" role="status">
              The group is {p.state} with {p.members.length} connected member{p.members.length === 1 ? "" : "s"}: {p.members.map((m) => `${m.clientId} (${m.host})`).join(", ")}. Stop these consumers, then preview again to execute.
            </div>
          )}
          {!operator ? (
            <p className="muted">Resetting offsets needs the operator role; you can preview only.</p>
          ) : execute.isSuccess ? (
            <p className="success" role="status">
              Reset applied to {execute.data.totals.partitions} partitions. Restart the consumers to read from the new offsets. See it in the{" "}
              <Link href={`/audit?action=groups.resetOffsets&target=${encodeURIComponent(groupId)}`}>audit trail</Link>.
            </p>
          ) : confirming ? (
            <div className="reset-actions">
              <strong>
                Apply to {p.totals.partitions} partitions of {groupId}?
              </strong>
              <button type="button" className="danger" onClick={() => execute.mutate({ cluster, groupId, ...request, approved: p.partitions.map((r) => ({ topic: r.topic, partition: r.partition, next: r.next })) })} disabled={execute.isPending}>
                {execute.isPending ? "Resetting…" : "Yes, reset offsets"}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <div className="reset-actions">
              <button type="button" className="primary" disabled={Boolean(blocked) || p.partitions.length === 0} onClick={() => setConfirming(true)}>
                Execute reset
              </button>
            </div>
          )}
          <ErrorNote error={execute.error} />
        </Card>
      )}
    </>
  );
}
