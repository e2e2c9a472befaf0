import { partitionKey } from "../kafka/partition-key";

/**
 * Offset reset planning with the semantics of `kafka-consumer-groups --reset-offsets`: a scope of
 * partitions, a strategy, and a plan (the dry run) showing current → new offset per partition with
 * how many records will be re-read or skipped. Pure: the caller fetches offsets and applies the plan.
 */

export type ResetStrategy =
  | { kind: "to-earliest" }
  | { kind: "to-latest" }
  | { kind: "to-current" }
  | { kind: "to-offset"; offset: number }
  | { kind: "shift-by"; by: number }
  | { kind: "to-datetime"; at: number }
  | { kind: "by-duration"; ms: number }
  | { kind: "from-file"; offsets: PartitionOffset[] };

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** What the cluster says about one partition in scope. */
export interface PartitionState {
  topic: string;
  partition: number;
  /** Log start offset. */
  earliest: number;
  /** Log end offset. */
  latest: number;
  /** The group's committed offset, or undefined when it has none. */
  committed?: number;
  /** First offset at or after the strategy's timestamp (to-datetime, by-duration), or undefined if none. */
  atTimestamp?: number;
}

export interface PlannedReset {
  topic: string;
  partition: number;
  current: number | null;
  next: number;
  /** Records the group will read again (new < current). */
  reread: number;
  /** Records the group will never read (new > current). */
  skipped: number;
}

/** A partition in scope the strategy leaves as it is, and why. */
export interface UntouchedPartition {
  topic: string;
  partition: number;
  reason: string;
}

export interface ResetPlan {
  partitions: PlannedReset[];
  untouched: UntouchedPartition[];
  totals: { partitions: number; reread: number; skipped: number };
}

export class ResetError extends Error {}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** The timestamp a time-based strategy looks up, or undefined for the others. */
export function strategyTimestamp(s: ResetStrategy, now: number): number | undefined {
  if (s.kind === "to-datetime") return s.at;
  if (s.kind === "by-duration") return now - s.ms;
  return undefined;
}

/** The new offset, or the reason the partition keeps its state (a strategy relative to a committed offset the group has not got). */
function target(s: ResetStrategy, p: PartitionState, fromFile: Map<string, number>): number | string {
  switch (s.kind) {
    case "to-earliest":
      return p.earliest;
    case "to-latest":
      return p.latest;
    case "to-current":
      // Committing an offset where there is none would change where the consumer starts.
      return p.committed ?? "no committed offset to keep";
    case "to-offset":
      return clamp(s.offset, p.earliest, p.latest);
    case "shift-by":
      if (p.committed === undefined) return "no committed offset to shift from; reset it to-earliest, to-offset or to-datetime";
      return clamp(p.committed + s.by, p.earliest, p.latest);
    case "to-datetime":
    case "by-duration":
      // No record at or after the time: the end of the log, as Kafka's ListOffsets answers.
      return p.atTimestamp ?? p.latest;
    case "from-file": {
      const v = fromFile.get(partitionKey(p.topic, p.partition));
      if (v === undefined) throw new ResetError(`The file has no offset for ${p.topic}-${p.partition}; narrow the scope or add a row.`);
      return clamp(v, p.earliest, p.latest);
    }
  }
}

const byPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1);

export function planReset(strategy: ResetStrategy, partitions: PartitionState[]): ResetPlan {
  const fromFile = new Map(strategy.kind === "from-file" ? strategy.offsets.map((o) => [partitionKey(o.topic, o.partition), o.offset] as const) : []);
  const planned: PlannedReset[] = [];
  const untouched: UntouchedPartition[] = [];
  for (const p of [...partitions].sort(byPartition)) {
    const next = target(strategy, p, fromFile);
    if (typeof next === "string") {
      untouched.push({ topic: p.topic, partition: p.partition, reason: next });
      continue;
    }
    // Without a committed offset the group's lag counts from the log start, so the counts do too.
    const from = clamp(p.committed ?? p.earliest, p.earliest, p.latest);
    planned.push({ topic: p.topic, partition: p.partition, current: p.committed ?? null, next, reread: Math.max(0, from - next), skipped: Math.max(0, next - from) });
  }
  return {
    partitions: planned,
    untouched,
    totals: {
      partitions: planned.length,
      reread: planned.reduce((n, p) => n + p.reread, 0),
      skipped: planned.reduce((n, p) => n + p.skipped, 0),
    },
  };
}

/** Parses the tool's --from-file CSV: `topic,partition,offset` per line; a header line is allowed. */
export function parseOffsetsCsv(text: string): PartitionOffset[] {
  const out: PartitionOffset[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || (i === 0 && /^topic\s*,/i.test(line))) return;
    const m = /^(.+),\s*(\d+)\s*,\s*(-?\d+)$/.exec(line);
    if (!m) throw new ResetError(`Line ${i + 1}: expected topic,partition,offset but found "${line}".`);
    out.push({ topic: m[1].trim(), partition: Number(m[2]), offset: Number(m[3]) });
  });
  return out;
}

export function formatOffsetsCsv(rows: PartitionOffset[]): string {
  return rows.map((r) => `${r.topic},${r.partition},${r.offset}`).join("\n") + "\n";
}

/** Parses an ISO-8601 duration such as PT1H or P1DT30M, as --by-duration takes; returns ms. */
export function parseDuration(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim().toUpperCase());
  if (!m || text.trim().toUpperCase() === "P" || text.trim().toUpperCase().endsWith("T")) {
    throw new ResetError(`"${text}" is not an ISO-8601 duration; write e.g. PT1H for an hour or P1DT12H for a day and a half.`);
  }
  const [, d = "0", h = "0", min = "0", s = "0"] = m;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000;
}
