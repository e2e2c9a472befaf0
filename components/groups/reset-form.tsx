"use client";
import type { FormEvent } from "react";
import { STRATEGIES, type FormState, type StrategyId } from "./reset-request";

interface Props {
  form: FormState;
  onChange: (patch: Partial<FormState>) => void;
  csv: string;
  onCsv: (csv: string) => void;
  /** The group's topics, once known: offered for the one-topic scope. */
  topics: string[] | undefined;
  /** What to fix before a preview, if anything. */
  error: string | null;
  onSubmit: (e: FormEvent) => void;
}

/** Scope, strategy and its value; submitting asks for a preview, which changes nothing. */
export function ResetForm({ form, onChange, csv, onCsv, topics, error, onSubmit }: Props) {
  const strategy = STRATEGIES.find((s) => s.id === form.strategy)!;
  return (
    <form className="reset-form" onSubmit={onSubmit} aria-label="Reset offsets">
      <label>
        Scope
        <select value={form.scope} onChange={(e) => onChange({ scope: e.target.value })} aria-label="Scope">
          <option value="all-topics">All topics of the group</option>
          <option value="topic">One topic (all or chosen partitions)</option>
        </select>
      </label>
      {form.scope === "topic" ? (
        <>
          <label>
            Topic
            <input list="group-topics" value={form.topic} onChange={(e) => onChange({ topic: e.target.value })} aria-label="Topic" placeholder="topic name" />
            <datalist id="group-topics">
              {topics?.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
          </label>
          <label>
            Partitions
            <input value={form.partitions} onChange={(e) => onChange({ partitions: e.target.value })} aria-label="Partitions" placeholder="all, or e.g. 0,1,4" />
          </label>
        </>
      ) : (
        <p className="hint muted scope-note">
          Every partition the group has committed offsets for ({topics ? `${topics.length} ${topics.length === 1 ? "topic" : "topics"}` : "…"}).
        </p>
      )}
      <label>
        Strategy
        <select value={form.strategy} onChange={(e) => onChange({ strategy: e.target.value as StrategyId, value: "" })} aria-label="Strategy">
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
          <input type="number" value={form.value} onChange={(e) => onChange({ value: e.target.value })} aria-label={form.strategy === "to-offset" ? "Offset" : "Shift by"} />
        </label>
      ) : form.strategy === "to-datetime" ? (
        <label>
          Date and time (your local time)
          <input type="datetime-local" step="1" value={form.value} onChange={(e) => onChange({ value: e.target.value })} aria-label="Date and time" />
        </label>
      ) : form.strategy === "by-duration" ? (
        <label>
          Duration
          <input value={form.value} onChange={(e) => onChange({ value: e.target.value })} aria-label="Duration" placeholder="PT1H" />
        </label>
      ) : null}
      {form.strategy === "from-file" && (
        <label className="wide">
          Offsets CSV
          <textarea value={csv} onChange={(e) => onCsv(e.target.value)} aria-label="Offsets CSV" placeholder={"orders,0,1200\norders,1,1187"} />
          <input type="file" accept=".csv,text/csv,text/plain" aria-label="Upload offsets CSV" onChange={(e) => void e.target.files?.[0]?.text().then(onCsv)} />
        </label>
      )}
      <div className="reset-actions wide">
        <button type="submit" className="primary">
          Preview
        </button>
        <span className="muted">The preview changes nothing; it shows what a reset would do.</span>
      </div>
      {error && (
        <div className="error-note wide" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
