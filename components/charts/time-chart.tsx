"use client";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatTimestamp, zoneLabel, type TimeZone } from "@/components/format";
import { useTimeZone } from "@/components/time-zone";

export interface ChartLine {
  key: string;
  label: string;
  color: string;
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
}: {
  data: T[];
  lines: ChartLine[];
  format: (v: number) => string;
  height?: number;
  /** Names the chart for screen readers and tests. */
  label: string;
}) {
  const zone = useTimeZone();
  const span = data.length > 1 ? data[data.length - 1].t - data[0].t : 0;
  return (
    <div className="time-chart" role="img" aria-label={label} data-points={data.length}>
      <ResponsiveContainer width="100%" height={height}>
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
          <XAxis dataKey="t" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={tickFormatter(span, zone)} tick={{ fontSize: 11 }} minTickGap={40} />
          <YAxis tickFormatter={(v: number) => format(v)} tick={{ fontSize: 11 }} width={78} allowDecimals={false} />
          <Tooltip labelFormatter={(t) => formatTimestamp(Number(t), zone)} formatter={(v) => format(Number(v))} isAnimationActive={false} />
          {lines.length > 1 && <Legend iconType="plainline" wrapperStyle={{ fontSize: 12 }} />}
          {lines.map((l) => (
            <Line key={l.key} type="linear" dataKey={l.key} name={l.label} stroke={l.color} dot={false} strokeWidth={1.6} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
      <p className="chart-zone muted">times in {zoneLabel(zone, data[0]?.t)}</p>
    </div>
  );
}
