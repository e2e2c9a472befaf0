import type { LogManager } from "../../broker/log/log-manager";
import type { PartitionLog } from "../../broker/log/partition-log";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { logger } from "../../log";
import type { ClusterMember } from "../member";
import type { PartitionState, TopicState } from "../store";
import { ReplicaFetcher } from "./fetcher";
import { LeaderPartition } from "./leader";
import type { SaslOptions } from "../../kafka/client/sasl";
import { partitionKey } from "../../kafka/partition-key";

const log = logger("cluster.replication");

export interface ReplicationOptions {
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms */
  fetchMaxWaitMs?: number;
  /** replica.fetch.max.bytes */
  fetchMaxBytes?: number;
  requestTimeoutMs?: number;
  /** How followers log in to leaders whose listener takes SASL: this broker's internal user, which every broker of the cluster knows. */
  sasl?: SaslOptions;
}


/**
 * Kafka's replica manager for one broker of a cluster: from every metadata change it makes this
 * broker lead the partitions the store says it leads (followers' progress, high watermark, ISR
 * changes through the store) and follow the others it is a replica of (a fetcher per leader).
 * Single-node brokers have none, so nothing of this is on their path.
 */
export class ReplicaManager {
  private readonly led = new Map<string, LeaderPartition>();
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Fetchers left idle and stopping: their last round may still append. */
  private readonly retiring = new Set<Promise<void>>();
  /** Partitions whose local records are being deleted (this broker left their replica set). */
  private readonly deleting = new Set<string>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: ClusterMember,
    private readonly logs: LogManager,
    private readonly opts: ReplicationOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.cluster.onMetadata((now) => this.apply(now));
    this.apply(this.cluster.metadata().topics);
    this.timer = setInterval(() => this.checkIsr(), Math.max(50, Math.floor(this.opts.replicaLagTimeMaxMs / 4)));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    for (const l of this.led.values()) l.close(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, "the broker is shutting down"));
    this.led.clear();
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
  }

  /** The leadership of a partition this broker leads now, if it does. */
  leading(topic: string, partition: number): LeaderPartition | undefined {
    return this.led.get(partitionKey(topic, partition));
  }

  /** Fetch from a follower (replica_id = its node id): its fetch offset is its log end. */
  followerFetched(topic: string, partition: number, replicaId: number, fetchOffset: number): void {
    this.led.get(partitionKey(topic, partition))?.fetched(replicaId, fetchOffset, Date.now());
  }

  /** acks=all before the append: NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas. */
  checkInsync(topic: string, partition: number, pl: PartitionLog): void {
    const l = this.led.get(partitionKey(topic, partition));
    const isr = l?.isr.length ?? 1;
    const min = pl.logSettings.minInsyncReplicas;
    if (isr < min) throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, `${topic}-${partition} has ${isr} in-sync replica${isr === 1 ? "" : "s"} [${l?.isr.join(", ")}]; min.insync.replicas is ${min}`);
  }

  /**
   * acks=all after the append: resolves when every in-sync replica has the records up to
   * `lastOffset`; NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas
   * meanwhile, REQUEST_TIMED_OUT at the request's timeout, NOT_LEADER_OR_FOLLOWER when the
   * leadership ended. No lease check: the followers that advanced the high watermark hold the
   * records, and a leader replaced behind its back has no followers left to advance it.
   */
  async awaitReplicated(topic: string, partition: number, pl: PartitionLog, lastOffset: number, timeoutMs: number): Promise<void> {
    const l = this.led.get(partitionKey(topic, partition));
    if (!l) {
      if (pl.highWatermark > lastOffset) return;
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker no longer leads ${topic}-${partition}`);
    }
    const error = await l.awaitReplicated(lastOffset, timeoutMs);
    if (error) throw error;
    const min = pl.logSettings.minInsyncReplicas;
    if (l.isr.length < min) throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `the records are written, but the ISR of ${topic}-${partition} shrank to [${l.isr.join(", ")}], below min.insync.replicas ${min}`);
  }

  private apply(topics: ReadonlyMap<string, TopicState>): void {
    const me = this.cluster.nodeId;
    const seen = new Set<string>();
    const notHeld: { topic: string; pl: PartitionLog }[] = [];
    for (const t of topics.values()) {
      for (const p of t.partitions) {
        let pl: PartitionLog;
        try {
          pl = this.logs.partition(t.name, p.partition);
        } catch {
          continue;
        }
        if (!p.replicas.includes(me)) {
          // Only the cluster's own topic: a data dir's older topic of the same name is not its to delete.
          if (this.logs.topic(t.name)?.topicId === t.topicId) notHeld.push({ topic: t.name, pl });
          continue;
        }
        const k = partitionKey(t.name, p.partition);
        seen.add(k);
        if (p.leader === me) this.lead(t.name, p, pl);
        else this.follow(t.name, p, pl);
      }
    }
    for (const [k, l] of this.led) {
      if (seen.has(k)) continue;
      l.close(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, "the partition is no longer on this broker"));
      this.led.delete(k);
    }
    this.dropUnfollowed(seen);
    for (const { topic, pl } of notHeld) if (pl.logEndOffset > 0 || pl.logStartOffset > 0) void this.deleteReplica(topic, pl);
  }

  /**
   * Kafka's StopReplica with delete: a broker that left a partition's replica set (its
   * reassignment completed, or it was moved off while down) deletes the records it held, so it
   * keeps no stale copy on disk and never serves it again. Waits out fetch rounds under way so
   * no late append lands after the deletion, then checks it was not made a replica meanwhile.
   */
  private async deleteReplica(topic: string, pl: PartitionLog): Promise<void> {
    const k = partitionKey(topic, pl.partition);
    if (this.deleting.has(k)) return;
    this.deleting.add(k);
    try {
      await Promise.all([...[...this.fetchers.values()].map((f) => f.settled()), ...this.retiring]);
      if (this.cluster.metadata().topics.get(topic)?.partitions[pl.partition]?.replicas.includes(this.cluster.nodeId)) return;
      const bytes = pl.sizeBytes;
      const logEndOffset = pl.logEndOffset;
      await pl.startAt(0);
      log.info({ topic, partition: pl.partition, bytes, logEndOffset }, "no longer a replica: deleted the partition's local records");
    } catch (err) {
      log.error({ topic, partition: pl.partition, err }, "cannot delete the records of a partition this broker no longer holds");
    } finally {
      this.deleting.delete(k);
    }
  }

  private lead(topic: string, p: PartitionState, pl: PartitionLog): void {
    const k = partitionKey(topic, p.partition);
    this.stopFollowing(topic, p.partition);
    const current = this.led.get(k);
    if (current && current.leaderEpoch === p.leaderEpoch) return current.update(p);
    current?.close(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${p.partition} has a new leader epoch ${p.leaderEpoch}`));
    this.led.set(k, new LeaderPartition(pl, p, this.cluster.nodeId, Date.now()));
    log.info({ topic, partition: p.partition, leaderEpoch: p.leaderEpoch, isr: p.isr, logEndOffset: pl.logEndOffset }, "leading");
  }

  private follow(topic: string, p: PartitionState, pl: PartitionLog): void {
    const k = partitionKey(topic, p.partition);
    const led = this.led.get(k);
    if (led) {
      led.close(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${p.leader} leads ${topic}-${p.partition} now`));
      this.led.delete(k);
    }
    if (p.leader < 0) return this.stopFollowing(topic, p.partition);
    const existing = this.fetchers.get(p.leader)?.get(topic, p.partition);
    if (existing && existing.leaderEpoch === p.leaderEpoch) return;
    this.stopFollowing(topic, p.partition);
    // A follower's high watermark is the leader's: it stops moving by this log's own appends.
    pl.replicatedHighWatermark(pl.highWatermark);
    pl.following = true;
    this.fetcher(p.leader).add({ topic, partition: p.partition, leaderEpoch: p.leaderEpoch, log: pl, mustTruncate: true, retryAt: 0 });
    log.info({ topic, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, logEndOffset: pl.logEndOffset }, "following");
  }

  private fetcher(leaderId: number): ReplicaFetcher {
    let f = this.fetchers.get(leaderId);
    if (!f) {
      f = new ReplicaFetcher(leaderId, {
        nodeId: this.cluster.nodeId,
        maxWaitMs: this.opts.fetchMaxWaitMs ?? 500,
        partitionMaxBytes: this.opts.fetchMaxBytes ?? 1024 * 1024,
        requestTimeoutMs: this.opts.requestTimeoutMs ?? 30_000,
        sasl: this.opts.sasl,
        endpoint: () => this.cluster.metadata().brokers.find((b) => b.nodeId === leaderId),
      });
      this.fetchers.set(leaderId, f);
    }
    return f;
  }

  private stopFollowing(topic: string, partition: number): void {
    for (const f of this.fetchers.values()) f.remove(topic, partition);
  }

  /** Partitions gone from this broker (topic deleted, replica moved) are no longer fetched; idle fetchers stop. */
  private dropUnfollowed(seen: ReadonlySet<string>): void {
    for (const [id, f] of this.fetchers) {
      f.retain((topic, partition) => seen.has(partitionKey(topic, partition)));
      if (f.size === 0) {
        this.fetchers.delete(id);
        const stopping = f.stop();
        this.retiring.add(stopping);
        void stopping.finally(() => this.retiring.delete(stopping));
      }
    }
  }

  /** Followers that fell behind leave the ISR, caught-up ones join it: one conditional store update per partition at a time. */
  private checkIsr(): void {
    const now = Date.now();
    for (const l of this.led.values()) {
      if (l.alterInFlight) continue;
      const isr = l.wantedIsr(now, this.opts.replicaLagTimeMaxMs);
      if (!isr) continue;
      l.alterInFlight = true;
      const { topic, partition } = l.log;
      const before = [...l.isr];
      this.cluster.alterIsr(topic, partition, isr).then(
        (applied) => {
          l.alterInFlight = false;
          if (applied) log.info({ topic, partition, from: before, to: isr }, isr.length < before.length ? "shrank the ISR: a follower fell behind" : "expanded the ISR: a follower caught up");
        },
        (err: unknown) => {
          l.alterInFlight = false;
          log.warn({ topic, partition, err: (err as Error).message }, "could not change the ISR in the cluster store; retrying");
        },
      );
    }
  }
}
