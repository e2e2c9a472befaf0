import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { CoordinatorType, IsolationLevel, ListOffsetsTimestamp } from "../constants";
import { ErrorCode } from "../errors";
import { Apis } from "../messages";
import type { Record } from "../records/batch";
import { logger } from "../../log";
import { Admin, commitOffsets } from "./admin";
import { ASSIGNORS, type Assignor, type MemberSubscription } from "./assignors";
import type { Cluster } from "./cluster";
import { KafkaClientError, check, isRetriableError } from "./errors";
import { fetchRecords, type FetchedPartition } from "./fetcher";
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from "./group-protocol";
import type { ResponseOf } from "../protocol";
import { call } from "./protocol";
import { partitionKey } from "../partition-key";

const log = logger("kafka.consumer");

export const consumerOptionsSchema = z.object({
  groupId: z.string().min(1),
  topics: z.array(z.string().min(1)).min(1),
  /** Static membership (KIP-345): a member that restarts within the session keeps its partitions. */
  groupInstanceId: z.string().min(1).optional(),
  sessionTimeoutMs: z.number().int().positive().default(45_000),
  /** How long the group waits for members to rejoin during a rebalance (max.poll.interval.ms). */
  rebalanceTimeoutMs: z.number().int().positive().default(300_000),
  heartbeatIntervalMs: z.number().int().positive().default(3_000),
  /** In order of preference; the group uses the first one every member offers. */
  assignors: z.array(z.enum(["cooperative-sticky", "range"])).min(1).default(["cooperative-sticky", "range"]),
  /** Where a partition without a committed offset starts; "none" makes that an error. */
  autoOffsetReset: z.enum(["earliest", "latest", "none"]).default("latest"),
  maxWaitMs: z.number().int().min(0).default(500),
  minBytes: z.number().int().min(1).default(1),
  maxBytes: z.number().int().positive().default(50 * 1024 * 1024),
  maxPartitionBytes: z.number().int().positive().default(1024 * 1024),
  isolationLevel: z.union([z.literal(IsolationLevel.READ_UNCOMMITTED), z.literal(IsolationLevel.READ_COMMITTED)]).default(IsolationLevel.READ_COMMITTED),
});

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface RebalanceListener {
  /** Partitions this member now owns. */
  onAssigned?: (partitions: TopicPartition[]) => Promise<void> | void;
  /** Partitions this member gives up; commit what was processed of them here. */
  onRevoked?: (partitions: TopicPartition[]) => Promise<void> | void;
}

export type ConsumerOptions = z.input<typeof consumerOptionsSchema> & RebalanceListener;

export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: Record[];
  highWatermark: number;
  /** The offset to commit once these records are processed. */
  nextOffset: number;
}

interface Owned {
  topic: string;
  partition: number;
  /** Next offset to fetch; null until looked up (committed offset, or auto.offset.reset). */
  position: number | null;
  paused: boolean;
}

type JoinGroupResponse = ResponseOf<"JoinGroup">;

let consumers = 0;
/** Member-level errors after which this member must join again as a new one. */
const MEMBER_GONE = new Set<number>([ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_INSTANCE_ID]);

/**
 * A member of a consumer group on Kafka's classic protocol: JoinGroup / SyncGroup with the
 * consumer protocol, heartbeats in the background, the leader assigning with range or
 * cooperative-sticky (KIP-429: owned partitions keep being fetched during a rebalance). Records
 * come from poll(); offsets are committed only by commit(), when the caller says.
 */
export class Consumer {
  private readonly o: z.output<typeof consumerOptionsSchema>;
  private readonly admin: Admin;
  private readonly owned = new Map<string, Owned>();
  private memberId = "";
  private generationId = -1;
  private protocol: Assignor | null = null;
  private rejoin = true;
  private joining: Promise<void> | null = null;
  private fatal: Error | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** As the leader: the partition counts the assignment was made for, and when they were last checked. */
  private assignedCounts: { counts: Map<string, number>; checkedAt: number } | null = null;
  private closed = false;
  /** This member's own connections: its JoinGroup may be held for the whole rebalance. */
  private readonly lane = `consumer-${++consumers}`;

  constructor(
    private readonly cluster: Cluster,
    options: ConsumerOptions,
    private readonly listener: RebalanceListener = options,
  ) {
    this.o = consumerOptionsSchema.parse(options);
    this.admin = new Admin(cluster);
  }

  private get groupLane(): string {
    return `${this.lane}/group`;
  }

  /** The partitions this member owns now. */
  assignment(): TopicPartition[] {
    return [...this.owned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  pause(partitions: TopicPartition[]): void {
    for (const p of partitions) {
      const o = this.owned.get(partitionKey(p.topic, p.partition));
      if (o) o.paused = true;
    }
  }

  resume(partitions: TopicPartition[]): void {
    for (const p of partitions) {
      const o = this.owned.get(partitionKey(p.topic, p.partition));
      if (o) o.paused = false;
    }
  }

  /** Moves an owned partition's position (the next fetch reads from offset). */
  seek(topic: string, partition: number, offset: number): void {
    const o = this.owned.get(partitionKey(topic, partition));
    if (!o) throw new Error(`${topic}-${partition} is not assigned to this member; seek after it is assigned`);
    o.position = offset;
  }

  private throwIfFailed(): void {
    if (this.fatal) throw this.fatal;
  }

  /**
   * Joins (or rejoins) the group when needed and fetches from every owned, unpaused partition,
   * waiting up to maxWaitMs for records. Positions move past what is returned; nothing is committed.
   */
  async poll(): Promise<ConsumedBatch[]> {
    this.throwIfFailed();
    if (this.closed) throw new Error("the consumer is closed; make a new one");
    if (this.rejoin) this.startJoin();
    if (this.owned.size === 0 && this.joining) await this.joining;
    // The join may have failed for good meanwhile.
    this.throwIfFailed();
    let positions: { topic: string; partition: number; offset: number }[];
    let fetched: FetchedPartition[];
    try {
      await this.lookUpPositions();
      positions = [...this.owned.values()].filter((o) => !o.paused && o.position !== null).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.position! }));
      if (positions.length === 0) {
        await sleep(Math.min(this.o.maxWaitMs, 100));
        return [];
      }
      fetched = await fetchRecords(this.cluster, positions, { maxWaitMs: this.o.maxWaitMs, minBytes: this.o.minBytes, maxBytes: this.o.maxBytes, maxPartitionBytes: this.o.maxPartitionBytes, isolationLevel: this.o.isolationLevel }, `${this.lane}/fetch`);
    } catch (err) {
      // A lost leader, coordinator or connection: the caches are already dropped, the next poll asks again.
      if (!isRetriableError(err)) throw err;
      log.debug({ err, groupId: this.o.groupId }, "fetch failed; polling again after a back-off");
      await sleep(this.cluster.backoff(1));
      return [];
    }
    const asked = new Map(positions.map((p) => [partitionKey(p.topic, p.partition), p.offset]));
    const out: ConsumedBatch[] = [];
    for (const f of fetched) {
      const o = this.owned.get(partitionKey(f.topic, f.partition));
      // Revoked or moved while the fetch was out: its records are no longer ours to hand out.
      if (!o || o.position !== asked.get(partitionKey(f.topic, f.partition))) continue;
      if (f.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        o.position = await this.resetPosition(f.topic, f.partition);
        continue;
      }
      if (f.errorCode !== ErrorCode.NONE) {
        const err = new KafkaClientError(f.errorCode, `fetching ${f.topic}-${f.partition}`);
        if (!err.retriable) throw err;
        log.debug({ err }, "retriable fetch error; fetching again");
        continue;
      }
      o.position = f.nextOffset;
      if (f.records.length > 0) out.push({ topic: f.topic, partition: f.partition, records: f.records, highWatermark: f.highWatermark, nextOffset: f.nextOffset });
    }
    return out;
  }

  /**
   * Commits offsets (the next offset to read, per partition) in this member's generation. Without
   * arguments, commits the current position of every owned partition.
   */
  async commit(offsets?: { topic: string; partition: number; offset: number }[]): Promise<void> {
    const list = offsets ?? [...this.owned.values()].filter((o) => o.position !== null).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.position! }));
    await commitOffsets(this.cluster, { groupId: this.o.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId ?? null }, list);
  }

  /** Gives up the partitions and leaves the group (a static member stays, to return within its session). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeat();
    // A JoinGroup held for a rebalance or a long poll must not hold up the close.
    await this.cluster.closeLanes(`${this.lane}/`);
    await this.joining?.catch(() => undefined);
    await this.revoke(this.assignment());
    if (this.memberId && !this.o.groupInstanceId) {
      await this.cluster
        .onCoordinator(this.o.groupId, `LeaveGroup ${this.o.groupId}`, async (conn) => {
          const res = await call(conn, Apis.LeaveGroup, { groupId: this.o.groupId, memberId: this.memberId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: "the consumer is closing" }] });
          if (res.errorCode !== ErrorCode.UNKNOWN_MEMBER_ID) check(res.errorCode, `leaving group ${this.o.groupId}`);
        })
        // The session timeout removes a member whose leave did not arrive.
        .catch((err: unknown) => log.warn({ err, groupId: this.o.groupId }, "LeaveGroup failed; the group drops this member after its session timeout"));
    }
  }

  private startJoin(): void {
    if (this.joining || this.closed) return;
    this.joining = this.joinLoop().finally(() => {
      this.joining = null;
    });
  }

  private async joinLoop(): Promise<void> {
    for (let attempt = 1; this.rejoin && !this.closed; attempt++) {
      try {
        await this.joinOnce();
      } catch (err) {
        // A listener's own failure, or a refusal no retry changes: poll() reports it.
        if (!(err instanceof KafkaClientError) || (!err.retriable && !MEMBER_GONE.has(err.code) && err.code !== ErrorCode.REBALANCE_IN_PROGRESS)) {
          this.fatal = err instanceof Error ? err : new Error(String(err));
          return;
        }
        // This round failed (a rebalance began, the coordinator moved): join again.
        this.rejoin = true;
        if (MEMBER_GONE.has(err.code)) await this.lose();
        log.debug({ err, groupId: this.o.groupId, attempt }, "joining the group failed; trying again");
        await sleep(this.cluster.backoff(attempt));
      }
    }
  }

  /** One JoinGroup + SyncGroup round, then the assignment's revocations and additions. */
  private async joinOnce(): Promise<void> {
    this.rejoin = false;
    this.stopHeartbeat();
    // Eager assignors move everything: give it all up before joining.
    if (this.protocol && !this.protocol.cooperative) await this.revoke(this.assignment());
    const join = await this.joinGroup();
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocol = ASSIGNORS[join.protocolName as Assignor["name"]] ?? null;
    if (!this.protocol) throw new KafkaClientError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `joining group ${this.o.groupId}`, { retriable: false, detail: `the group chose assignor ${join.protocolName}, which this client does not have` });
    this.assignedCounts = null;
    const assignments = join.leader === join.memberId ? await this.assign(this.protocol, join.members) : [];
    const assignment = await this.cluster.onCoordinator(this.o.groupId, `SyncGroup ${this.o.groupId}`, async (conn) => {
      const res = await call(conn, Apis.SyncGroup, {
        groupId: this.o.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.o.groupInstanceId ?? null,
        protocolType: "consumer",
        protocolName: this.protocol!.name,
        assignments,
      });
      check(res.errorCode, `syncing group ${this.o.groupId}`);
      return decodeAssignment(res.assignment).partitions;
    }, this.groupLane);
    await this.apply(assignment);
    this.startHeartbeat();
  }

  private async joinGroup(): Promise<JoinGroupResponse> {
    const owned = groupByTopic(this.assignment());
    const protocols = this.o.assignors.map((name) => ({
      name,
      metadata: encodeSubscription({ topics: this.o.topics, userData: null, ownedPartitions: ASSIGNORS[name].cooperative ? owned : [], generationId: this.generationId, rackId: null }),
    }));
    for (;;) {
      const res = await this.cluster.onCoordinator(this.o.groupId, `JoinGroup ${this.o.groupId}`, (conn) =>
        call(
          conn,
          Apis.JoinGroup,
          { groupId: this.o.groupId, sessionTimeoutMs: this.o.sessionTimeoutMs, rebalanceTimeoutMs: this.o.rebalanceTimeoutMs, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId ?? null, protocolType: "consumer", protocols, reason: null },
          // The coordinator holds a JoinGroup until every member rejoined, up to the rebalance timeout.
          { timeoutMs: this.o.rebalanceTimeoutMs + this.cluster.opts.requestTimeoutMs },
        ),
        this.groupLane,
      );
      // KIP-394: a new member first learns its id, then joins with it.
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
      check(res.errorCode, `joining group ${this.o.groupId}`);
      return res;
    }
  }

  /** The leader's work: decode every member's subscription and run the chosen assignor. */
  private async assign(assignor: Assignor, members: JoinGroupResponse["members"]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const subs: MemberSubscription[] = members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscription: decodeSubscription(m.metadata) }));
    const topics = [...new Set(subs.flatMap((s) => s.subscription.topics))];
    const md = await this.cluster.refreshMetadata(topics);
    const counts = new Map(md.topics.map((t) => [t.name, t.partitions.length]));
    const result = assignor.assign(subs, counts);
    this.assignedCounts = { counts, checkedAt: Date.now() };
    return subs.map((s) => ({ memberId: s.memberId, assignment: encodeAssignment({ partitions: result.get(s.memberId) ?? [], userData: null }) }));
  }

  private async apply(assignment: TopicPartitions[]): Promise<void> {
    const next = new Set(assignment.flatMap((t) => t.partitions.map((p) => partitionKey(t.topic, p))));
    const revoked = [...this.owned.values()].filter((o) => !next.has(partitionKey(o.topic, o.partition)));
    if (revoked.length > 0) {
      await this.revoke(revoked);
      // KIP-429: what this member gave up goes to its new owner in a second round.
      if (this.protocol?.cooperative) this.rejoin = true;
    }
    const added: TopicPartition[] = [];
    for (const t of assignment) {
      for (const partition of t.partitions) {
        if (this.owned.has(partitionKey(t.topic, partition))) continue;
        this.owned.set(partitionKey(t.topic, partition), { topic: t.topic, partition, position: null, paused: false });
        added.push({ topic: t.topic, partition });
      }
    }
    log.info({ groupId: this.o.groupId, generationId: this.generationId, memberId: this.memberId, protocol: this.protocol?.name, added: added.length, revoked: revoked.length, owned: this.owned.size }, "group assignment");
    if (added.length > 0) await this.listener.onAssigned?.(added);
  }

  private async revoke(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    await this.listener.onRevoked?.(partitions);
    for (const p of partitions) this.owned.delete(partitionKey(p.topic, p.partition));
  }

  /** This member is no longer in the group (its session expired or it was fenced): its partitions are gone. */
  private async lose(): Promise<void> {
    await this.revoke(this.assignment());
    this.memberId = this.o.groupInstanceId ? this.memberId : "";
    this.generationId = -1;
    this.rejoin = true;
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => void this.beat(), this.o.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private async beat(): Promise<void> {
    try {
      const conn = await this.cluster.coordinator(this.o.groupId, CoordinatorType.GROUP, this.groupLane);
      const res = await call(conn, Apis.Heartbeat, { groupId: this.o.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId ?? null });
      if (res.errorCode === ErrorCode.NONE) return await this.checkPartitionCounts();
      if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) {
        this.rejoin = true;
        this.startJoin();
      } else if (MEMBER_GONE.has(res.errorCode)) {
        this.stopHeartbeat();
        await this.lose();
        this.startJoin();
      } else {
        throw new KafkaClientError(res.errorCode, `heartbeat of group ${this.o.groupId}`);
      }
    } catch (err) {
      if (err instanceof KafkaClientError && (err.code === ErrorCode.NOT_COORDINATOR || err.code === ErrorCode.COORDINATOR_NOT_AVAILABLE || err.code === ErrorCode.NETWORK_EXCEPTION)) this.cluster.forgetCoordinator(this.o.groupId);
      // The next beat tries again; the coordinator drops us only after the session timeout.
      log.debug({ err, groupId: this.o.groupId }, "heartbeat failed");
    }
  }

  /**
   * The leader's watch on the subscribed topics (every metadataMaxAgeMs, as Kafka's consumers do):
   * partitions added since the assignment make it rebalance, so they get an owner.
   */
  private async checkPartitionCounts(): Promise<void> {
    const a = this.assignedCounts;
    if (!a || Date.now() - a.checkedAt < this.cluster.opts.metadataMaxAgeMs) return;
    a.checkedAt = Date.now();
    const md = await this.cluster.refreshMetadata([...a.counts.keys()]);
    if (!md.topics.some((t) => t.partitions.length !== a.counts.get(t.name))) return;
    log.info({ groupId: this.o.groupId }, "subscribed topics have new partitions; rebalancing");
    this.rejoin = true;
    this.startJoin();
  }

  /** Committed offsets for partitions without a position; auto.offset.reset for those without one. */
  private async lookUpPositions(): Promise<void> {
    const missing = [...this.owned.values()].filter((o) => o.position === null);
    if (missing.length === 0) return;
    const committed = await this.admin.fetchOffsets(this.o.groupId, groupByTopic(missing));
    const at = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]));
    for (const o of missing) {
      const c = at.get(partitionKey(o.topic, o.partition));
      o.position = c ?? (await this.resetPosition(o.topic, o.partition));
    }
  }

  private async resetPosition(topic: string, partition: number): Promise<number> {
    if (this.o.autoOffsetReset === "none") throw new KafkaClientError(ErrorCode.OFFSET_OUT_OF_RANGE, `${topic}-${partition} of group ${this.o.groupId}`, { retriable: false, detail: "no committed offset and autoOffsetReset is none" });
    const [r] = await this.admin.listOffsets([{ topic, partition, timestamp: this.o.autoOffsetReset === "earliest" ? ListOffsetsTimestamp.EARLIEST : ListOffsetsTimestamp.LATEST }], this.o.isolationLevel);
    return r.offset;
  }
}

function groupByTopic(list: TopicPartition[]): TopicPartitions[] {
  const out = new Map<string, number[]>();
  for (const p of list) {
    const ps = out.get(p.topic);
    if (ps) ps.push(p.partition);
    else out.set(p.topic, [p.partition]);
  }
  return [...out].map(([topic, partitions]) => ({ topic, partitions }));
}
