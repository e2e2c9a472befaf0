/** The leadership of one partition as the store holds it. */
export interface PartitionLeadership {
  replicas: number[];
  /** -1 when offline. */
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export interface LeadershipChange {
  leader: number;
  isr: number[];
  /** A new leader (or none) starts a new leader epoch; an ISR change alone does not. */
  leaderEpochBump: boolean;
  /** A reassignment's new replica set (reassignment.ts); absent when the replicas stay. */
  reassignment?: { replicas: number[]; addingReplicas: number[]; removingReplicas: number[] };
}

/**
 * What the controller changes in a partition given which brokers are alive, or null for nothing:
 * dead brokers leave the ISR (as a fenced broker does in Kafka); a dead or missing leader is
 * replaced by the first live ISR member in replica order; with none alive the partition goes
 * offline, keeping its last ISR so that member leads again when it returns, unless unclean
 * election is allowed, which elects the first live replica and accepts what it lacks as lost.
 */
export function electLeader(p: PartitionLeadership, alive: ReadonlySet<number>, uncleanElection: boolean): LeadershipChange | null {
  const liveIsr = p.isr.filter((id) => alive.has(id));
  if (p.leader !== -1 && alive.has(p.leader)) {
    if (liveIsr.length === p.isr.length) return null;
    return { leader: p.leader, isr: liveIsr, leaderEpochBump: false };
  }
  const clean = p.replicas.find((id) => liveIsr.includes(id));
  if (clean !== undefined) return { leader: clean, isr: liveIsr, leaderEpochBump: true };
  const unclean = uncleanElection ? p.replicas.find((id) => alive.has(id)) : undefined;
  if (unclean !== undefined) return { leader: unclean, isr: [unclean], leaderEpochBump: true };
  if (p.leader === -1) return null;
  // Offline: keep the last ISR (the dead leader among it) so its return brings the partition back cleanly.
  return { leader: -1, isr: p.isr.length ? p.isr : [p.leader], leaderEpochBump: true };
}

/** Why an election asked for by an operator (ElectLeaders) changes nothing, as a Kafka error code name. */
export type ElectionRefusal = "ELECTION_NOT_NEEDED" | "PREFERRED_LEADER_NOT_AVAILABLE" | "ELIGIBLE_LEADERS_NOT_AVAILABLE";

/**
 * A preferred leader election: the first replica leads again (after it was away and came back),
 * provided it is alive and in the ISR, so nothing acknowledged is lost.
 */
export function electPreferred(p: PartitionLeadership, alive: ReadonlySet<number>): LeadershipChange | ElectionRefusal {
  const preferred = p.replicas[0];
  if (p.leader === preferred) return "ELECTION_NOT_NEEDED";
  if (preferred === undefined || !alive.has(preferred) || !p.isr.includes(preferred)) return "PREFERRED_LEADER_NOT_AVAILABLE";
  return { leader: preferred, isr: p.isr.filter((id) => alive.has(id)), leaderEpochBump: true };
}

/**
 * An unclean election asked for by an operator: only for a partition without a live leader; a
 * live ISR member is still preferred, else the first live replica leads, accepting what it lacks
 * as lost (whatever the topic's unclean.leader.election.enable says).
 */
export function electUnclean(p: PartitionLeadership, alive: ReadonlySet<number>): LeadershipChange | ElectionRefusal {
  if (p.leader !== -1 && alive.has(p.leader)) return "ELECTION_NOT_NEEDED";
  const change = electLeader(p, alive, true);
  return change && change.leader !== -1 ? change : "ELIGIBLE_LEADERS_NOT_AVAILABLE";
}
