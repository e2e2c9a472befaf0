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

export interface ResetPlan {
  partitions: PlannedReset[];
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

function target(s: ResetStrategy, p: PartitionState, fromFile: Map<string, number>): number {
  switch (s.kind) {
    case "to-earliest":
      return p.earliest;
    case "to-latest":
      return p.latest;
    case "to-current":
      // As the tool does: a partition without a committed offset stays where a new consumer would start reading.
      return p.committed ?? p.latest;
    case "to-offset":
      return clamp(s.offset, p.earliest, p.latest);
    case "shift-by":
      if (p.committed === undefined) {
        throw new ResetError(`Cannot shift ${p.topic}-${p.partition}: the group has no committed offset there; use to-offset or to-earliest instead.`);
      }
      return clamp(p.committed + s.by, p.earliest, p.latest);
    case "to-datetime":
    case "by-duration":
      // No record at or after the time: the end of the log, as Kafka's ListOffsets answers.
      return p.atTimestamp ?? p.latest;
    case "from-file": {
      const v = fromFile.get(`${p.topic}\u0000${p.partition}`);
      if (v === undefined) throw new ResetError(`The file has no offset for ${p.topic}-${p.partition}; narrow the scope or add a row.`);
      return clamp(v, p.earliest, p.latest);
    }
  }
}

export function planReset(strategy: ResetStrategy, partitions: PartitionState[]): ResetPlan {
  const fromFile = new Map(strategy.kind === "from-file" ? strategy.offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset] as const) : []);
  const planned = partitions
    .map((p): PlannedReset => {
      const next = target(strategy, p, fromFile);
      // Without a committed offset the group would start at the latest offset (auto.offset.reset=latest).
      const from = clamp(p.committed ?? p.latest, p.earliest, p.latest);
      return {
        topic: p.topic,
        partition: p.partition,
        current: p.committed ?? null,
        next,
        reread: Math.max(0, from - next),
        skipped: Math.max(0, next - from),
      };
    })
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return {
    partitions: planned,
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
