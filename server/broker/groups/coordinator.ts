import { randomUUID } from "node:crypto";
import { NO_LEADER_EPOCH, UNKNOWN_OFFSET } from "../../kafka/constants";
import { decodeSubscribedTopics } from "../../kafka/client/group-protocol";
import { codeOf, ErrorCode } from "../../kafka/errors";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import type { LogManager } from "../log/log-manager";
import { logger } from "../../log";
import { CoordinatorPartitions } from "./cluster-coordinators";
import { OFFSETS_TOPIC, OffsetsStore, type GroupMetadata } from "./offsets-store";

const log = logger("broker.groups");
/** Kafka's offset.metadata.max.bytes default. */
const OFFSET_METADATA_MAX_BYTES = 4096;
/** How long an Empty group without committed offsets is kept (Kafka's offsets.retention.check.interval.ms). */
const EMPTY_GROUP_FORGET_MS = 10 * 60_000;

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface RequestContext {
  apiVersion: number;
  clientId: string;
  clientHost: string;
}

type JoinResponse = ResponseInputOf<"JoinGroup">;
type SyncResponse = ResponseInputOf<"SyncGroup">;
type Awaitable<T> = T | Promise<T>;
/** No assignment, subscription or member metadata. */
const EMPTY = Buffer.alloc(0);
/** The generation of a JoinGroup refused, and of a commit from outside any group. */
const NO_GENERATION = -1;

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  lastSeen: number;
  /** Set while the member waits in JoinGroup / SyncGroup for the rebalance to progress. */
  awaitingJoin?: (resp: JoinResponse) => void;
  awaitingSync?: (resp: SyncResponse) => void;
  joinVersion: number;
}

class Group {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, accepted on the follow-up join until their deadline. */
  pending = new Map<string, number>();
  rebalanceTimer: NodeJS.Timeout | undefined;
  rebalanceDeadline = 0;
  emptySince: number;
  /** A group known from __consumer_offsets continues its generations after a restart, as in Kafka. */
  constructor(
    readonly id: string,
    now: number,
    recorded: GroupMetadata | undefined,
  ) {
    this.emptySince = now;
    this.generationId = recorded?.generation ?? 0;
    this.protocolType = recorded?.protocolType || null;
  }
}

/**
 * Kafka's classic group protocol: members join, the broker picks a protocol every member
 * supports, the leader computes the assignment (so range, roundrobin, sticky and
 * cooperative-sticky all work unchanged), the broker relays it in SyncGroup, and heartbeats keep
 * members alive. Request and response bodies are the decoded Kafka messages.
 */
export class GroupCoordinator {
  private groups = new Map<string, Group>();
  /** Groups whose expired offsets are being deleted, so the sweep does not delete them twice. */
  private expiring = new Set<string>();
  readonly offsets: OffsetsStore;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly initialDelayMs: number;
  private readonly offsetsRetentionMs: number;
  private readonly clock: () => number;

  private readonly logs: LogManager;
  /**
   * The __consumer_offsets partitions whose groups this broker coordinates; undefined on a single
   * broker, which coordinates every group.
   */
  private partitions: CoordinatorPartitions | undefined;

  constructor(opts: { logs: LogManager; clock?: () => number; initialRebalanceDelayMs?: number; offsetsRetentionMs?: number }) {
    this.logs = opts.logs;
    this.offsets = new OffsetsStore(opts.logs);
    this.clock = opts.clock ?? Date.now;
    this.initialDelayMs = opts.initialRebalanceDelayMs ?? 3000;
    this.offsetsRetentionMs = opts.offsetsRetentionMs ?? 7 * 24 * 3600_000;
  }

  /**
   * A single broker loads every group now; in a cluster (`followLeadership`) none until
   * `coordinate` says which offsets partitions this broker leads.
   */
  async start(opts: { followLeadership?: boolean } = {}): Promise<void> {
    if (opts.followLeadership) this.partitions = new CoordinatorPartitions(OFFSETS_TOPIC, "groups", log, { load: (p) => this.loadGroups(p), unload: (p) => this.resign(p) });
    else await this.offsets.load();
    this.sweeper = setInterval(() => this.sweep(), 250);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const g of this.groups.values()) {
      clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) {
        m.awaitingJoin?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        m.awaitingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
      }
    }
  }

  /**
   * Whether this broker answers for the group: NONE, NOT_COORDINATOR (another broker leads its
   * offsets partition; the client asks FindCoordinator again) or COORDINATOR_LOAD_IN_PROGRESS
   * (leadership arrived and the partition is being read; the client retries).
   */
  coordinatorError(groupId: string): number {
    return this.partitions ? this.partitions.errorFor(this.offsets.partitionFor(groupId)) : ErrorCode.NONE;
  }

  /**
   * Follows the leadership of __consumer_offsets: loads the partitions this broker now leads from
   * its own log, and drops the groups of those it no longer leads (their waiting members are told
   * NOT_COORDINATOR, find the new coordinator and rejoin there). Resolves once applied.
   */
  coordinate(led: ReadonlySet<number>): Promise<void> {
    return this.partitions ? this.partitions.coordinate(led) : Promise.resolve();
  }

  private async loadGroups(p: number): Promise<{ loaded: number }> {
    await this.offsets.loadPartition(p);
    return { loaded: this.offsets.groups().filter((g) => this.offsets.partitionFor(g) === p).length };
  }

  private resign(p: number): void {
    for (const g of [...this.groups.values()]) {
      if (this.offsets.partitionFor(g.id) !== p) continue;
      clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) {
        m.awaitingJoin?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        m.awaitingSync?.({ errorCode: ErrorCode.NOT_COORDINATOR, assignment: EMPTY });
      }
      this.groups.delete(g.id);
    }
    this.offsets.unloadPartition(p);
  }

  /**
   * Every request reaches a group through here, and members whose session ended are removed
   * first: a request right after a session timeout sees the group as Kafka's timer would have
   * left it, not as the last periodic sweep did.
   */
  private group(id: string, create: boolean): Group | undefined {
    let g = this.groups.get(id);
    if (g) this.expireSessions(g, this.clock());
    else if (create) this.groups.set(id, (g = new Group(id, this.clock(), this.offsets.groupMetadata(id))));
    return g;
  }

  private expireSessions(g: Group, now: number): void {
    for (const m of [...g.members.values()]) {
      // A member waiting in JoinGroup or SyncGroup is alive: it is waiting on us (or the leader).
      if (m.awaitingJoin || m.awaitingSync) continue;
      if (now - m.lastSeen > m.sessionTimeoutMs) this.removeMember(g, m.memberId, `session timed out after ${m.sessionTimeoutMs} ms`);
    }
  }

  stats(): Record<GroupState, number> {
    const counts: Record<GroupState, number> = { Empty: 0, PreparingRebalance: 0, CompletingRebalance: 0, Stable: 0, Dead: 0 };
    for (const id of this.allGroupIds()) counts[this.group(id, false)?.state ?? "Empty"]++;
    return counts;
  }

  private allGroupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.offsets.groups()])];
  }

  // ---- membership ----

  joinGroup(req: RequestOf<"JoinGroup">, ctx: RequestContext): Awaitable<JoinResponse> {
    const fail = (errorCode: number, memberId = req.memberId) => joinError(errorCode, memberId);
    if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID);
    if (!req.protocolType || req.protocols.length === 0) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (req.sessionTimeoutMs < 1000 || req.sessionTimeoutMs > 1_800_000) return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    const g = this.group(req.groupId, true)!;
    if (g.state === "Dead") return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (g.members.size > 0 && g.protocolType !== req.protocolType) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (g.members.size > 0 && !req.protocols.some((p) => this.supportedByAll(g, p.name))) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    let memberId = req.memberId;
    const instanceId = req.groupInstanceId;
    if (instanceId) {
      // A static member keeps its place across restarts: its old member id is replaced, its
      // assignment kept, and a stable group is not rebalanced (KIP-345).
      const existing = [...g.members.values()].find((m) => m.groupInstanceId === instanceId);
      if (existing && memberId && existing.memberId !== memberId) return fail(ErrorCode.FENCED_INSTANCE_ID);
      if (existing && !memberId) {
        const sameProtocols = sameProtocolList(existing.protocols, req.protocols);
        // The old incarnation may still wait in a join or sync; it is fenced now.
        existing.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, existing.memberId));
        existing.awaitingSync?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, assignment: EMPTY });
        g.members.delete(existing.memberId);
        memberId = `${instanceId}-${randomUUID()}`;
        const replaced: Member = { ...existing, memberId, awaitingJoin: undefined, awaitingSync: undefined, clientId: ctx.clientId, clientHost: ctx.clientHost, lastSeen: this.clock(), joinVersion: ctx.apiVersion };
        g.members.set(memberId, replaced);
        if (g.leaderId === existing.memberId) g.leaderId = memberId;
        if (g.state === "Stable" && sameProtocols) {
          log.info({ group: g.id, instance: instanceId, member: memberId }, "static member rejoined; assignment kept, no rebalance");
          const res = this.joinResponse(g, replaced);
          // The leader must not compute a new assignment: v9+ says so with skipAssignment; older
          // versions are shown the old leader id, so the member acts as a follower (as Kafka does).
          if (memberId === g.leaderId) return ctx.apiVersion >= 9 ? { ...res, skipAssignment: true } : { ...res, leader: existing.memberId, members: [] };
          return res;
        }
      } else if (!memberId) memberId = `${instanceId}-${randomUUID()}`;
    } else if (!memberId) {
      memberId = `${ctx.clientId || "member"}-${randomUUID()}`;
      if (ctx.apiVersion >= 4) {
        g.pending.set(memberId, this.clock() + req.sessionTimeoutMs);
        return fail(ErrorCode.MEMBER_ID_REQUIRED, memberId);
      }
    } else if (!g.members.has(memberId) && !g.pending.has(memberId)) {
      return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    g.pending.delete(memberId);

    const member: Member = g.members.get(memberId) ?? {
      memberId,
      groupInstanceId: instanceId,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocols: [],
      assignment: EMPTY,
      lastSeen: this.clock(),
      joinVersion: ctx.apiVersion,
    };
    const changed = !g.members.has(memberId) || !sameProtocolList(member.protocols, req.protocols);
    // A copy: the request's buffers are views of the frame, which is not kept.
    member.protocols = req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    member.lastSeen = this.clock();
    member.joinVersion = ctx.apiVersion;
    g.members.set(memberId, member);
    g.protocolType = req.protocolType;

    // A follower rejoining with the same protocols while the group is stable or completing gets
    // the current generation back; the leader rejoining means it wants to assign again (new
    // partitions, a changed subscription), so that rebalances, as in Kafka.
    if (!changed && memberId !== g.leaderId && (g.state === "Stable" || g.state === "CompletingRebalance")) {
      return this.joinResponse(g, member);
    }
    const response = new Promise<JoinResponse>((resolve) => (member.awaitingJoin = resolve));
    this.prepareRebalance(g, `member ${memberId} joined`);
    this.maybeCompleteJoin(g);
    return response;
  }

  private supportedByAll(g: Group, protocol: string): boolean {
    return [...g.members.values()].every((m) => m.protocols.some((p) => p.name === protocol));
  }

  private prepareRebalance(g: Group, reason: string): void {
    const now = this.clock();
    if (g.state !== "PreparingRebalance") {
      log.info({ group: g.id, reason, generation: g.generationId }, "preparing rebalance");
      // Members waiting in SyncGroup for an assignment that will never come must rejoin.
      for (const m of g.members.values()) {
        m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
        m.awaitingSync = undefined;
      }
      const initial = g.state === "Empty";
      g.state = "PreparingRebalance";
      const timeout = Math.max(...[...g.members.values()].map((m) => m.rebalanceTimeoutMs), 0);
      g.rebalanceDeadline = now + (initial ? Math.min(this.initialDelayMs, timeout) : timeout);
      this.armRebalanceTimer(g, initial ? Math.min(this.initialDelayMs, timeout) : timeout, initial);
    } else if (g.rebalanceTimer && this.initialDelayMs > 0 && g.generationId === 0) {
      // The initial delay restarts as members keep arriving, bounded by the rebalance timeout.
      this.armRebalanceTimer(g, Math.min(this.initialDelayMs, Math.max(0, g.rebalanceDeadline - now)), true);
    }
  }

  private armRebalanceTimer(g: Group, ms: number, initialDelay: boolean): void {
    clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = setTimeout(() => {
      g.rebalanceTimer = undefined;
      this.completeJoin(g, true);
    }, ms);
    (g.rebalanceTimer as { initial?: boolean }).initial = initialDelay;
  }

  private maybeCompleteJoin(g: Group): void {
    if (g.state !== "PreparingRebalance") return;
    const timer = g.rebalanceTimer as { initial?: boolean } | undefined;
    if (timer?.initial && g.generationId === 0) return; // wait out the initial delay
    // Members just given an id (MEMBER_ID_REQUIRED) are about to join: wait for them too, as
    // Kafka does, rather than complete now and rebalance again a moment later.
    if (g.pending.size === 0 && [...g.members.values()].every((m) => m.awaitingJoin)) this.completeJoin(g, false);
  }

  private completeJoin(g: Group, timedOut: boolean): void {
    if (g.state !== "PreparingRebalance") return;
    clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = undefined;
    for (const m of [...g.members.values()]) {
      if (!m.awaitingJoin) {
        log.info({ group: g.id, member: m.memberId, timedOut }, "member did not rejoin in time; removed");
        g.members.delete(m.memberId);
      }
    }
    if (g.members.size === 0) return this.becomeEmpty(g, "no member rejoined");
    g.generationId++;
    g.protocolName = this.selectProtocol(g);
    if (!g.leaderId || !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value!;
    g.state = "CompletingRebalance";
    log.info({ group: g.id, generation: g.generationId, members: g.members.size, protocol: g.protocolName }, "rebalance: members joined");
    for (const m of g.members.values()) {
      const resolve = m.awaitingJoin!;
      m.awaitingJoin = undefined;
      m.lastSeen = this.clock();
      resolve(this.joinResponse(g, m));
    }
  }

  private joinResponse(g: Group, m: Member): JoinResponse {
    const isLeader = m.memberId === g.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? "",
      memberId: m.memberId,
      members: isLeader
        ? [...g.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: x.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY }))
        : [],
    };
  }

  /** The protocol every member supports with the most votes (each member votes for its first supported choice). */
  private selectProtocol(g: Group): string {
    const members = [...g.members.values()];
    const candidates = members[0].protocols.map((p) => p.name).filter((name) => this.supportedByAll(g, name));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? candidates[0];
  }

  private check(g: Group | undefined, memberId: string, generationId: number, instanceId: string | null): number {
    if (!g || !g.members.has(memberId)) {
      if (g && instanceId && [...g.members.values()].some((m) => m.groupInstanceId === instanceId)) return ErrorCode.FENCED_INSTANCE_ID;
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  syncGroup(req: RequestOf<"SyncGroup">): Awaitable<SyncResponse> {
    const g = this.group(req.groupId, false);
    const err = this.check(g, req.memberId, req.generationId, req.groupInstanceId);
    const fail = (errorCode: number): SyncResponse => ({ errorCode, protocolType: g?.protocolType ?? null, protocolName: g?.protocolName ?? null, assignment: EMPTY });
    if (err) return fail(err);
    const group = g!;
    const member = group.members.get(req.memberId)!;
    member.lastSeen = this.clock();
    // v5+ name the protocol the member thinks it is in; a mismatch means it missed a rebalance.
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && group.state !== "PreparingRebalance" && req.protocolName !== group.protocolName)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (group.state === "PreparingRebalance") return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    if (group.state === "Stable") return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
    const response = new Promise<SyncResponse>((resolve) => (member.awaitingSync = resolve));
    if (req.memberId === group.leaderId) {
      const assignments = new Map(req.assignments.map((a) => [a.memberId, Buffer.from(a.assignment)]));
      for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY;
      group.state = "Stable";
      log.info({ group: group.id, generation: group.generationId }, "group stable");
      this.record(group);
      const now = this.clock();
      for (const m of group.members.values()) {
        const resolve = m.awaitingSync;
        m.awaitingSync = undefined;
        if (resolve) m.lastSeen = now;
        resolve?.({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
      }
    }
    return response;
  }

  heartbeat(req: RequestOf<"Heartbeat">): ResponseInputOf<"Heartbeat"> {
    const g = this.group(req.groupId, false);
    const err = this.check(g, req.memberId, req.generationId, req.groupInstanceId);
    if (err || !g) return { errorCode: err };
    g.members.get(req.memberId)!.lastSeen = this.clock();
    if (g.state === "PreparingRebalance") return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
    return { errorCode: ErrorCode.NONE };
  }

  leaveGroup(req: RequestOf<"LeaveGroup">, ctx: RequestContext): ResponseInputOf<"LeaveGroup"> {
    const g = this.group(req.groupId, false);
    // v3+ name several members (KIP-345); earlier versions the one sending.
    const leaving = ctx.apiVersion >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null }];
    const results = leaving.map((l) => {
      let id: string | undefined = l.memberId;
      if (g && l.groupInstanceId) {
        const m = [...g.members.values()].find((x) => x.groupInstanceId === l.groupInstanceId);
        if (m && l.memberId && m.memberId !== l.memberId) return { memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.FENCED_INSTANCE_ID };
        id = m?.memberId;
      }
      if (!g || !id || !g.members.has(id)) return { memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.removeMember(g, id, "left the group");
      return { memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.NONE };
    });
    const errorCode = ctx.apiVersion < 3 ? results[0].errorCode : ErrorCode.NONE;
    return { errorCode, members: results };
  }

  private removeMember(g: Group, memberId: string, reason: string): void {
    const m = g.members.get(memberId);
    if (!m) return;
    g.members.delete(memberId);
    m.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    m.awaitingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (g.leaderId === memberId) g.leaderId = null;
    if (g.members.size === 0 && g.state !== "PreparingRebalance") return this.becomeEmpty(g, reason);
    this.prepareRebalance(g, `member ${memberId} ${reason}`);
    this.maybeCompleteJoin(g);
  }

  private becomeEmpty(g: Group, reason: string): void {
    g.state = "Empty";
    g.emptySince = this.clock();
    g.generationId++;
    g.leaderId = null;
    g.protocolName = null;
    log.info({ group: g.id, reason }, "group empty");
    this.record(g);
  }

  /**
   * Writes the group's metadata record (generation, protocol, members with their assignments)
   * to __consumer_offsets when it becomes Stable or Empty, for tools that read the topic. Nothing
   * waits for it: the group's state is rebuilt by its members after a restart, not from this.
   */
  private record(g: Group): void {
    const metadata: GroupMetadata = {
      protocolType: g.protocolType ?? "",
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestamp: this.clock(),
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    };
    this.offsets.writeGroup(g.id, metadata).catch((err) => log.error({ err, group: g.id }, "recording the group's metadata in __consumer_offsets failed"));
  }

  /** Session timeouts, abandoned member ids and offset expiry (offsets.retention.ms after a group became empty). */
  private sweep(): void {
    const now = this.clock();
    for (const g of this.groups.values()) {
      this.expireSessions(g, now);
      let abandoned = false;
      for (const [id, deadline] of g.pending) {
        if (now > deadline) {
          g.pending.delete(id);
          abandoned = true;
        }
      }
      if (abandoned) this.maybeCompleteJoin(g);
    }
    for (const id of this.offsets.groups()) {
      const g = this.groups.get(id);
      if ((g && g.state !== "Empty") || this.expiring.has(id)) continue;
      const expired = this.offsets.list(id).filter((o) => now - Math.max(o.committed.commitTimestamp, g?.emptySince ?? 0) > this.offsetsRetentionMs);
      if (expired.length === 0) continue;
      this.expiring.add(id);
      log.info({ group: id, partitions: expired.length, retentionMs: this.offsetsRetentionMs }, "expiring committed offsets of an empty group");
      const all = expired.length === this.offsets.list(id).length;
      (all ? this.deleteGroup(id) : this.offsets.commit(id, expired.map((o) => ({ topic: o.topic, partition: o.partition, value: null }))))
        .catch((err) => log.error({ err, group: id }, "expiring offsets failed"))
        .finally(() => this.expiring.delete(id));
    }
    this.forgetIdleGroups(now);
  }

  /**
   * An Empty group that committed nothing is forgotten after a while (Kafka drops such groups at
   * its next offsets cleanup), so group ids a client makes up do not accumulate.
   */
  private forgetIdleGroups(now: number): void {
    for (const g of this.groups.values()) {
      if (g.state !== "Empty" || g.members.size > 0 || g.pending.size > 0 || this.offsets.has(g.id) || now - g.emptySince < EMPTY_GROUP_FORGET_MS || this.expiring.has(g.id)) continue;
      this.expiring.add(g.id);
      this.deleteGroup(g.id)
        .catch((err) => log.error({ err, group: g.id }, "forgetting an empty group failed"))
        .finally(() => this.expiring.delete(g.id));
    }
  }

  /** Tombstones the group's offsets and metadata, and forgets it unless a member joined meanwhile. */
  private async deleteGroup(id: string): Promise<void> {
    await this.offsets.deleteGroup(id);
    if (this.groups.get(id)?.state === "Empty") this.groups.delete(id);
  }

  // ---- offsets ----

  async offsetCommit(req: RequestOf<"OffsetCommit">, ctx: RequestContext): Promise<ResponseInputOf<"OffsetCommit">> {
    const respond = (code: (topic: number, partition: number) => number) => ({ topics: req.topics.map((t, i) => ({ name: t.name, partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: code(i, j) })) })) });
    const refuse = (errorCode: number) => respond(() => errorCode);
    if (!req.groupId) return refuse(ErrorCode.INVALID_GROUP_ID);
    const g = this.group(req.groupId, false);
    const generation = ctx.apiVersion >= 1 ? req.generationIdOrMemberEpoch : NO_GENERATION;
    // Commits from a consumer outside any group (manual assignment) carry generation -1 and no member.
    if (generation >= 0 || (req.memberId && g && g.members.size > 0)) {
      const err = this.check(g, req.memberId, generation, req.groupInstanceId);
      if (err || !g) return refuse(err);
      // While preparing a rebalance, members of the current generation may still commit: that is
      // how a consumer saves its position before giving up its partitions. Between JoinGroup and
      // SyncGroup it holds no partitions, so a commit then is refused.
      if (g.state === "CompletingRebalance") return refuse(ErrorCode.REBALANCE_IN_PROGRESS);
      g.members.get(req.memberId)!.lastSeen = this.clock();
    } else if (g && g.members.size > 0) {
      return refuse(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    const now = this.clock();
    // Per partition, as Kafka checks: the partition must exist and the metadata fit offset.metadata.max.bytes.
    const check = (topic: string, p: RequestOf<"OffsetCommit">["topics"][number]["partitions"][number]): number => {
      const info = this.logs.topic(topic);
      if (!info || p.partitionIndex < 0 || p.partitionIndex >= info.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > OFFSET_METADATA_MAX_BYTES) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return ErrorCode.NONE;
    };
    const codes = req.topics.map((t) => t.partitions.map((p) => check(t.name, p)));
    const entries = req.topics.flatMap((t, i) =>
      t.partitions
        .filter((_, j) => codes[i][j] === ErrorCode.NONE)
        .map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestamp: now },
        })),
    );
    try {
      await this.offsets.commit(req.groupId, entries);
    } catch (err) {
      return refuse(codeOf(err));
    }
    return respond((i, j) => codes[i][j]);
  }

  /**
   * TxnOffsetCommit: checked as OffsetCommit is (member and generation when given), then written
   * as part of the producer's transaction; the group sees the offsets once it commits.
   * verify checks the producer against its transaction (the transaction coordinator's part).
   */
  async txnOffsetCommit(req: RequestOf<"TxnOffsetCommit">, verify: () => void): Promise<ResponseInputOf<"TxnOffsetCommit">> {
    type Partition = RequestOf<"TxnOffsetCommit">["topics"][number]["partitions"][number];
    const respond = (code: (topic: string, p: Partition) => number) => ({ topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p) })) })) });
    if (!req.groupId) return respond(() => ErrorCode.INVALID_GROUP_ID);
    try {
      verify();
    } catch (err) {
      return respond(() => codeOf(err));
    }
    const g = this.group(req.groupId, false);
    if (req.generationId >= 0 || (req.memberId && g && g.members.size > 0)) {
      const err = this.check(g, req.memberId, req.generationId, req.groupInstanceId);
      if (err) return respond(() => err);
    }
    const now = this.clock();
    const check = (topic: string, p: Partition): number => {
      const info = this.logs.topic(topic);
      if (!info || p.partitionIndex < 0 || p.partitionIndex >= info.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > OFFSET_METADATA_MAX_BYTES) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return ErrorCode.NONE;
    };
    const entries = req.topics.flatMap((t) =>
      t.partitions
        .filter((p) => check(t.name, p) === ErrorCode.NONE)
        .map((p) => ({ topic: t.name, partition: p.partitionIndex, value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestamp: now } })),
    );
    try {
      await this.offsets.commitTransactional(req.groupId, req.producerId, req.producerEpoch, entries);
    } catch (err) {
      return respond(() => codeOf(err));
    }
    return respond(check);
  }

  private fetchGroup(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean) {
    const list = topics
      ? topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ p, c: this.offsets.get(groupId, t.name, p) })) }))
      : Object.entries(
          this.offsets.list(groupId).reduce<Record<string, { p: number; c: ReturnType<OffsetsStore["get"]> }[]>>((acc, o) => {
            (acc[o.topic] ??= []).push({ p: o.partition, c: o.committed });
            return acc;
          }, {}),
        ).map(([name, partitions]) => ({ name, partitions }));
    return list.map((t) => ({
      name: t.name,
      partitions: t.partitions.map(({ p, c }) => ({
        partitionIndex: p,
        committedOffset: c?.offset ?? UNKNOWN_OFFSET,
        committedLeaderEpoch: c?.leaderEpoch ?? NO_LEADER_EPOCH,
        metadata: c ? c.metadata : "",
        // A commit waiting for its transaction's marker: a consumer that asks for stable offsets retries.
        errorCode: requireStable && this.offsets.hasPending(groupId, t.name, p) ? ErrorCode.UNSTABLE_OFFSET_COMMIT : ErrorCode.NONE,
      })),
    }));
  }

  offsetFetch(req: RequestOf<"OffsetFetch">, ctx: RequestContext): ResponseInputOf<"OffsetFetch"> {
    // v8+ ask for several groups at once.
    if (ctx.apiVersion >= 8) {
      return { groups: req.groups.map((g) => ({ groupId: g.groupId, topics: this.fetchGroup(g.groupId, g.topics, req.requireStable), errorCode: ErrorCode.NONE })) };
    }
    return { topics: this.fetchGroup(req.groupId, req.topics, req.requireStable), errorCode: ErrorCode.NONE };
  }

  listGroups(req: RequestOf<"ListGroups">): ResponseInputOf<"ListGroups"> {
    const filter = req.statesFilter.map((s) => s.toLowerCase());
    const groups = this.allGroupIds()
      .map((id) => {
        const g = this.group(id, false);
        return { groupId: id, protocolType: g?.protocolType ?? (this.offsets.groupMetadata(id)?.protocolType || "consumer"), groupState: g?.state ?? "Empty" };
      })
      .filter((g) => filter.length === 0 || filter.includes(g.groupState.toLowerCase()));
    return { errorCode: ErrorCode.NONE, groups };
  }

  describeGroups(req: RequestOf<"DescribeGroups">): ResponseInputOf<"DescribeGroups"> {
    return {
      groups: req.groups.map((id) => {
        const g = this.group(id, false);
        if (!g) return { errorCode: ErrorCode.NONE, groupId: id, groupState: this.offsets.has(id) ? "Empty" : "Dead", protocolType: "", protocolData: "", members: [] };
        return {
          errorCode: ErrorCode.NONE,
          groupId: id,
          groupState: g.state,
          protocolType: g.protocolType ?? "",
          protocolData: g.protocolName ?? "",
          members: [...g.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: g.state === "Stable" ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY) : EMPTY,
            memberAssignment: g.state === "Stable" ? m.assignment : EMPTY,
          })),
        };
      }),
    };
  }

  async deleteGroups(req: RequestOf<"DeleteGroups">): Promise<ResponseInputOf<"DeleteGroups">> {
    const results = [];
    for (const id of req.groupsNames) {
      const g = this.group(id, false);
      if (g && g.members.size > 0) {
        results.push({ groupId: id, errorCode: ErrorCode.NON_EMPTY_GROUP });
        continue;
      }
      if (!g && !this.offsets.has(id)) {
        results.push({ groupId: id, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
        continue;
      }
      try {
        await this.offsets.deleteGroup(id);
        this.groups.delete(id);
        results.push({ groupId: id, errorCode: ErrorCode.NONE });
      } catch (err) {
        results.push({ groupId: id, errorCode: codeOf(err) });
      }
    }
    return { results };
  }

  async offsetDelete(req: RequestOf<"OffsetDelete">): Promise<ResponseInputOf<"OffsetDelete">> {
    const g = this.group(req.groupId, false);
    if (!g && !this.offsets.has(req.groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const subscribed = g && g.protocolType === "consumer" ? subscribedTopics(g) : new Set<string>();
    const topics = [];
    const deletes: { topic: string; partition: number; value: null }[] = [];
    for (const t of req.topics) {
      const code = subscribed.has(t.name) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE;
      if (!code) for (const p of t.partitions) deletes.push({ topic: t.name, partition: p.partitionIndex, value: null });
      topics.push({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) });
    }
    await this.offsets.commit(req.groupId, deletes);
    return { errorCode: ErrorCode.NONE, topics };
  }

  /** For the console and lag: group ids with state and members (what DescribeGroups gives, without the protocol). */
  describe(id: string) {
    const g = this.group(id, false);
    return { state: g?.state ?? (this.offsets.has(id) ? "Empty" : "Dead"), members: g ? [...g.members.values()].map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost })) : [] };
  }
}

function sameProtocolList(known: { name: string; metadata: Buffer }[], requested: { name: string; metadata: Buffer }[]): boolean {
  return known.length === requested.length && known.every((p, i) => p.name === requested[i].name && p.metadata.equals(requested[i].metadata));
}

function joinError(errorCode: number, memberId: string): JoinResponse {
  return { errorCode, generationId: NO_GENERATION, protocolName: null, leader: "", memberId, members: [] };
}

/** Topics in the members' consumer-protocol subscriptions (version int16, topics array, user data). */
function subscribedTopics(g: Group): Set<string> {
  const topics = new Set<string>();
  for (const m of g.members.values()) {
    const meta = m.protocols.find((p) => p.name === g.protocolName)?.metadata;
    if (!meta) continue;
    try {
      for (const t of decodeSubscribedTopics(meta)) topics.add(t);
    } catch {
      // Metadata that is not a consumer subscription names no topics.
    }
  }
  return topics;
}
