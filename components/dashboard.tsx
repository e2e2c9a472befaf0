"use client";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { TimeChart } from "./charts/time-chart";
import "./charts/charts.css";
import { useClusterParam } from "./cluster-param";
import { formatBytes, formatBytesRate, formatCount, formatDuration, formatRate } from "./format";
import { trpc } from "./trpc";
import { Card, DataTable, Empty, ErrorNote, Loading, PageHeader, StatusDot, Time } from "./ui";

const RANGES = [
  { id: "15m", label: "15 min" },
  { id: "1h", label: "1 h" },
  { id: "24h", label: "24 h" },
  { id: "7d", label: "7 d" },
] as const;
type Range = (typeof RANGES)[number]["id"];

const IN = "#2563eb";
const OUT = "#16a34a";

/** Live updates: the 15-minute range refreshes every 2 s, the rolled-up ranges every minute. */
const LIVE_MS = 2000;

function Health() {
  const health = trpc.health.useQuery(undefined, { refetchInterval: 5000 });
  const h = health.data;
  if (health.error) return <ErrorNote error={health.error} retry={() => health.refetch()} />;
  if (!h) return <Loading label="Asking the server how it is…" />;
  return (
    <div className="grid cards-3">
      <Card title="Broker">
        <StatusDot ok={h.broker.ok} label={h.broker.ok ? "serving" : "not running"} />
        <p className="hint">
          Bootstrap <code>{h.broker.bootstrap ?? "–"}</code>
        </p>
      </Card>
      <Card title="Agents">
        <StatusDot ok={h.agents.ok} label={h.agents.ok ? "running" : "not running"} />
        <p className="hint">{h.agents.flows} flows in the embedded agent</p>
      </Card>
      <Card title="Database">
        <StatusDot ok={h.database.ok} label={h.database.ok ? "reachable" : "unreachable"} />
        <p className="hint">{h.database.kind === "pglite" ? "embedded PGlite" : "Postgres server"}</p>
        {h.database.error && <p className="error-text">{h.database.error}</p>}
      </Card>
    </div>
  );
}

export function Dashboard() {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const { cluster, withCluster } = useClusterParam();
  const range = (RANGES.some((r) => r.id === params.get("range")) ? params.get("range") : "15m") as Range;
  const topic = params.get("topic") || undefined;
  const setParam = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    router.replace(next.size ? `${path}?${next}` : path, { scroll: false });
  };

  const health = trpc.health.useQuery(undefined, { refetchInterval: 5000 });
  const throughput = trpc.dashboard.throughput.useQuery({ cluster, range, topic }, { refetchInterval: range === "15m" ? LIVE_MS : 60_000, placeholderData: (prev) => prev });
  const overview = trpc.dashboard.overview.useQuery({ cluster }, { refetchInterval: LIVE_MS, placeholderData: (prev) => prev });
  const t = throughput.data;
  const o = overview.data;
  const last = t?.points.at(-1);

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle={health.data ? `Tributary ${health.data.version} · up ${formatDuration(health.data.uptimeSeconds * 1000)} · cluster ${cluster}` : `cluster ${cluster}`}
      />
      <Health />

      <div className="chart-toolbar">
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={range === r.id} onClick={() => setParam("range", r.id === "15m" ? undefined : r.id)}>
              {r.label}
            </button>
          ))}
        </div>
        <select aria-label="Topic" value={topic ?? ""} onChange={(e) => setParam("topic", e.target.value || undefined)}>
          <option value="">All topics</option>
          {topic && !t?.topics.some((x) => x.topic === topic) && <option value={topic}>{topic}</option>}
          {t?.topics.map((x) => (
            <option key={x.topic} value={x.topic}>
              {x.topic}
            </option>
          ))}
        </select>
        <span className="muted">{range === "15m" ? "live, 1 s resolution" : `from rollups, ${formatDuration(t?.stepMs ?? 0)} steps`}</span>
      </div>

      <ErrorNote error={throughput.error} retry={() => throughput.refetch()} />
      {throughput.isPending ? (
        <Loading label="Loading throughput…" />
      ) : t && !t.available ? (
        <Empty>{t.reason}</Empty>
      ) : t ? (
        <div className="grid cards-2">
          <Card>
            <div className="card-head">
              <h2>Records per second{topic ? ` · ${topic}` : ""}</h2>
              {last && range === "15m" && (
                <span className="muted">
                  in {formatRate(last.recordsIn)} · out {formatRate(last.recordsOut)}
                </span>
              )}
            </div>
            {t.points.length === 0 ? (
              <Empty>No data in this range yet{range !== "15m" ? ": history is rolled up once a minute" : ""}.</Empty>
            ) : (
              <TimeChart label="Records per second" data={t.points} format={(v) => formatRate(v)} lines={[{ key: "recordsIn", label: "in", color: IN }, { key: "recordsOut", label: "out", color: OUT }]} />
            )}
          </Card>
          <Card>
            <div className="card-head">
              <h2>Bytes per second{topic ? ` · ${topic}` : ""}</h2>
              {last && range === "15m" && (
                <span className="muted">
                  in {formatBytesRate(last.bytesIn)} · out {formatBytesRate(last.bytesOut)}
                </span>
              )}
            </div>
            {t.points.length === 0 ? (
              <Empty>No data in this range yet.</Empty>
            ) : (
              <TimeChart label="Bytes per second" data={t.points} format={formatBytesRate} lines={[{ key: "bytesIn", label: "in", color: IN }, { key: "bytesOut", label: "out", color: OUT }]} />
            )}
          </Card>
        </div>
      ) : null}

      <div className="grid cards-2">
        <Card className="dash-card" title={`Top topics by throughput (${range === "15m" ? "last minute" : RANGES.find((r) => r.id === range)!.label})`}>
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
                    <button type="button" className="link" title="Chart this topic" onClick={() => setParam("topic", r.topic)}>
                      {r.topic}
                    </button>
                  ),
                },
                { key: "ri", header: "In", align: "right", sort: (r) => r.recordsIn, render: (r) => formatRate(r.recordsIn) },
                { key: "ro", header: "Out", align: "right", sort: (r) => r.recordsOut, render: (r) => formatRate(r.recordsOut) },
                { key: "bi", header: "Bytes in", align: "right", sort: (r) => r.bytesIn, render: (r) => formatBytesRate(r.bytesIn) },
                { key: "bo", header: "Bytes out", align: "right", sort: (r) => r.bytesOut, render: (r) => formatBytesRate(r.bytesOut) },
              ]}
            />
          ) : (
            <p className="muted">{t?.reason ?? "Loading…"}</p>
          )}
        </Card>
        <Card>
          <div className="card-head">
            <h2>Consumer lag</h2>
            {o?.lag.at && (
              <span className="muted">
                sampled <Time at={o.lag.at} />
              </span>
            )}
          </div>
          <ErrorNote error={overview.error} retry={() => overview.refetch()} />
          {o?.lag.error && <div className="error-note">{o.lag.error}</div>}
          {!o ? (
            <Loading label="Reading consumer groups…" />
          ) : (
            <>
              <div className="stat-row">
                <div>
                  <div className="stat" data-testid="total-lag" title={`${o.lag.total.toLocaleString()} records`}>
                    {formatCount(o.lag.total)}
                  </div>
                  <div className="stat-label">records behind, {o.lag.groups} groups</div>
                </div>
              </div>
              {o.lag.groups > 0 && o.lag.series.length > 1 && <TimeChart label="Total consumer lag" data={o.lag.series} height={120} format={formatCount} lines={[{ key: "v", label: "lag", color: "#d97706" }]} />}
              <DataTable
                rows={o.lag.top}
                rowKey={(r) => r.groupId}
                empty="No consumer groups on this cluster."
                columns={[
                  { key: "g", header: "Most lagging groups", sort: (r) => r.groupId, render: (r) => <Link href={withCluster(`/groups/${encodeURIComponent(r.groupId)}`)}>{r.groupId}</Link> },
                  { key: "s", header: "State", sort: (r) => r.state, render: (r) => r.state },
                  { key: "l", header: "Lag", align: "right", sort: (r) => r.lag, render: (r) => <span title={r.lag.toLocaleString()}>{formatCount(r.lag)}</span> },
                ]}
              />
            </>
          )}
        </Card>
      </div>

      <div className="grid cards-3">
        <Card title="Disk used per topic" className="dash-card">
          {!o ? (
            <Loading />
          ) : !o.disk ? (
            <p className="muted">{o.brokerNote}</p>
          ) : (
            <DataTable
              rows={o.disk.slice(0, 10)}
              rowKey={(r) => r.topic}
              empty="No topics yet."
              columns={[
                { key: "t", header: "Topic", sort: (r) => r.topic, render: (r) => r.topic },
                { key: "p", header: "Partitions", align: "right", sort: (r) => r.partitions, render: (r) => r.partitions },
                { key: "b", header: "Size", align: "right", sort: (r) => r.bytes, render: (r) => <span title={`${r.bytes.toLocaleString()} bytes`}>{formatBytes(r.bytes)}</span> },
              ]}
            />
          )}
        </Card>
        <Card>
          <div className="card-head">
            <h2>Connections</h2>
            {o?.connections && <span className="stat" data-testid="connections">{formatCount(o.connections.current)}</span>}
          </div>
          {!o ? (
            <Loading />
          ) : !o.connections ? (
            <p className="muted">{o.brokerNote}</p>
          ) : o.connections.series.length > 1 ? (
            <TimeChart label="Open connections" data={o.connections.series} height={150} format={formatCount} lines={[{ key: "v", label: "connections", color: "#7c3aed" }]} />
          ) : (
            <p className="muted">Collecting…</p>
          )}
        </Card>
        {o && o.cdcSlots.length > 0 && (
          <Card title="Change data capture slots" className="dash-card">
            {o.cdcSlots.some((c) => c.stale) && (
              <ErrorNote
                error={{
                  message: `A replication slot is more than ${formatBytes(o.staleSlotBytes)} behind: Postgres keeps its WAL until the CDC source reads it, and a stale slot fills the database server's disk. Start the flow again, or drop the slot of a source you removed.`,
                }}
              />
            )}
            <DataTable
              rows={o.cdcSlots}
              rowKey={(r) => `${r.source}/${r.slot}`}
              columns={[
                { key: "s", header: "Source", sort: (r) => r.source, render: (r) => r.source },
                { key: "l", header: "Slot", sort: (r) => r.slot, render: (r) => r.slot },
                { key: "b", header: "WAL held", align: "right", sort: (r) => r.lagBytes, render: (r) => <span data-testid={`slot-lag-${r.slot}`}>{formatBytes(r.lagBytes)}</span> },
              ]}
            />
          </Card>
        )}
        <Card title="Agents' event rates" className="dash-card">
          {!o ? (
            <Loading />
          ) : (
            <DataTable
              rows={o.agents}
              rowKey={(r) => `${r.agent}/${r.flow}/${r.kind}/${r.component}`}
              empty={
                <>
                  No flows running. <Link href="/flows">Design a flow</Link>.
                </>
              }
              columns={[
                { key: "f", header: "Flow", sort: (r) => r.flow, render: (r) => `${r.agent} · ${r.flow}` },
                { key: "c", header: "Component", sort: (r) => r.component, render: (r) => `${r.kind} ${r.component}` },
                { key: "r", header: "Events/s", align: "right", sort: (r) => r.rate, render: (r) => formatRate(r.rate, "ev") },
              ]}
            />
          )}
        </Card>
      </div>
    </>
  );
}
