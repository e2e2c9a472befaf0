import { ErrorCode, KafkaError } from "../kafka/errors";
import type { LeadershipChange, PartitionLeadership } from "./election";

/** A partition's replica set as the store holds it, with the reassignment in progress if any. */
export interface ReplicaSet extends PartitionLeadership {
  addingReplicas: number[];
  removingReplicas: number[];
}

/**
 * The rules of Kafka's partition reassignment (KIP-455), decided on one partition's row:
 * starting sets replicas to the target followed by the original ones leaving, with the adding and
 * removing sets; the controller completes once every target replica is in the ISR; cancelling
 * reverts to the original replicas. Every change is applied by compare-and-set on the partition epoch.
 */
export function reassigning(p: ReplicaSet): boolean {
  return p.addingReplicas.length > 0 || p.removingReplicas.length > 0;
}

/** The replicas the partition had before the reassignment in progress (its replicas when none is). */
export function originalReplicas(p: ReplicaSet): number[] {
  return p.replicas.filter((id) => !p.addingReplicas.includes(id));
}

/** The replicas the reassignment in progress moves to (its replicas when none is). */
export function targetReplicas(p: ReplicaSet): number[] {
  return p.replicas.filter((id) => !p.removingReplicas.includes(id));
}

/** A new replica set keeping the leader if it stays, else the first in-sync replica (a new leader epoch); -1 when none. */
function withReplicas(p: ReplicaSet, replicas: number[], addingReplicas: number[], removingReplicas: number[], alive: ReadonlySet<number>): LeadershipChange {
  const isr = replicas.filter((id) => p.isr.includes(id));
  const keeps = p.leader !== -1 && replicas.includes(p.leader);
  const leader = keeps ? p.leader : (isr.find((id) => alive.has(id)) ?? -1);
  return { leader, isr, leaderEpochBump: leader !== p.leader, reassignment: { replicas, addingReplicas, removingReplicas } };
}

/**
 * Starts (or replaces) a reassignment to `target`, whose brokers must be alive.
 * Counted from the original replicas, so a second reassignment of a partition replaces the first.
 * When every target replica is already in sync (only removals) it completes at once.
 */
export function startReassignment(p: ReplicaSet, target: readonly number[], alive: ReadonlySet<number>): LeadershipChange | KafkaError {
  if (!target.length) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "the target replicas are empty");
  if (new Set(target).size !== target.length) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `the target replicas [${target.join(", ")}] repeat a broker`);
  const unknown = target.find((id) => !alive.has(id));
  if (unknown !== undefined) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `broker ${unknown} is not a live broker of this cluster (live: ${[...alive].join(", ")})`);
  const original = originalReplicas(p);
  const removing = original.filter((id) => !target.includes(id));
  const change = withReplicas(p, [...target, ...removing], target.filter((id) => !original.includes(id)), removing, alive);
  if (!change.isr.length) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `no replica of the new set [${target.join(", ")}] is in sync`);
  return completeReassignment({ ...p, ...change.reassignment!, leader: change.leader, isr: change.isr }, alive, change) ?? change;
}

/** Cancels the reassignment in progress: back to the original replicas; the replicas it added stop. */
export function cancelReassignment(p: ReplicaSet, alive: ReadonlySet<number>): LeadershipChange | KafkaError {
  if (!reassigning(p)) return new KafkaError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "no reassignment of this partition is in progress");
  const original = originalReplicas(p);
  if (!original.some((id) => p.isr.includes(id))) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `no original replica [${original.join(", ")}] is in sync any more; reassign instead of cancelling`);
  return withReplicas(p, original, [], [], alive);
}

/**
 * The controller's completion: once every target replica is in the ISR the removed ones leave
 * (the leader moves to the first live target replica if it was removed). Null while not yet.
 * `base` carries the change that started the reassignment, when it completes at once.
 */
export function completeReassignment(p: ReplicaSet, alive: ReadonlySet<number>, base?: LeadershipChange): LeadershipChange | null {
  if (!reassigning(p)) return null;
  const target = targetReplicas(p);
  if (!target.every((id) => p.isr.includes(id))) return null;
  if (!target.includes(p.leader) && !target.some((id) => alive.has(id))) return null;
  const done = withReplicas(p, target, [], [], alive);
  return base ? { ...done, leaderEpochBump: done.leaderEpochBump || base.leaderEpochBump } : done;
}
