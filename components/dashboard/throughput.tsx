"use client";
import type { inferRouterOutputs } from "@trpc/server";
import { TimeChart } from "@/components/charts/time-chart";
import { formatBytesRate, formatDuration, formatRate } from "@/components/format";
import { Card, DataTable, Empty } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";

const RANGES = [
  { id: "15m", label: "15 min" },
  { id: "1h", label: "1 h" },
  { id: "24h", label: "24 h" },
  { id: "7d", label: "7 d" },
] as const;
export type Range = (typeof RANGES)[number]["id"];
export const rangeOf = (value: string | null): Range => RANGES.find((r) => r.id === value)?.id ?? "15m";

export type Throughput = inferRouterOutputs<AppRouter>["dashboard"]["throughput"];

const IN = "#2563eb";
const OUT = "#16a34a";
const CONSOLE = "#9ca3af";

/** The time range and the topic the charts show, and where their numbers come from. */
export function RangeToolbar({ range, topic, t, onRange, onTopic }: { range: Range; topic?: string; t?: Throughput; onRange: (r: Range) => void; onTopic: (topic: string | undefined) => void }) {
  return (
    <div className="chart-toolbar">
      <div className="segmented" role="group" aria-label="Time range">
        {RANGES.map((r) => (
          <button key={r.id} type="button" aria-pressed={range === r.id} onClick={() => onRange(r.id)}>
            {r.label}
          </button>
        ))}
      </div>
      <select aria-label="Topic" value={topic ?? ""} onChange={(e) => onTopic(e.target.value || undefined)}>
        <option value="">All topics</option>
        {topic && !t?.topics.some((x) => x.topic === topic) && <option value={topic}>{topic}</option>}
        {t?.topics.map((x) => (
          <option key={x.topic} value={x.topic}>
            {x.topic}
          </option>
        ))}
      </select>
      <span className="muted">{range !== "15m" ? `from rollups, ${formatDuration(t?.stepMs ?? 0)} steps` : t?.available && t.sampledEveryMs ? `live, sampled every ${formatDuration(t.sampledEveryMs)}` : "live, 1 s resolution"}</span>
    </div>
  );
}

type Available = Extract<Throughput, { available: true }>;
type Point = Available["points"][number];

type Key = Exclude<keyof Point, "t">;
type TopicRow = Available["topics"][number];

/**
 * One rate over the range, in and out, with the latest values while live. "out" is consumers only;
 * the console's own scans are their own line where the broker counts them (no console key: sampled
 * committed offsets, which the console's scans never move).
 */
function RateCard({ label, topic, points, range, keys, format, live, emptyNote = "" }: { label: string; topic?: string; points: Point[]; range: { from: number; to: number }; keys: [Key, Key, Key?]; format: (v: number) => string; live: boolean; emptyNote?: string }) {
  const last = points.at(-1);
  const [inKey, outKey, consoleKey] = keys;
  return (
    <Card>
      <div className="card-head">
        <h2>
          {label}
          {topic ? ` · ${topic}` : ""}
        </h2>
        {live && last && (
          <span className="muted">
            in {format(last[inKey])} · out {format(last[outKey])}
            {consoleKey && ` · console reads ${format(last[consoleKey])}`}
          </span>
        )}
      </div>
      {points.length === 0 ? (
        <Empty>No data in this range yet{emptyNote}.</Empty>
      ) : (
        <TimeChart
          label={label}
          data={points}
          range={range}
          format={format}
          lines={[
            { key: inKey, label: "in", color: IN },
            { key: outKey, label: "out (consumers)", color: OUT },
            ...(consoleKey ? [{ key: consoleKey, label: "console reads", color: CONSOLE, dashed: true }] : []),
          ]}
        />
      )}
      {points.length > 0 && consoleKey && <p className="muted chart-note">Out counts consumers only: the console&apos;s own browsing, searches and downloads are the dashed line.</p>}
    </Card>
  );
}

/** Records and bytes per second, in and out, over the range; records only for a cluster the console samples. */
export function ThroughputCharts({ t, range, topic }: { t: Available; range: Range; topic?: string }) {
  const live = range === "15m";
  if (t.sampledEveryMs) {
    return (
      <>
        <p className="muted">{t.scope}</p>
        <RateCard label="Records per second" topic={topic} points={t.points} range={t} keys={["recordsIn", "recordsOut"]} format={(v) => formatRate(v)} live={live} emptyNote={live ? `: the first rate comes after two samples, ${formatDuration(t.sampledEveryMs)} apart` : ": history is rolled up once a minute"} />
      </>
    );
  }
  return (
    <>
      {t.scope && <p className="muted">{t.scope}</p>}
      <div className="grid cards-2">
        <RateCard label="Records per second" topic={topic} points={t.points} range={t} keys={["recordsIn", "recordsOut", "consoleRecords"]} format={(v) => formatRate(v)} live={live} emptyNote={live ? "" : ": history is rolled up once a minute"} />
        <RateCard label="Bytes per second" topic={topic} points={t.points} range={t} keys={["bytesIn", "bytesOut", "consoleBytes"]} format={formatBytesRate} live={live} />
      </div>
    </>
  );
}

/** The busiest topics over the range; picking one charts it alone. */
export function TopTopics({ t, range, onPick }: { t?: Throughput; range: Range; onPick: (topic: string) => void }) {
  const span = range === "15m" ? "last minute" : RANGES.find((r) => r.id === range)?.label;
  return (
    <Card className="dash-card" title={`Top topics by throughput (${span})`}>
      {t?.available ? (
        <DataTable
          rows={t.topics.slice(0, 10)}
          rowKey={(r) => r.topic}
          empty="No topic has seen traffic in this range."
          columns={[
            {
              key: "topic",
              header: "Topic",
              sort: (r) => r.topic,
              render: (r) => (
                <button type="button" className="link" title="Chart this topic" onClick={() => onPick(r.topic)}>
                  {r.topic}
                </button>
              ),
            },
            { key: "ri", header: "In", align: "right", sort: (r) => r.recordsIn, render: (r) => formatRate(r.recordsIn) },
            { key: "ro", header: "Out", align: "right", sort: (r) => r.recordsOut, render: (r) => formatRate(r.recordsOut) },
            ...(t.sampledEveryMs
              ? []
              : [
                  { key: "bi", header: "Bytes in", align: "right" as const, sort: (r: TopicRow) => r.bytesIn, render: (r: TopicRow) => formatBytesRate(r.bytesIn) },
                  { key: "bo", header: "Bytes out", align: "right" as const, sort: (r: TopicRow) => r.bytesOut, render: (r: TopicRow) => formatBytesRate(r.bytesOut) },
                  { key: "cr", header: "Console reads", align: "right" as const, sort: (r: TopicRow) => r.consoleRecords, render: (r: TopicRow) => formatRate(r.consoleRecords) },
                ]),
          ]}
        />
      ) : (
        <p className="muted">{t?.reason ?? "Loading…"}</p>
      )}
    </Card>
  );
}
