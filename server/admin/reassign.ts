/**
 * Partition reassignment, broker drains and preferred leader elections as the console previews and
 * applies them, over the Kafka protocol only (Metadata, DescribeCluster, DescribeLogDirs,
 * AlterPartitionReassignments, ListPartitionReassignments, ElectLeaders), so they work on any
 * Kafka cluster, as `kafka-reassign-partitions` and `kafka-leader-election` do.
 */
import type { PlacementBroker } from "../cluster/assignment";
import { KafkaClientError, type KafkaClient, type MetadataSnapshot, type PartitionInfo } from "../kafka/client";
import { ErrorCode, errorName } from "../kafka/errors";
import { partitionSize, replicaSizes, type ReplicaSizes } from "./topics";

/** A plan the person must correct (too few brokers, an unknown partition); shown as it is. */
export class ReassignError extends Error {}
/** The cluster changed since the preview: preview again. */
export class StaleMoveError extends ReassignError {}

export interface Move {
  topic: string;
  partition: number;
  /** The replicas now, the preferred leader first. */
  from: number[];
  /** The replicas after the move, the preferred leader first. */
  to: number[];
}

export interface PlannedMove extends Move {
  leader: number;
  /** Who leads once the move completes: the leader if it stays, else the first target replica. */
  leaderAfter: number;
  /** Bytes the added replicas copy from the leader (its replica's size once per added broker); null when the cluster withholds sizes. */
  bytesToCopy: number | null;
}

export interface MovePlan {
  moves: PlannedMove[];
  totals: { partitions: number; leadershipMoves: number; bytesToCopy: number | null };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const byPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1);

function partitionOf(md: MetadataSnapshot, topic: string, partition: number): PartitionInfo {
  const p = md.topics.find((t) => t.name === topic)?.partitions.find((x) => x?.partition === partition);
  if (!p) throw new ReassignError(`${topic}-${partition} does not exist on this cluster.`);
  return p;
}

/** Current → target replicas with the leadership change and the bytes to copy; pure. */
export function planMoves(md: MetadataSnapshot, sizes: ReplicaSizes | null, targets: { topic: string; partition: number; replicas: number[] }[]): MovePlan {
  const live = new Set(md.brokers.map((b) => b.nodeId));
  const moves: PlannedMove[] = [];
  for (const t of [...targets].sort(byPartition)) {
    const p = partitionOf(md, t.topic, t.partition);
    if (!t.replicas.length) throw new ReassignError(`${t.topic}-${t.partition}: name at least one target broker.`);
    if (new Set(t.replicas).size !== t.replicas.length) throw new ReassignError(`${t.topic}-${t.partition}: the target [${t.replicas.join(", ")}] names a broker twice.`);
    const dead = t.replicas.find((id) => !live.has(id));
    if (dead !== undefined) throw new ReassignError(`${t.topic}-${t.partition}: broker ${dead} is not a live broker (live: ${[...live].sort((a, b) => a - b).join(", ")}).`);
    if (same(p.replicas, t.replicas)) continue;
    const added = t.replicas.filter((id) => !p.replicas.includes(id)).length;
    const size = partitionSize(sizes, t.topic, p);
    const leaderAfter = t.replicas.includes(p.leader) ? p.leader : t.replicas[0];
    moves.push({ topic: t.topic, partition: t.partition, from: p.replicas, to: t.replicas, leader: p.leader, leaderAfter, bytesToCopy: size === null ? null : size * added });
  }
  return totalled(moves);
}

function totalled(moves: PlannedMove[]): MovePlan {
  const known = moves.every((m) => m.bytesToCopy !== null);
  return {
    moves,
    totals: { partitions: moves.length, leadershipMoves: moves.filter((m) => m.leaderAfter !== m.leader).length, bytesToCopy: known ? moves.reduce((n, m) => n + m.bytesToCopy!, 0) : null },
  };
}

/**
 * Every replica on broker `nodeId` moves to another live broker: the broker that keeps the rack
 * spread (a rack the partition has no replica in, while one remains) and holds the fewest replicas
 * so far, so a drain spreads its load. The replication factor stays. The replacement joins at the
 * end of the list, so the preferred leader (and the leader after the move) is a replica that
 * already has the data. Throws when fewer brokers remain than a partition has replicas.
 */
export function planDrain(md: MetadataSnapshot, brokers: PlacementBroker[], sizes: ReplicaSizes | null, nodeId: number): MovePlan {
  const others = brokers.filter((b) => b.nodeId !== nodeId);
  const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack ?? ""]));
  const load = new Map(others.map((b) => [b.nodeId, 0]));
  const onIt: { topic: string; p: PartitionInfo }[] = [];
  for (const t of md.topics) {
    for (const p of t.partitions.filter(Boolean)) {
      for (const r of p.replicas) if (load.has(r)) load.set(r, load.get(r)! + 1);
      if (p.replicas.includes(nodeId)) onIt.push({ topic: t.name, p });
    }
  }
  const widest = Math.max(0, ...onIt.map((x) => x.p.replicas.length));
  if (onIt.length && others.length < widest) {
    throw new ReassignError(
      `Broker ${nodeId} holds replicas of partitions with replication factor ${widest}, but only ${others.length} other live broker${others.length === 1 ? "" : "s"} remain${others.length === 1 ? "s" : ""} (${others.map((b) => b.nodeId).join(", ") || "none"}). Add a broker, or lower those topics' replication factor, before draining broker ${nodeId}.`,
    );
  }
  const targets = onIt.sort((a, b) => byPartition({ topic: a.topic, partition: a.p.partition }, { topic: b.topic, partition: b.p.partition })).map(({ topic, p }) => {
    const kept = p.replicas.filter((id) => id !== nodeId);
    const racks = new Set(kept.map((id) => rackOf.get(id) ?? ""));
    const candidates = others.filter((b) => !kept.includes(b.nodeId)).sort((a, b) => load.get(a.nodeId)! - load.get(b.nodeId)! || a.nodeId - b.nodeId);
    const pick = candidates.find((b) => !racks.has(b.rack ?? "")) ?? candidates[0];
    load.set(pick.nodeId, load.get(pick.nodeId)! + 1);
    return { topic, partition: p.partition, replicas: [...kept, pick.nodeId] };
  });
  return planMoves(md, sizes, targets);
}

/** Replica sizes when the cluster tells them: a broker refusing DescribeLogDirs (just died, no Describe right) leaves the bytes unknown, not the preview. */
async function sizesOrNull(client: KafkaClient): Promise<ReplicaSizes | null> {
  try {
    return await replicaSizes(client, null);
  } catch (err) {
    if (err instanceof KafkaClientError) return null;
    throw err;
  }
}

/** What a preview reads: brokers with racks (DescribeCluster), partitions (Metadata), sizes (DescribeLogDirs). */
async function picture(client: KafkaClient) {
  const [cluster, md, sizes] = await Promise.all([client.admin.describeCluster(), client.admin.metadata(), sizesOrNull(client)]);
  return { md: { ...md, brokers: cluster.brokers }, sizes };
}

export async function previewMoves(client: KafkaClient, targets: { topic: string; partition: number; replicas: number[] }[]): Promise<MovePlan> {
  const { md, sizes } = await picture(client);
  return planMoves(md, sizes, targets);
}

export async function previewDrain(client: KafkaClient, nodeId: number): Promise<MovePlan> {
  const { md, sizes } = await picture(client);
  return planDrain(md, md.brokers, sizes, nodeId);
}

/**
 * Starts the moves the person approved, after checking each partition still has the replicas the
 * preview showed; a partition that changed meanwhile refuses the whole apply.
 */
export async function applyMoves(client: KafkaClient, moves: Move[]): Promise<Move[]> {
  if (!moves.length) throw new ReassignError("Nothing to move: the preview has no partition whose replicas change.");
  const md = await client.admin.metadata([...new Set(moves.map((m) => m.topic))]);
  const changed = moves.filter((m) => !same(partitionOf(md, m.topic, m.partition).replicas, m.from));
  if (changed.length) {
    throw new StaleMoveError(`The replicas of ${changed.map((m) => `${m.topic}-${m.partition}`).join(", ")} changed since the preview; preview again.`);
  }
  await client.admin.alterPartitionReassignments(moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.to })));
  return moves;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
  /** Bytes the adding replicas hold of what they copy (the leader's replica once per adding broker); null without sizes. */
  copiedBytes: number | null;
  totalBytes: number | null;
}

/** The reassignments in progress with how far their new replicas have copied. */
export async function ongoingReassignments(client: KafkaClient): Promise<OngoingReassignment[]> {
  const listed = await client.admin.listPartitionReassignments();
  if (!listed.length) return [];
  const [md, sizes] = await Promise.all([client.admin.metadata([...new Set(listed.map((r) => r.topic))]), sizesOrNull(client)]);
  return listed
    .map((r) => {
      const p = md.topics.find((t) => t.name === r.topic)?.partitions.find((x) => x?.partition === r.partition);
      const size = p ? partitionSize(sizes, r.topic, p) : null;
      const held = sizes?.get(r.topic)?.get(r.partition);
      const copied = sizes && size !== null ? r.addingReplicas.reduce((n, id) => n + Math.min(size, held?.get(id) ?? 0), 0) : null;
      return { ...r, copiedBytes: copied, totalBytes: size === null ? null : size * r.addingReplicas.length };
    })
    .sort(byPartition);
}

export async function cancelReassignments(client: KafkaClient, partitions: { topic: string; partition: number }[]): Promise<void> {
  if (!partitions.length) throw new ReassignError("Choose the reassignments to cancel.");
  await client.admin.alterPartitionReassignments(partitions.map((p) => ({ ...p, replicas: null })));
}

export interface PlannedElection {
  topic: string;
  partition: number;
  leader: number;
  preferred: number;
  /** Why the election will fail, when it will: the preferred replica is not alive or not in sync. */
  blocked: string | null;
}

/** Partitions whose leader is not their first (preferred) replica; pure. */
export function planElection(md: MetadataSnapshot): PlannedElection[] {
  const live = new Set(md.brokers.map((b) => b.nodeId));
  const out: PlannedElection[] = [];
  for (const t of md.topics) {
    for (const p of t.partitions.filter(Boolean)) {
      const preferred = p.replicas[0];
      if (preferred === undefined || p.leader === preferred) continue;
      const blocked = !live.has(preferred) ? `broker ${preferred} is not alive` : !p.isr.includes(preferred) ? `broker ${preferred} is not in sync` : null;
      out.push({ topic: t.name, partition: p.partition, leader: p.leader, preferred, blocked });
    }
  }
  return out.sort(byPartition);
}

export async function previewElection(client: KafkaClient): Promise<PlannedElection[]> {
  const [cluster, md] = await Promise.all([client.admin.describeCluster(), client.admin.metadata()]);
  return planElection({ ...md, brokers: cluster.brokers });
}

/** Kafka's answers to one partition's election, as a sentence. */
const ELECTION_WORDS = new Map<number, string>([
  [ErrorCode.NONE, "elected: the preferred replica leads"],
  [ErrorCode.ELECTION_NOT_NEEDED, "already led by its preferred replica"],
  [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "the preferred replica is not alive or not in sync; wait for it to catch up and try again"],
  [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, "no replica that may lead is alive"],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "the partition no longer exists"],
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "the console's user may not run elections (Alter on the cluster)"],
]);

export interface ElectionOutcome {
  topic: string;
  partition: number;
  ok: boolean;
  /** Kafka's error name, NONE when elected. */
  error: string;
  words: string;
}

export async function electPreferred(client: KafkaClient, partitions: { topic: string; partition: number }[]): Promise<ElectionOutcome[]> {
  if (!partitions.length) throw new ReassignError("Every partition is led by its preferred replica: there is nothing to elect.");
  const results = await client.admin.electLeaders("preferred", partitions);
  return results
    .map((r) => ({
      topic: r.topic,
      partition: r.partition,
      ok: r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.ELECTION_NOT_NEEDED,
      error: errorName(r.errorCode),
      words: ELECTION_WORDS.get(r.errorCode) ?? r.errorMessage ?? errorName(r.errorCode),
    }))
    .sort(byPartition);
}
