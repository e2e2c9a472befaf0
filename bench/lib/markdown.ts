import type { Summary } from "./stats";

export type Align = "left" | "right";

/** A GitHub-flavoured markdown table; pipes inside cells are escaped so a cell can't split a row. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== headers.length) {
      throw new RangeError(`row ${i} has ${row.length} cells but the table has ${headers.length} columns`);
    }
  }
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const rule = headers.map((_, i) => (align?.[i] === "right" ? "---:" : "---"));
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(headers), `|${rule.join("|")}|`, ...rows.map(line)].join("\n");
}

/** Thousands-separated integer or a short decimal, whichever the magnitude calls for. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** "median (min–max)", the way every figure is quoted. */
export function formatSummary(s: Summary, unit = ""): string {
  const u = unit ? ` ${unit}` : "";
  if (s.runs.length === 1) return `${formatNumber(s.median)}${u}`;
  return `${formatNumber(s.median)}${u} (${formatNumber(s.min)}–${formatNumber(s.max)})`;
}
