import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { PRODUCER_ID_BLOCK_SIZE, type LogManager, type TopicInfo, type TopicRequest } from "../broker/log/log-manager";
import { ErrorCode, KafkaError } from "../kafka/errors";
import { logger } from "../log";
import { assignReplicas } from "./assignment";
import { electLeader, electPreferred, electUnclean, type ElectionRefusal } from "./election";
import { cancelReassignment, completeReassignment, reassigning, startReassignment } from "./reassignment";
import { ClusterStore, ControllerFencedError, type BrokerEndpoint, type Liveness, type PartitionState, type PartitionUpdate, type TopicState } from "./store";

const log = logger("cluster");

export interface MemberOptions {
  nodeId: number;
  rack?: string;
  /** A lease not renewed for this long lapses (broker.session.timeout.ms). */
  sessionTimeoutMs: number;
  /** Broker default of unclean.leader.election.enable; a topic's own config wins. */
  uncleanLeaderElection: boolean;
  /** default.replication.factor; unset: 3, or every live broker when fewer. */
  defaultReplicationFactor?: number;
  /** offsets.topic.replication.factor (3): replicas of __consumer_offsets, capped by the live brokers at its creation. */
  offsetsTopicReplicationFactor?: number;
  /** offsets.topic.num.partitions (50): fixed once the topic exists, since every group's place depends on it. */
  offsetsTopicNumPartitions?: number;
  /** transaction.state.log.replication.factor (3): replicas of __transaction_state, capped by the live brokers at its creation. */
  transactionStateLogReplicationFactor?: number;
  /** transaction.state.log.num.partitions (50): fixed once the topic exists, since every transactional id's place depends on it. */
  transactionStateLogNumPartitions?: number;
}

/** A CreateTopics entry in a cluster: a replication factor, or replicas chosen by the client. */
export interface ReplicatedTopicRequest extends TopicRequest {
  replicationFactor?: number;
  assignment?: number[][];
}

/** What the broker answers Metadata and DescribeCluster from: the last picture read from the store. */
export interface ClusterMetadata {
  clusterId: string;
  /** -1 while no broker holds a live controller lease. */
  controllerId: number;
  brokers: BrokerEndpoint[];
  topics: ReadonlyMap<string, TopicState>;
}

/** The coordination state for the console and health checks. */
export interface ClusterStatus {
  nodeId: number;
  state: "joining" | "member" | "replaced" | "left";
  store: { reachable: boolean; since: number; lastError: string | null };
  controllerId: number;
  controllerEpoch: number | null;
  liveBrokers: number;
  /** When a step last renewed this broker's lease and re-read the store, by its clock; null before the first. */
  confirmedAt: number | null;
}

/** Told the cluster's topics after each refresh that changed them (leaders, ISR, epochs, topics added or gone). */
export type MetadataListener = (now: ReadonlyMap<string, TopicState>, before: ReadonlyMap<string, TopicState>) => void;

function refusalMessage(why: ElectionRefusal, topic: string, p: PartitionState): string {
  if (why === "ELECTION_NOT_NEEDED") return `broker ${p.leader} already leads ${topic}-${p.partition}`;
  if (why === "PREFERRED_LEADER_NOT_AVAILABLE") return `the preferred leader ${p.replicas[0]} of ${topic}-${p.partition} is not alive or not in the ISR [${p.isr.join(", ")}]`;
  return `no live replica of ${topic}-${p.partition} (replicas [${p.replicas.join(", ")}]) can lead`;
}

/** A start-up refusal a person can act on (another live process holds the node id). */
export class ClusterJoinError extends Error {}

const DEFAULT_REPLICATION_FACTOR = 3;
/** Kafka's defaults of offsets.topic.replication.factor and offsets.topic.num.partitions. */
const OFFSETS_TOPIC_REPLICATION_FACTOR = 3;
const OFFSETS_TOPIC_NUM_PARTITIONS = 50;
const TRANSACTION_STATE_LOG_REPLICATION_FACTOR = 3;
const TRANSACTION_STATE_LOG_NUM_PARTITIONS = 50;

/** A topic that passed the checks, with its replicas. */
interface Placed {
  info: TopicInfo;
  assignment: number[][];
}

/**
 * This broker's membership in a cluster coordinated through Postgres: it registers and renews
 * its lease, competes for the controller role, runs the controller's elections while it holds
 * it, and keeps the metadata cache (LISTEN/NOTIFY for promptness, a tick as the bound). When the
 * store is unreachable it keeps the last picture, so leaders keep serving; it logs the outage
 * once and its end once.
 */
export class ClusterMember {
  private liveness: Liveness = { clusterId: "", controller: null, metadataVersion: -1, brokers: [] };
  private topics = new Map<string, TopicState>();
  private incarnation: number | undefined;
  private controllerEpoch: number | undefined;
  /** What the controller last elected from, to skip re-reading when nothing changed. */
  private electedFrom = "";
  private logs: LogManager | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private state: ClusterStatus["state"] = "joining";
  private store_ = { reachable: true, since: Date.now(), lastError: null as string | null };
  private readonly tickMs: number;
  private readonly listeners = new Set<MetadataListener>();
  /**
   * After a store outage every lease has lapsed by the database's clock, though the brokers lived
   * on: elections wait one session timeout, until the live ones have renewed.
   */
  private electionsResumeAt = 0;
  /** When the last step that renewed the lease and re-read the store began, by this broker's clock. */
  private confirmedAt = 0;

  constructor(
    private readonly store: ClusterStore,
    private readonly opts: MemberOptions,
  ) {
    // Several renewals per session: one lost or slow round trip never lapses a lease.
    this.tickMs = Math.max(100, Math.floor(opts.sessionTimeoutMs / 6));
  }

  get nodeId(): number {
    return this.opts.nodeId;
  }

  /**
   * Registers under the node id and reads the cluster. A lapsed registration of the same id (this
   * broker killed and restarted) is taken over; one still renewed by a live process after a whole
   * session timeout is refused with ClusterJoinError.
   */
  async join(logs: LogManager, listener: { host: string; port: number }): Promise<void> {
    this.logs = logs;
    await this.store.ensureCluster(randomBytes(16).toString("base64url").slice(0, 22));
    const endpoint: BrokerEndpoint = { nodeId: this.opts.nodeId, host: listener.host, port: listener.port, rack: this.opts.rack ?? null };
    const deadline = Date.now() + this.opts.sessionTimeoutMs + this.tickMs;
    for (;;) {
      const incarnation = await this.store.register(endpoint, this.opts.sessionTimeoutMs);
      if (incarnation !== null) {
        this.incarnation = incarnation;
        break;
      }
      if (Date.now() > deadline) {
        const h = await this.store.holder(this.opts.nodeId);
        throw new ClusterJoinError(`node id ${this.opts.nodeId} belongs to a live broker${h ? ` at ${h.host}:${h.port}` : ""} that keeps renewing its lease; give this broker another --node-id, or stop the other one`);
      }
      await sleep(Math.min(250, this.tickMs));
    }
    this.unlisten = await this.store.listen(() => this.tick());
    await this.settle();
    this.state = "member";
    this.timer = setInterval(() => this.tick(), this.tickMs);
    log.info({ nodeId: this.opts.nodeId, incarnation: this.incarnation, listener: `${listener.host}:${listener.port}`, rack: this.opts.rack, brokers: this.liveness.brokers.map((b) => b.nodeId), controller: this.liveness.controller?.nodeId }, "joined the cluster");
  }

  /**
   * Controlled shutdown: ends the lease now, and before going waits (up to a session timeout) until
   * the controller has moved this broker's leaderships to other in-sync replicas, electing them
   * itself when it is the controller, so producers find a leader at once. Then gives up the
   * controller role.
   */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    await this.unlisten?.().catch(() => {});
    await this.running;
    try {
      if (this.incarnation !== undefined && this.state === "member") {
        await this.store.expire(this.opts.nodeId, this.incarnation);
        await this.handOverLeaderships();
      }
      if (this.controllerEpoch !== undefined) await this.store.resignController(this.opts.nodeId, this.controllerEpoch);
    } catch (err) {
      log.warn({ err }, "could not tell the cluster this broker leaves; its lease lapses by itself after the session timeout");
    }
    this.state = "left";
    await this.store.close();
  }

  private async handOverLeaderships(): Promise<void> {
    const me = this.opts.nodeId;
    const until = Date.now() + this.opts.sessionTimeoutMs;
    for (;;) {
      if (this.controllerEpoch !== undefined) {
        this.electedFrom = "";
        await this.elect(this.controllerEpoch).catch((err: unknown) => {
          if (!(err instanceof ControllerFencedError)) throw err;
          this.controllerEpoch = undefined;
        });
      }
      const movable = (await this.store.topics()).some((t) => t.partitions.some((p) => p.leader === me && p.isr.some((id) => id !== me)));
      if (!movable || Date.now() > until) return;
      await sleep(100);
    }
  }

  /**
   * Calls `listener` after every refresh that read new topic metadata, once reconciled with the
   * data dir (topics the cluster created exist here by then). Returns the unsubscribe.
   */
  onMetadata(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Whether this broker's lease is live by its own clock: renewed, and the store re-read, less than
   * a session timeout ago. A broker paused or cut off past that may have lost its leaderships
   * without knowing, so it must not acknowledge writes as a leader until a step confirms them.
   */
  leaseCurrent(): boolean {
    return this.state === "member" && Date.now() - this.confirmedAt < this.opts.sessionTimeoutMs;
  }

  /**
   * A leader changes its partition's ISR, as Kafka's AlterPartition: conditional on the leader
   * epoch and partition epoch it last read; the store is re-read afterwards. False when the
   * partition had moved on (the fresh picture then says how).
   */
  async alterIsr(topic: string, partition: number, isr: number[]): Promise<boolean> {
    const p = this.topics.get(topic)?.partitions[partition];
    if (!p || p.leader !== this.opts.nodeId) return false;
    const applied = await this.store.alterIsr(topic, partition, { leader: p.leader, leaderEpoch: p.leaderEpoch, expectedPartitionEpoch: p.partitionEpoch }, isr);
    await this.settle();
    return applied;
  }

  /** The first id of a block of PRODUCER_ID_BLOCK_SIZE producer ids unique across the cluster. */
  async producerIdBlock(): Promise<number> {
    try {
      return (await this.store.producerIdBlock()) * PRODUCER_ID_BLOCK_SIZE;
    } catch (err) {
      throw this.storeRefusal(err, "no producer id can be handed out now");
    }
  }

  metadata(): ClusterMetadata {
    return { clusterId: this.liveness.clusterId, controllerId: this.liveness.controller?.nodeId ?? -1, brokers: this.liveness.brokers, topics: this.topics };
  }

  status(): ClusterStatus {
    return {
      nodeId: this.opts.nodeId,
      state: this.state,
      store: { ...this.store_ },
      controllerId: this.liveness.controller?.nodeId ?? -1,
      controllerEpoch: this.controllerEpoch ?? null,
      liveBrokers: this.liveness.brokers.length,
      confirmedAt: this.confirmedAt || null,
    };
  }

  defaultReplicationFactor(): number {
    return this.opts.defaultReplicationFactor ?? Math.max(1, Math.min(DEFAULT_REPLICATION_FACTOR, this.liveness.brokers.length));
  }

  /** How __consumer_offsets is created now: its partition count, and its replication factor capped by the live brokers. */
  offsetsTopicPlacement(): { partitions: number; replicationFactor: number } {
    const rf = this.opts.offsetsTopicReplicationFactor ?? OFFSETS_TOPIC_REPLICATION_FACTOR;
    return { partitions: this.opts.offsetsTopicNumPartitions ?? OFFSETS_TOPIC_NUM_PARTITIONS, replicationFactor: Math.max(1, Math.min(rf, this.liveness.brokers.length)) };
  }

  /** How __transaction_state is created now: its partition count, and its replication factor capped by the live brokers. */
  transactionStateLogPlacement(): { partitions: number; replicationFactor: number } {
    const rf = this.opts.transactionStateLogReplicationFactor ?? TRANSACTION_STATE_LOG_REPLICATION_FACTOR;
    return { partitions: this.opts.transactionStateLogNumPartitions ?? TRANSACTION_STATE_LOG_NUM_PARTITIONS, replicationFactor: Math.max(1, Math.min(rf, this.liveness.brokers.length)) };
  }

  /**
   * Creates topics cluster-wide: checked as a single broker checks them, replicas placed over the
   * live brokers (rack-aware), written to the store in one transaction, then created here (the
   * other brokers create theirs when the change reaches them).
   */
  /**
   * The logs, once this broker has joined. The listener opens before the join (the address it
   * registers must answer), and until the join has read the live brokers a topic would be placed
   * on none of them ("larger than available brokers: 0"): clients are told to retry instead.
   */
  private joinedLogs(): LogManager {
    if (!this.logs || this.state !== "member") throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, "this broker has not joined its cluster yet; retry");
    return this.logs;
  }

  async createTopics(requests: ReplicatedTopicRequest[], opts: { validateOnly?: boolean } = {}): Promise<(TopicInfo | KafkaError)[]> {
    const logs = this.joinedLogs();
    const checked = await logs.createTopics(requests, { validateOnly: true });
    const planned = checked.map((c, i) => (c instanceof KafkaError ? c : this.place(c, requests[i])));
    if (opts.validateOnly) return planned.map((p) => (p instanceof KafkaError ? p : p.info));
    const accepted = planned.filter((p): p is Placed => !(p instanceof KafkaError));
    if (!accepted.length) return planned.map((p) => (p instanceof KafkaError ? p : p.info));
    let created: boolean[];
    try {
      created = await this.store.createTopics(accepted.map((p) => ({ name: p.info.name, topicId: p.info.topicId, configs: p.info.configs, assignment: p.assignment })));
    } catch (err) {
      const e = this.storeRefusal(err, "topics cannot be created now");
      return planned.map((p) => (p instanceof KafkaError ? p : e));
    }
    // Read back what the store now holds (this request's topics, or the ones that won a race) and create them here.
    await this.settle();
    await Promise.all(accepted.flatMap((p) => logs.creation(p.info.name) ?? []));
    let next = 0;
    return planned.map((p) => {
      if (p instanceof KafkaError) return p;
      if (!created[next++]) return new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${p.info.name}' already exists.`);
      return logs.topic(p.info.name) ?? new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `topic '${p.info.name}' was created in the cluster but not on this broker; see its log`);
    });
  }

  /**
   * Deletes a topic cluster-wide: from the store, then here; the other brokers delete their copy
   * when the change reaches them. Unknown to the cluster but present here (a topic from before the
   * cluster), it is deleted here only.
   */
  async deleteTopic(name: string): Promise<void> {
    const logs = this.joinedLogs();
    let known: boolean;
    try {
      known = await this.store.deleteTopic(name);
    } catch (err) {
      throw this.storeRefusal(err, "topics cannot be deleted now");
    }
    this.topics.delete(name);
    try {
      await logs.deleteTopic(name);
    } catch (err) {
      // Already gone here: the change reached this broker's own refresh first.
      if (!known || !(err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw err;
    }
  }

  /**
   * Grows a topic cluster-wide to `total` partitions (CreatePartitions): the new partitions get the
   * replicas given, or as many as the topic's first partition has, placed over the live brokers;
   * written to the store, then made here (the others make theirs when the change reaches them).
   */
  async createPartitions(name: string, total: number, assignment: number[][] | null, validateOnly: boolean): Promise<void> {
    const logs = this.joinedLogs();
    const topic = this.topics.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist in the cluster`);
    const from = topic.partitions.length;
    if (total <= from) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${from} partitions, which is higher than or equal to the requested ${total}.`);
    // The local checks (partition limits), without creating anything yet.
    await logs.createPartitions(name, total, true);
    const added = total - from;
    let placed: number[][];
    if (assignment) {
      if (assignment.length !== added) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${added} but ${assignment.length} assignments provided.`);
      const checked = this.place({ name, topicId: topic.topicId, partitions: added, configs: topic.configs }, { name, partitions: added, assignment });
      if (checked instanceof KafkaError) throw checked;
      placed = checked.assignment;
    } else {
      const rf = topic.partitions[0]?.replicas.length ?? this.defaultReplicationFactor();
      const live = this.liveness.brokers;
      if (rf > live.length) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${rf} larger than available brokers: ${live.length}.`);
      placed = assignReplicas(live, added, rf, from);
    }
    if (validateOnly) return;
    let applied: boolean;
    try {
      applied = await this.store.addPartitions(name, from, placed);
    } catch (err) {
      throw this.storeRefusal(err, "partitions cannot be added now");
    }
    if (!applied) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic '${name}' changed meanwhile (deleted, or grown by another request); describe it and retry`);
    await this.settle();
  }

  /**
   * ElectLeaders: preferred or unclean elections of the given partitions (null: every partition
   * of every topic), decided on a fresh read of the store and applied by compare-and-set on each
   * partition epoch. Per partition: null when elected, or why not (a Kafka error).
   */
  async electLeaders(type: "preferred" | "unclean", wanted: { topic: string; partitions: number[] }[] | null): Promise<{ topic: string; partition: number; error: KafkaError | null }[]> {
    let topics: TopicState[];
    let alive: Set<number>;
    try {
      [topics, alive] = await Promise.all([this.store.topics(), this.store.liveness().then((l) => new Set(l.brokers.map((b) => b.nodeId)))]);
    } catch (err) {
      throw this.storeRefusal(err, "no election can run now");
    }
    const byName = new Map(topics.map((t) => [t.name, t]));
    const targets = wanted ?? topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
    const results: { topic: string; partition: number; error: KafkaError | null }[] = [];
    const updates: PartitionUpdate[] = [];
    const pending: number[] = [];
    for (const t of targets) {
      for (const partition of t.partitions) {
        const p = byName.get(t.topic)?.partitions[partition];
        if (!p) {
          results.push({ topic: t.topic, partition, error: new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${t.topic}-${partition} does not exist`) });
          continue;
        }
        const decision = type === "preferred" ? electPreferred(p, alive) : electUnclean(p, alive);
        if (typeof decision === "string") {
          results.push({ topic: t.topic, partition, error: new KafkaError(ErrorCode[decision], refusalMessage(decision, t.topic, p)) });
          continue;
        }
        pending.push(results.length);
        results.push({ topic: t.topic, partition, error: null });
        updates.push({ topic: t.topic, partition, expectedPartitionEpoch: p.partitionEpoch, change: decision });
      }
    }
    if (!updates.length) return results;
    let applied: boolean[];
    try {
      applied = await this.store.applyRequested(updates);
    } catch (err) {
      throw this.storeRefusal(err, "no election can run now");
    }
    applied.forEach((ok, i) => {
      const r = results[pending[i]];
      if (!ok) r.error = new KafkaError(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `${r.topic}-${r.partition} changed while its election was decided; retry`);
    });
    log.info({ type, elected: updates.filter((_, i) => applied[i]).map((u) => `${u.topic}-${u.partition}→${u.change.leader}`) }, "leader election asked for by an operator");
    await this.settle();
    return results;
  }

  /**
   * AlterPartitionReassignments: per partition, target replicas to move to (null: cancel the one in
   * progress), decided on a fresh read of the store and applied by compare-and-set on each partition
   * epoch. The controller completes each once its target replicas are in sync. Per partition: null
   * when started (or cancelled), or why not.
   */
  async reassign(wanted: { topic: string; partition: number; replicas: number[] | null }[]): Promise<(KafkaError | null)[]> {
    const refusal = "no reassignment can start now";
    let topics: TopicState[];
    let alive: Set<number>;
    try {
      [topics, alive] = await Promise.all([this.store.topics(), this.store.liveness().then((l) => new Set(l.brokers.map((b) => b.nodeId)))]);
    } catch (err) {
      throw this.storeRefusal(err, refusal);
    }
    const byName = new Map(topics.map((t) => [t.name, t]));
    const results: (KafkaError | null)[] = [];
    const updates: PartitionUpdate[] = [];
    const pending: number[] = [];
    for (const w of wanted) {
      const p = byName.get(w.topic)?.partitions[w.partition];
      if (!p) {
        results.push(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${w.topic}-${w.partition} does not exist`));
        continue;
      }
      const decision = w.replicas === null ? cancelReassignment(p, alive) : startReassignment(p, w.replicas, alive);
      if (decision instanceof KafkaError) {
        results.push(decision);
        continue;
      }
      pending.push(results.length);
      results.push(null);
      updates.push({ topic: w.topic, partition: w.partition, expectedPartitionEpoch: p.partitionEpoch, change: decision });
    }
    if (!updates.length) return results;
    let applied: boolean[];
    try {
      applied = await this.store.applyRequested(updates);
    } catch (err) {
      throw this.storeRefusal(err, refusal);
    }
    applied.forEach((ok, i) => {
      if (!ok) results[pending[i]] = new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${updates[i].topic}-${updates[i].partition} changed while its reassignment was decided; retry`);
    });
    log.info({ reassigned: updates.filter((_, i) => applied[i]).map((u) => `${u.topic}-${u.partition}→[${u.change.reassignment!.replicas.join(",")}] +[${u.change.reassignment!.addingReplicas.join(",")}] -[${u.change.reassignment!.removingReplicas.join(",")}]`) }, "partition reassignment asked for by an operator");
    await this.settle();
    return results;
  }

  /** ListPartitionReassignments: the reassignments in progress, from a fresh read of the store (null: of every partition). */
  async listReassignments(wanted: { topic: string; partitions: number[] }[] | null): Promise<{ topic: string; partition: PartitionState }[]> {
    let topics: TopicState[];
    try {
      topics = await this.store.topics();
    } catch (err) {
      throw this.storeRefusal(err, "reassignments cannot be listed now");
    }
    const byName = new Map(topics.map((t) => [t.name, t]));
    const candidates = wanted
      ? wanted.flatMap((w) => w.partitions.flatMap((i) => { const p = byName.get(w.topic)?.partitions[i]; return p ? [{ topic: w.topic, partition: p }] : []; }))
      : topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    return candidates.filter((c) => reassigning(c.partition));
  }

  private place(info: TopicInfo, r: ReplicatedTopicRequest): Placed | KafkaError {
    const live = this.liveness.brokers;
    if (r.assignment) {
      const ids = new Set(live.map((b) => b.nodeId));
      for (const [i, replicas] of r.assignment.entries()) {
        if (!replicas.length || new Set(replicas).size !== replicas.length) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${i} needs distinct replicas, got [${replicas.join(", ")}]`);
        const unknown = replicas.find((id) => !ids.has(id));
        if (unknown !== undefined) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${i} is assigned to broker ${unknown}, which is not a live broker of this cluster (live: ${[...ids].join(", ")})`);
      }
      return { info, assignment: r.assignment };
    }
    const rf = r.replicationFactor ?? this.defaultReplicationFactor();
    if (rf > live.length) return new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${rf} larger than available brokers: ${live.length}.`);
    return { info, assignment: assignReplicas(live, info.partitions, rf, Math.floor(Math.random() * live.length)) };
  }

  /** Resolves once a step that started after this call has finished. */
  private async settle(): Promise<void> {
    this.tick();
    while (this.running) await this.running;
  }

  /** Runs a step now, or once more right after the one running (a NOTIFY during a step is not lost). */
  private tick(): void {
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        await this.step();
      } while (this.rerun && this.state !== "left");
    })().finally(() => (this.running = undefined));
  }

  /** Renew the lease, act as controller when it is ours, refresh the cache. Never throws. */
  private async step(): Promise<void> {
    if (this.state === "replaced" || this.state === "left" || this.incarnation === undefined) return;
    const startedAt = Date.now();
    try {
      if (!(await this.store.renew(this.opts.nodeId, this.incarnation, this.opts.sessionTimeoutMs))) {
        this.state = "replaced";
        clearInterval(this.timer);
        log.error({ nodeId: this.opts.nodeId }, "another process registered this node id after our lease lapsed: this broker no longer takes part in the cluster; stop it");
        return;
      }
      // Before the controller's duty, so elections right after an outage wait for the grace.
      this.reachable();
      await this.control();
      await this.refresh();
      this.confirmedAt = startedAt;
    } catch (err) {
      this.unreachable(err);
    }
  }

  private async control(): Promise<void> {
    const me = this.opts.nodeId;
    if (this.controllerEpoch !== undefined && !(await this.store.renewController(me, this.controllerEpoch, this.opts.sessionTimeoutMs))) {
      log.warn({ epoch: this.controllerEpoch }, "controller lease lost; another broker may control now");
      this.controllerEpoch = undefined;
    }
    if (this.controllerEpoch === undefined) {
      const epoch = await this.store.acquireController(me, this.incarnation!, this.opts.sessionTimeoutMs);
      if (epoch === null) return;
      this.controllerEpoch = epoch;
      this.electedFrom = "";
      log.info({ epoch }, "became the controller");
    }
    try {
      await this.elect(this.controllerEpoch);
    } catch (err) {
      if (!(err instanceof ControllerFencedError)) throw err;
      log.warn({ epoch: this.controllerEpoch }, "controller epoch fenced; another broker controls now");
      this.controllerEpoch = undefined;
    }
  }

  /** The controller's duty: every partition's leadership follows the live brokers. */
  private async elect(epoch: number): Promise<void> {
    if (Date.now() < this.electionsResumeAt) return;
    const liveness = await this.store.liveness();
    const alive = new Set(liveness.brokers.map((b) => b.nodeId));
    const basis = `${liveness.metadataVersion}:${[...alive].join(",")}`;
    if (basis === this.electedFrom) return;
    const topics = await this.store.topics();
    const updates: PartitionUpdate[] = [];
    for (const t of topics) {
      const unclean = (t.configs["unclean.leader.election.enable"] ?? String(this.opts.uncleanLeaderElection)) === "true";
      for (const p of t.partitions) {
        // A leadership to repair first; a reassignment whose target replicas are all in sync completes.
        const change = electLeader(p, alive, unclean) ?? completeReassignment(p, alive);
        if (change) updates.push({ topic: t.name, partition: p.partition, expectedPartitionEpoch: p.partitionEpoch, change });
      }
    }
    if (updates.length) {
      const applied = await this.store.applyLeadership({ nodeId: this.opts.nodeId, epoch }, updates);
      const offline = updates.filter((u) => u.change.leader === -1).length;
      const reassigned = updates.filter((u) => u.change.reassignment).map((u) => `${u.topic}-${u.partition}→[${u.change.reassignment!.replicas.join(",")}]`);
      log.info({ epoch, alive: [...alive], changed: applied, stale: updates.length - applied, offline, ...(reassigned.length ? { reassigned } : {}) }, "controller moved partition leadership to live brokers");
      // The version moved with our own write: elect again next tick from what the store now holds.
      this.electedFrom = "";
      return;
    }
    this.electedFrom = basis;
  }

  private async refresh(): Promise<void> {
    const liveness = await this.store.liveness();
    const before = this.topics;
    if (liveness.metadataVersion !== this.liveness.metadataVersion) {
      this.topics = new Map((await this.store.topics()).map((t) => [t.name, t]));
    }
    this.liveness = liveness;
    await this.reconcile(before);
    if (this.topics === before) return;
    for (const listener of this.listeners) {
      try {
        listener(this.topics, before);
      } catch (err) {
        log.error({ err }, "a cluster metadata listener failed");
      }
    }
  }

  /**
   * Creates here the cluster's topics this broker does not have yet, and deletes the ones the
   * cluster deleted. Only topics this broker saw in the cluster are deleted: a topic of the data
   * dir the cluster never knew is left alone.
   */
  private async reconcile(before: ReadonlyMap<string, TopicState>): Promise<void> {
    const logs = this.logs!;
    for (const name of before.keys()) {
      if (this.topics.has(name) || !logs.topic(name) || logs.topic(name)!.topicId !== before.get(name)!.topicId) continue;
      try {
        await logs.deleteTopic(name);
      } catch (err) {
        if (!(err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) log.error({ err, topic: name }, "cannot delete a topic the cluster deleted");
      }
    }
    for (const t of this.topics.values()) {
      const local = logs.topic(t.name);
      if (!local || local.topicId !== t.topicId || local.partitions >= t.partitions.length) continue;
      try {
        await logs.createPartitions(t.name, t.partitions.length);
      } catch (err) {
        log.error({ err, topic: t.name, partitions: t.partitions.length }, "cannot add a cluster topic's new partitions on this broker");
      }
    }
    const missing = [...this.topics.values()].filter((t) => !logs.topic(t.name) && !logs.creation(t.name));
    for (const t of this.topics.values()) {
      const local = logs.topic(t.name);
      if (local && local.topicId !== t.topicId) log.warn({ topic: t.name, local: local.topicId, cluster: t.topicId }, "a topic of this name exists in the data dir from before this cluster; its id differs from the cluster's");
    }
    if (!missing.length) return;
    const results = await logs.createTopics(missing.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, configs: t.configs })));
    results.forEach((r, i) => {
      if (r instanceof KafkaError && r.code !== ErrorCode.TOPIC_ALREADY_EXISTS) log.error({ topic: missing[i].name, error: r.message }, "cannot create a cluster topic on this broker");
    });
  }

  private reachable(): void {
    if (this.store_.reachable) return;
    log.info({ downMs: Date.now() - this.store_.since, electionsInMs: this.opts.sessionTimeoutMs }, "cluster coordination store reachable again: metadata changes resume, elections once the live brokers have renewed their leases");
    this.store_ = { reachable: true, since: Date.now(), lastError: null };
    this.electionsResumeAt = Date.now() + this.opts.sessionTimeoutMs;
  }

  /** Records the store as unreachable and says what cannot be done meanwhile, as a retriable error for the client. */
  private storeRefusal(err: unknown, what: string): KafkaError {
    this.unreachable(err);
    return new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the cluster's coordination store is unreachable, so ${what}; retry (${(err as Error).message})`);
  }

  private unreachable(err: unknown): void {
    const message = (err as Error).message;
    if (this.store_.reachable) {
      log.error({ err }, "cluster coordination store unreachable: serving with the leadership known; elections and metadata changes wait until it returns");
      this.store_ = { reachable: false, since: Date.now(), lastError: message };
    } else {
      this.store_.lastError = message;
    }
  }
}
