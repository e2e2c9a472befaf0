"use client";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatTimestamp, zoneLabel, type TimeZone } from "@/components/format";
import { useTimeZone } from "@/components/time-zone";

export interface ChartLine {
  key: string;
  label: string;
  color: string;
  /** Drawn dashed: a series shown for comparison, not one of the chart's own. */
  dashed?: boolean;
}

/**
 * One line of text per tick: recharts wraps a tick's words to the space between ticks, which
 * splits "1.28 k rec/s" or "12/1 14h" over two lines.
 */
function tick(format: (v: number) => string, anchor: "middle" | "end") {
  function Tick({ x, y, payload }: { x?: number | string; y?: number | string; payload?: { value: number } }) {
    return (
      <text x={x} y={y} dy={anchor === "middle" ? 12 : 4} textAnchor={anchor} fontSize={11} fill="#6b7280" className="chart-tick">
        {payload ? format(payload.value) : ""}
      </text>
    );
  }
  return Tick;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Axis labels in the chosen zone: clock time for ranges within a day, day and hour beyond. */
function tickFormatter(spanMs: number, zone: TimeZone) {
  return (t: number) => {
    const d = new Date(t);
    const [mo, day, h, mi, sec] = zone === "utc" ? [d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
    if (spanMs > 86_400_000 * 1.5) return `${mo + 1}/${day} ${pad(h)}h`;
    if (spanMs > 20 * 60_000) return `${pad(h)}:${pad(mi)}`;
    return `${pad(h)}:${pad(mi)}:${pad(sec)}`;
  };
}

/** Five ticks over a fixed range; recharts picks a single one for a time domain it was given. */
function evenTicks({ from, to }: { from: number; to: number }): number[] {
  return Array.from({ length: 5 }, (_, i) => Math.round(from + ((to - from) * i) / 4));
}

/**
 * A time series chart: lines over a time axis, values in the unit's human format. Animations are
 * off so live updates redraw at once.
 */
export function TimeChart<T extends { t: number }>({
  data,
  lines,
  format,
  height = 220,
  label,
  range,
}: {
  data: T[];
  lines: ChartLine[];
  format: (v: number) => string;
  height?: number;
  /** Names the chart for screen readers and tests. */
  label: string;
  /** The time axis from and to (ms epoch), so a range runs up to now even when its last point is older. */
  range?: { from: number; to: number };
}) {
  const zone = useTimeZone();
  const span = range ? range.to - range.from : data.length > 1 ? data[data.length - 1].t - data[0].t : 0;
  return (
    <div className="time-chart" role="img" aria-label={label} data-points={data.length} data-to={range?.to}>
      <ResponsiveContainer width="100%" height={height}>
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
          <XAxis dataKey="t" type="number" scale="time" domain={range ? [range.from, range.to] : ["dataMin", "dataMax"]} ticks={range ? evenTicks(range) : undefined} allowDataOverflow tick={tick(tickFormatter(span, zone), "middle")} minTickGap={40} />
          <YAxis tick={tick(format, "end")} width={84} allowDecimals={false} />
          <Tooltip labelFormatter={(t) => formatTimestamp(Number(t), zone)} formatter={(v) => format(Number(v))} isAnimationActive={false} />
          {lines.length > 1 && <Legend iconType="plainline" wrapperStyle={{ fontSize: 12 }} />}
          {lines.map((l) => (
            <Line key={l.key} type="linear" dataKey={l.key} name={l.label} stroke={l.color} strokeDasharray={l.dashed ? "4 3" : undefined} dot={false} strokeWidth={1.6} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
      <p className="chart-zone muted">times in {zoneLabel(zone, data[0]?.t)}</p>
    </div>
  );
}
