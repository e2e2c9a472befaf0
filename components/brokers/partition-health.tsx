import "./brokers.css";

/** A partition as Metadata describes its replication. */
export interface ReplicatedPartition {
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Fewer in-sync replicas than assigned: one more broker lost may lose acknowledged writes. */
export const underReplicated = (p: ReplicatedPartition) => p.isr.length < p.replicas.length;
/** No leader: neither producers nor consumers can use it. */
export const offline = (p: ReplicatedPartition) => p.leader < 0;

/** How many partitions lack a leader, and how many an in-sync replica. */
export function replicationCounts(partitions: ReplicatedPartition[]): { offline: number; underReplicated: number } {
  return { offline: partitions.filter(offline).length, underReplicated: partitions.filter(underReplicated).length };
}

/** The replicas missing from the ISR. */
export const outOfSync = (p: ReplicatedPartition) => p.replicas.filter((r) => !p.isr.includes(r));

/** The ISR, flagged when it is short of the replica set. */
export function PartitionIsr({ p }: { p: ReplicatedPartition }) {
  return (
    <>
      {p.isr.length ? p.isr.join(", ") : <span className="muted">none</span>}
      {underReplicated(p) && <span className="badge denied" title={`replicas ${outOfSync(p).join(", ")} are not in sync`}>under-replicated</span>}
    </>
  );
}

/** One line above a partitions table that says whether anything needs looking at. */
export function ReplicationSummary({ partitions }: { partitions: ReplicatedPartition[] }) {
  const { offline: off, underReplicated: under } = replicationCounts(partitions);
  if (!under && !off) return <p className="hint muted">Every partition has its full ISR and a leader.</p>;
  return (
    <p className="hint" data-testid="replication-summary">
      {off > 0 && <span className="error-text">{off} offline (no leader). </span>}
      {under > 0 && <span className="warn-text">{under} under-replicated (ISR smaller than the replicas).</span>}
    </p>
  );
}
