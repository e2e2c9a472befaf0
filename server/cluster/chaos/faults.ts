/**
 * The faults a chaos run injects, drawn from a seed so a failing run can be replayed exactly.
 * A small PRNG of our own (mulberry32): runs must replay bit for bit across Node versions, and
 * Math.random cannot be seeded.
 */

export type FaultKind = "kill" | "pause" | "terminate";

export interface Fault {
  /** When the fault starts, from the start of the run. */
  atMs: number;
  kind: FaultKind;
  nodeId: number;
  /** How long the broker stays down (killed or terminated: until restarted; paused: until SIGCONT). */
  downMs: number;
}

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  nodeIds: readonly number[];
  /** Pauses last past the broker lease, so the paused one loses leadership. */
  sessionTimeoutMs: number;
  /** Mean gap between fault starts. */
  meanGapMs: number;
}

export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Faults over the run: random gaps around the mean, random kinds and brokers, one broker down at a
 * time (with RF=3 and min.insync.replicas=2 acks=all stays writable), each over before the run
 * ends (the last stretch is quiet, so the cluster heals before the final read).
 */
export function schedule(o: ScheduleOptions): Fault[] {
  const next = random(o.seed);
  const kinds: FaultKind[] = ["kill", "pause", "terminate"];
  const faults: Fault[] = [];
  const downUntil = new Map<number, number>();
  for (let at = o.meanGapMs * (0.5 + next()); at < o.durationMs; at += o.meanGapMs * (0.5 + next())) {
    const kind = kinds[Math.floor(next() * kinds.length)];
    const downMs = kind === "pause" ? o.sessionTimeoutMs * (1.2 + next()) : o.sessionTimeoutMs * (0.3 + 1.5 * next());
    if (at + downMs > o.durationMs) break;
    if ([...downUntil.values()].some((until) => until > at)) continue;
    const nodeId = o.nodeIds[Math.floor(next() * o.nodeIds.length)];
    downUntil.set(nodeId, at + downMs);
    faults.push({ atMs: Math.round(at), kind, nodeId, downMs: Math.round(downMs) });
  }
  return faults;
}
