import { ErrorCode, KafkaError } from "../../kafka/errors";
import type { PartitionLog } from "../../broker/log/partition-log";
import type { PartitionState } from "../store";

/** What a leader knows of one follower, from its fetches (Kafka's replica state). */
interface Follower {
  /** Its log end offset: the offset it last fetched from. */
  logEndOffset: number;
  /** The last time it had everything the leader had (replica.lag.time.max.ms counts from here). */
  lastCaughtUpAt: number;
  lastFetchAt: number;
  /** The leader's log end at its previous fetch. */
  leaderEndAtLastFetch: number;
}

/** An acks=all produce waiting for the high watermark to pass its last offset. */
interface Waiter {
  offset: number;
  done: (error: KafkaError | null) => void;
}

/**
 * One partition this broker leads under one leader epoch: its followers' progress, the high
 * watermark (the lowest log end among the in-sync replicas), and the acks=all produces waiting for
 * it (Kafka's produce purgatory: a list per partition, woken when the high watermark moves, never
 * per record).
 */
export class LeaderPartition {
  private readonly followers = new Map<number, Follower>();
  private waiters: Waiter[] = [];
  private readonly offHighWatermark: () => void;
  /** An ISR change sent to the store and not yet seen back. */
  alterInFlight = false;

  constructor(
    readonly log: PartitionLog,
    private state: PartitionState,
    private readonly me: number,
    now: number,
  ) {
    // Kafka's rule: at the start of a leadership every follower counts as just caught up.
    for (const id of state.replicas) if (id !== me) this.followers.set(id, { logEndOffset: -1, lastCaughtUpAt: now, lastFetchAt: now, leaderEndAtLastFetch: -1 });
    log.leaderEpoch = state.leaderEpoch;
    log.following = false;
    // The new epoch starts at the log end now, so a follower truncating to it cuts exactly what this leader lacks.
    log.epochs.assign(state.leaderEpoch, log.logEndOffset);
    this.offHighWatermark = log.onAppend(() => this.wake());
    this.updateHighWatermark();
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get isr(): readonly number[] {
    return this.state.isr;
  }

  /** The store's newer picture of the partition (same leader epoch): ISR and partition epoch. */
  update(state: PartitionState): void {
    // A reassignment changes the replicas within a leader epoch: replicas added start out of sync
    // (they join the ISR once caught up), replicas removed are no longer tracked.
    for (const id of state.replicas) if (id !== this.me && !this.followers.has(id)) this.followers.set(id, { logEndOffset: -1, lastCaughtUpAt: 0, lastFetchAt: 0, leaderEndAtLastFetch: -1 });
    for (const id of this.followers.keys()) if (!state.replicas.includes(id)) this.followers.delete(id);
    this.state = state;
    this.alterInFlight = false;
    this.updateHighWatermark();
  }

  /** A follower fetched from `offset`: that is its log end. */
  fetched(replicaId: number, offset: number, now: number): void {
    const f = this.followers.get(replicaId);
    if (!f) return;
    const leaderEnd = this.log.logEndOffset;
    if (offset >= leaderEnd) f.lastCaughtUpAt = now;
    else if (offset >= f.leaderEndAtLastFetch) f.lastCaughtUpAt = Math.max(f.lastCaughtUpAt, f.lastFetchAt);
    f.logEndOffset = offset;
    f.lastFetchAt = now;
    f.leaderEndAtLastFetch = leaderEnd;
    if (this.state.isr.includes(replicaId)) this.updateHighWatermark();
  }

  /**
   * The ISR this leader wants now, or undefined to keep it: followers in it not caught up for
   * `lagMs` leave; followers out of it that reached the high watermark (and this epoch's start)
   * join.
   */
  wantedIsr(now: number, lagMs: number): number[] | undefined {
    const epochStart = this.log.epochs.latest?.startOffset ?? 0;
    const isr = this.state.isr.filter((id) => id === this.me || now - (this.followers.get(id)?.lastCaughtUpAt ?? 0) <= lagMs);
    for (const [id, f] of this.followers) {
      if (!isr.includes(id) && f.logEndOffset >= this.log.highWatermark && f.logEndOffset >= epochStart && now - f.lastCaughtUpAt <= lagMs) isr.push(id);
    }
    if (!isr.includes(this.me)) isr.unshift(this.me);
    const same = isr.length === this.state.isr.length && isr.every((id) => this.state.isr.includes(id));
    return same ? undefined : this.state.replicas.filter((id) => isr.includes(id));
  }

  /** A follower's log end as this leader knows it (-1 before its first fetch). */
  followerEnd(replicaId: number): number {
    return this.followers.get(replicaId)?.logEndOffset ?? -1;
  }

  /** Resolves once the high watermark passes `lastOffset` (null), or with why it cannot (lost leadership, timeout). */
  awaitReplicated(lastOffset: number, timeoutMs: number): Promise<KafkaError | null> {
    if (this.log.highWatermark > lastOffset) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the in-sync replicas [${this.state.isr.join(", ")}] of ${this.log.topic}-${this.log.partition} did not all have offset ${lastOffset} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        offset: lastOffset,
        done: (error) => {
          clearTimeout(timer);
          resolve(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** This broker no longer leads under this epoch: every waiting produce is told so. */
  close(reason: KafkaError): void {
    this.offHighWatermark();
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.done(reason);
  }

  private updateHighWatermark(): void {
    let hw = Infinity;
    for (const id of this.state.isr) if (id !== this.me) hw = Math.min(hw, this.followers.get(id)?.logEndOffset ?? -1);
    // An in-sync follower not heard from yet holds the high watermark where it is.
    this.log.replicatedHighWatermark(hw < 0 ? this.log.highWatermark : hw);
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const hw = this.log.highWatermark;
    const ready = this.waiters.filter((w) => w.offset < hw);
    if (!ready.length) return;
    this.waiters = this.waiters.filter((w) => w.offset >= hw);
    for (const w of ready) w.done(null);
  }
}
