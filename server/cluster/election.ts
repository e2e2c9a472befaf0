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
