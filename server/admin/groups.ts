import { KafkaClientError, type CommittedOffset, type GroupDescription, type KafkaClient, type TopicInfo } from "../kafka/client";
import { ListOffsetsTimestamp } from "../kafka/constants";
import { ErrorCode } from "../kafka/errors";
import { planReset, ResetError, strategyTimestamp, type PartitionState, type ResetPlan, type ResetStrategy } from "./offset-reset";
import { partitionKey } from "../kafka/partition-key";
import { offsetsAt } from "./topics";

/**
 * Consumer groups as kafka-consumer-groups shows them, read over the Kafka protocol so the same
 * code serves the embedded broker and any other cluster: state, members, committed offsets, lag.
 */

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: { topic: string; partitions: number[] }[];
}

export interface GroupSummary {
  groupId: string;
  state: string;
  protocolType: string;
  /** The partition assignor the members agreed on (range, roundrobin, …). */
  assignor: string;
  members: number;
  topics: string[];
  /** Sum of per-partition lag; a partition without a committed offset counts its records from the log start. */
  lag: number;
  partitions: number;
  /** Partitions of the group's topics it has never committed on. */
  noOffset: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Null: the group has not committed here; its consumer starts where its auto.offset.reset says (log start or end). */
  committed: number | null;
  logStart: number;
  logEnd: number;
  /** Records between the committed offset (or, without one, the log start) and the log end. */
  lag: number;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

export interface GroupDetail extends GroupSummary {
  memberList: GroupMember[];
  offsets: PartitionLag[];
}

export class GroupError extends Error {}
/** The group still has members, so it cannot be reset or deleted. */
export class GroupBusyError extends GroupError {}

/**
 * Lag clamped at the log start: records deleted by retention are not lag anybody can read. A
 * partition the group never committed on lags by all its records: nobody has read them, and a
 * consumer with auto.offset.reset=earliest would.
 */
export function lagOf(committed: number | null, logStart: number, logEnd: number): number {
  return Math.max(0, logEnd - Math.max(committed ?? logStart, logStart));
}

function membersOf(g: GroupDescription): GroupMember[] {
  return g.members.map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    host: m.clientHost,
    assignment: m.assignment.map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) })),
  }));
}

/** Log start and end per topic and partition. */
export type Watermarks = Map<string, Map<number, { low: number; high: number }>>;

/**
 * Log start and end of every partition of the topics: one Metadata, then two ListOffsets per
 * leader. A committed offset can outlive its topic; such a topic has no log to lag behind.
 */
export async function watermarks(client: KafkaClient, topics: Iterable<string>, cache: Watermarks = new Map()): Promise<Watermarks> {
  const wanted = [...new Set(topics)].filter((t) => !cache.has(t));
  if (wanted.length === 0) return cache;
  await watermarksOf(client, (await client.admin.metadata(wanted)).topics, cache);
  // A topic the cluster does not know has no partitions, rather than no answer.
  for (const t of wanted) if (!cache.has(t)) cache.set(t, new Map());
  return cache;
}

/** The same, for topics whose metadata the caller has just read (the lag sampler's pass reads every topic's anyway). */
export async function watermarksOf(client: KafkaClient, topics: readonly TopicInfo[], cache: Watermarks = new Map()): Promise<Watermarks> {
  const wanted = topics.filter((t) => !cache.has(t.name));
  const positions = wanted.flatMap((t) => t.partitions.filter(Boolean).map((p) => ({ topic: t.name, partition: p.partition })));
  const [low, high] = positions.length
    ? await Promise.all([offsetsAt(client, positions, ListOffsetsTimestamp.EARLIEST), offsetsAt(client, positions, ListOffsetsTimestamp.LATEST)])
    : [new Map<string, number>(), new Map<string, number>()];
  for (const t of wanted) cache.set(t.name, new Map());
  for (const { topic, partition } of positions) {
    cache.get(topic)!.set(partition, { low: low.get(partitionKey(topic, partition)) ?? 0, high: high.get(partitionKey(topic, partition)) ?? 0 });
  }
  return cache;
}

function detailOf(g: GroupDescription, committed: CommittedOffset[], marks: Watermarks): GroupDetail {
  const members = membersOf(g);
  const owner = new Map<string, GroupMember>();
  for (const m of members) for (const a of m.assignment) for (const p of a.partitions) owner.set(partitionKey(a.topic, p), m);
  const rows = new Map<string, PartitionLag>();
  const row = (topic: string, partition: number, c: number | null): PartitionLag => {
    const w = marks.get(topic)?.get(partition) ?? { low: 0, high: 0 };
    const m = owner.get(partitionKey(topic, partition));
    return { topic, partition, committed: c, logStart: w.low, logEnd: w.high, lag: lagOf(c, w.low, w.high), memberId: m?.memberId ?? null, clientId: m?.clientId ?? null, host: m?.host ?? null };
  };
  for (const c of committed) rows.set(partitionKey(c.topic, c.partition), row(c.topic, c.partition, c.offset));
  // Every partition of the topics the group reads, committed on or not, assigned or not.
  for (const topic of groupTopics(g, committed)) {
    for (const p of marks.get(topic)?.keys() ?? []) if (!rows.has(partitionKey(topic, p))) rows.set(partitionKey(topic, p), row(topic, p, null));
  }
  for (const m of members) {
    for (const a of m.assignment) for (const p of a.partitions) if (!rows.has(partitionKey(a.topic, p))) rows.set(partitionKey(a.topic, p), row(a.topic, p, null));
  }
  const offsets = [...rows.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return {
    groupId: g.groupId,
    state: g.state,
    protocolType: g.protocolType,
    assignor: g.protocol,
    members: members.length,
    memberList: members,
    topics: [...new Set(offsets.map((o) => o.topic))].sort(),
    lag: offsets.reduce((n, o) => n + o.lag, 0),
    partitions: offsets.length,
    noOffset: offsets.filter((o) => o.committed === null).length,
    offsets,
  };
}

/** The topics a group has committed offsets in or is assigned partitions of. */
function groupTopics(g: GroupDescription | undefined, committed: CommittedOffset[]): string[] {
  return [...new Set(committed.map((c) => c.topic).concat((g?.members ?? []).flatMap((m) => m.assignment.map((a) => a.topic))))];
}

/** Every group of a cluster with its state and total lag, in one pass. */
export async function listGroups(client: KafkaClient): Promise<GroupSummary[]> {
  return (await groupDetails(client)).map(summaryOf);
}

export function summaryOf({ memberList: _m, offsets: _o, ...summary }: GroupDetail): GroupSummary {
  return summary;
}

/**
 * Every group with its partitions' committed offsets and lag, in one pass. `marks` are watermarks
 * already read this pass (the throughput sampler reads every partition's): only topics missing
 * from them are asked for.
 */
export async function groupDetails(client: KafkaClient, marks?: Watermarks): Promise<GroupDetail[]> {
  const ids = (await client.admin.listGroups()).map((g) => g.groupId);
  if (ids.length === 0) return [];
  const [described, committed] = await Promise.all([client.admin.describeGroups(ids), Promise.all(ids.map((id) => client.admin.fetchOffsets(id)))]);
  const read = await watermarks(client, described.flatMap((g, i) => groupTopics(g, committed[i])), marks);
  return described.map((g, i) => detailOf(g, committed[i], read)).sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
}

async function describeOne(client: KafkaClient, groupId: string): Promise<GroupDescription> {
  const [g] = await client.admin.describeGroups([groupId]);
  if (!g || g.state === "Dead") throw new GroupError(`No consumer group "${groupId}" on this cluster; pick one from the list.`);
  return g;
}

export async function describeGroup(client: KafkaClient, groupId: string): Promise<GroupDetail> {
  const g = await describeOne(client, groupId);
  const committed = await client.admin.fetchOffsets(groupId);
  const marks = await watermarks(client, groupTopics(g, committed));
  return detailOf(g, committed, marks);
}

/** Which partitions a reset touches, as the tool's --all-topics / --topic t / --topic t:0,1. */
export type ResetScope = { kind: "all-topics" } | { kind: "topic"; topic: string; partitions?: number[] };

export interface ResetPreview extends ResetPlan {
  groupId: string;
  state: string;
  /** Who still holds the group; a reset runs only when this is empty. */
  members: { memberId: string; clientId: string; host: string }[];
}

async function partitionStates(client: KafkaClient, group: GroupDescription | undefined, groupId: string, scope: ResetScope, strategy: ResetStrategy, now: number): Promise<PartitionState[]> {
  const committed = await client.admin.fetchOffsets(groupId);
  const committedOf = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]));
  let wanted: { topic: string; partition: number }[];
  const marks = new Map() as Watermarks;
  if (scope.kind === "all-topics" && strategy.kind === "from-file") {
    // Importing a file: its rows are the partitions to reset, whatever the group committed before.
    // A partition named twice takes its last line, as the tool reads the file.
    wanted = [...new Map(strategy.offsets.map((o) => [partitionKey(o.topic, o.partition), { topic: o.topic, partition: o.partition }])).values()];
    if (wanted.length === 0) throw new ResetError("The file has no offsets; each line is topic,partition,offset.");
    await watermarks(client, wanted.map((w) => w.topic), marks);
    for (const w of wanted) {
      if (!marks.get(w.topic)?.has(w.partition)) throw new ResetError(`The file names ${w.topic}-${w.partition}, which does not exist on this cluster; fix that line.`);
    }
  } else if (scope.kind === "all-topics") {
    // Every partition of the group's topics: those it never committed on lag too, and a reset covers them.
    const topics = groupTopics(group, committed);
    if (topics.length === 0) throw new ResetError(`Group "${groupId}" has no committed offsets and no assigned partitions; choose a topic to reset instead of all topics.`);
    await watermarks(client, topics, marks);
    wanted = topics.flatMap((topic) => [...(marks.get(topic)?.keys() ?? [])].map((partition) => ({ topic, partition })));
    // A committed offset can outlive its topic; it stays in scope, as the tool keeps it.
    for (const c of committed) if (!marks.get(c.topic)?.has(c.partition)) wanted.push({ topic: c.topic, partition: c.partition });
  } else {
    await watermarks(client, [scope.topic], marks);
    const parts = marks.get(scope.topic)!;
    if (parts.size === 0) throw new ResetError(`Topic "${scope.topic}" does not exist on this cluster; check the name.`);
    const chosen = scope.partitions?.length ? scope.partitions : [...parts.keys()];
    for (const p of chosen) if (!parts.has(p)) throw new ResetError(`Topic "${scope.topic}" has no partition ${p}; it has ${parts.size}.`);
    wanted = chosen.map((partition) => ({ topic: scope.topic, partition }));
  }
  const ts = strategyTimestamp(strategy, now);
  // -1: no record at or after the time; the plan then goes to the log end.
  const atTs = ts === undefined ? new Map<string, number>() : await offsetsAt(client, wanted, ts);
  return wanted.map(({ topic, partition }) => {
    const key = partitionKey(topic, partition);
    const w = marks.get(topic)?.get(partition) ?? { low: 0, high: 0 };
    const at = atTs.get(key);
    return { topic, partition, earliest: w.low, latest: w.high, committed: committedOf.get(key), atTimestamp: at !== undefined && at >= 0 ? at : undefined };
  });
}

/** The dry run: what a reset would do, and whether the group is free to take it. */
export async function previewReset(client: KafkaClient, groupId: string, scope: ResetScope, strategy: ResetStrategy, now = Date.now()): Promise<ResetPreview> {
  const [g] = await client.admin.describeGroups([groupId]);
  const states = await partitionStates(client, g, groupId, scope, strategy, now);
  return {
    groupId,
    state: g?.state === "Dead" ? "Empty" : (g?.state ?? "Empty"),
    members: (g?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost })),
    ...planReset(strategy, states),
  };
}

function activeMembersError(groupId: string, state: string, members: ResetPreview["members"]): GroupBusyError {
  const who = members.map((m) => `${m.clientId} (${m.host})`).join(", ");
  return new GroupBusyError(`Group "${groupId}" is ${state} with ${members.length} connected member${members.length === 1 ? "" : "s"}: ${who}. Stop these consumers first, then try again.`);
}

/** The plan a person approved: each partition's new offset; execution refuses if it came out different. */
export type ApprovedPlan = { topic: string; partition: number; next: number }[];

/** Offsets moved between the preview and the execution (the group committed, or the log changed). */
export class StalePreviewError extends ResetError {}

/**
 * Applies a reset: plans it against the offsets as they are now and commits the new offsets,
 * only when the group has no members (as the tool requires); returns the applied plan. With
 * `approved`, the new plan must match what the person previewed, partition for partition.
 */
export async function executeReset(client: KafkaClient, groupId: string, scope: ResetScope, strategy: ResetStrategy, approved?: ApprovedPlan, now = Date.now()): Promise<ResetPreview> {
  const preview = await previewReset(client, groupId, scope, strategy, now);
  if (preview.members.length > 0) throw activeMembersError(groupId, preview.state, preview.members);
  if (preview.partitions.length === 0) {
    throw new ResetError(preview.untouched.length ? `Nothing to reset: ${preview.untouched[0].reason} on any partition in scope.` : "Nothing to reset: the scope holds no partitions.");
  }
  if (approved) {
    const want = new Map(approved.map((a) => [partitionKey(a.topic, a.partition), a.next]));
    const moved = preview.partitions.filter((p) => want.get(partitionKey(p.topic, p.partition)) !== p.next);
    if (moved.length > 0 || want.size !== preview.partitions.length) {
      const names = moved.slice(0, 5).map((p) => `${p.topic}-${p.partition}`).join(", ");
      throw new StalePreviewError(`The offsets changed since the preview${names ? ` (${names})` : ""}; preview again and check the new counts before executing.`);
    }
  }
  await client.admin.commitOffsets(groupId, preview.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next })));
  return preview;
}

export async function deleteGroup(client: KafkaClient, groupId: string): Promise<void> {
  const g = await describeOne(client, groupId);
  if (g.members.length > 0) throw activeMembersError(groupId, g.state, g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost })));
  await client.admin.deleteGroups([groupId]);
}

/** kafka-consumer-groups --delete-offsets --topic t: forget where the group was in one topic. */
export async function deleteTopicOffsets(client: KafkaClient, groupId: string, topic: string): Promise<CommittedOffset[]> {
  await describeOne(client, groupId);
  const removed = (await client.admin.fetchOffsets(groupId)).filter((c) => c.topic === topic);
  if (removed.length === 0) throw new GroupError(`Group "${groupId}" has no committed offsets for topic "${topic}".`);
  try {
    await client.admin.deleteOffsets(groupId, topic, removed.map((c) => c.partition));
  } catch (err) {
    if (err instanceof KafkaClientError && err.code === ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC) {
      throw new GroupBusyError(`Group "${groupId}" is still subscribed to "${topic}"; stop its consumers or unsubscribe them from the topic first.`);
    }
    throw err;
  }
  return removed;
}

/** A group's committed offsets, by topic and partition. */
export async function committedOffsets(client: KafkaClient, groupId: string): Promise<CommittedOffset[]> {
  const rows = await client.admin.fetchOffsets(groupId);
  return rows.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
