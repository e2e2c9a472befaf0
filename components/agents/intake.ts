type Metrics = Record<string, Record<string, Record<string, number | string>>>;

/** What the agents list says of one agent that matters for its rate. */
export interface AgentReport {
  id: number;
  lastHeartbeatAt: string | Date | null;
  metrics: Metrics;
}

/** Each agent's intake in events per second, from two successive heartbeats of its counters. */
interface Intake {
  /** The list these rates were computed from; a new one advances them. */
  reports: AgentReport[] | null;
  last: ReadonlyMap<number, { at: number; n: number }>;
  rates: ReadonlyMap<number, number>;
}

export const NO_INTAKE: Intake = { reports: null, last: new Map(), rates: new Map() };

/** Events accepted by all sources of all flows on an agent: the agent's intake. */
function accepted(metrics: Metrics): number {
  let n = 0;
  for (const flow of Object.values(metrics)) for (const [k, c] of Object.entries(flow)) if (k.startsWith("SOURCE.")) n += Number(c.EventAcceptedCount) || 0;
  return n;
}

/** The rates after a new list: a new heartbeat gives a new rate; the same heartbeat seen again keeps the last one. */
export function advanceIntake(prev: Intake, reports: AgentReport[]): Intake {
  const last = new Map(prev.last);
  const rates = new Map<number, number>();
  for (const a of reports) {
    const at = a.lastHeartbeatAt ? new Date(a.lastHeartbeatAt).getTime() : 0;
    const n = accepted(a.metrics);
    const p = prev.last.get(a.id);
    if (p && at > p.at) rates.set(a.id, Math.max(0, (n - p.n) / ((at - p.at) / 1000)));
    else if (p) rates.set(a.id, prev.rates.get(a.id) ?? 0);
    if (!p || at > p.at) last.set(a.id, { at, n });
  }
  return { reports, last, rates };
}
