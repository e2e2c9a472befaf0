/**
 * A dependency-free SVG bar chart: one panel per metric, one horizontal bar per system, with a
 * whisker from min to max so the spread of the runs is visible next to the median.
 */

export interface Bar {
  label: string;
  /** Median; null draws a "not available" note instead of a bar. */
  value: number | null;
  min?: number;
  max?: number;
  note?: string;
}

export interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
}

const WIDTH = 760;
const LABEL_WIDTH = 170;
const VALUE_WIDTH = 150;
const BAR_HEIGHT = 18;
const BAR_GAP = 8;
const PANEL_TITLE_HEIGHT = 28;
const PANEL_GAP = 18;
const PALETTE = ["#2563eb", "#16a34a", "#dc2626", "#ea580c", "#7c3aed", "#0891b2"];

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function formatValue(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  return n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export interface ChartTitle {
  title: string;
  subtitle?: string;
}

/** `colorOf` maps a bar label to a palette index, so one system keeps its colour in every panel. */
export function barChartSvg(heading: ChartTitle, panels: readonly Panel[], colorOf: (label: string) => number = () => 0): string {
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const parts: string[] = [];
  let y = 36;
  parts.push(`<text x="12" y="22" font-size="16" font-weight="bold">${escapeXml(heading.title)}</text>`);
  if (heading.subtitle) {
    parts.push(`<text x="12" y="40" font-size="12" fill="#374151">${escapeXml(heading.subtitle)}</text>`);
    y += 14;
  }
  for (const panel of panels) {
    parts.push(`<text x="12" y="${y + 18}" font-size="13" font-weight="bold">${escapeXml(panel.title)} (${escapeXml(panel.unit)})</text>`);
    y += PANEL_TITLE_HEIGHT;
    const scaleMax = Math.max(0, ...panel.bars.flatMap((b) => (b.value === null ? [] : [b.max ?? b.value, b.value])));
    const scale = (v: number) => (scaleMax > 0 ? (v / scaleMax) * plotWidth : 0);
    for (const bar of panel.bars) {
      const cy = y + BAR_HEIGHT / 2 + 4;
      parts.push(`<text x="${LABEL_WIDTH - 8}" y="${cy}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`);
      if (bar.value === null) {
        parts.push(`<text x="${LABEL_WIDTH}" y="${cy}" font-size="12" fill="#6b7280">${escapeXml(bar.note ?? "not available")}</text>`);
      } else {
        const color = PALETTE[colorOf(bar.label) % PALETTE.length];
        const w = scale(bar.value);
        parts.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"><title>${escapeXml(`${bar.label}: ${formatValue(bar.value)} ${panel.unit}`)}</title></rect>`);
        if (bar.min !== undefined && bar.max !== undefined) {
          const x1 = LABEL_WIDTH + scale(bar.min);
          const x2 = LABEL_WIDTH + scale(bar.max);
          const my = y + BAR_HEIGHT / 2;
          parts.push(
            `<path d="M${x1.toFixed(1)} ${my}H${x2.toFixed(1)}M${x1.toFixed(1)} ${my - 5}V${my + 5}M${x2.toFixed(1)} ${my - 5}V${my + 5}" stroke="#111827" stroke-width="1.5" fill="none"/>`,
          );
        }
        const text = `${formatValue(bar.value)}${bar.note ? ` ${bar.note}` : ""}`;
        parts.push(`<text x="${LABEL_WIDTH + plotWidth + 8}" y="${cy}" font-size="12">${escapeXml(text)}</text>`);
      }
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += PANEL_GAP;
  }
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    `</svg>`,
    "",
  ].join("\n");
}
