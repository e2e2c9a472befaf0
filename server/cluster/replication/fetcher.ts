import { setTimeout as sleep } from "node:timers/promises";
import type { PartitionLog } from "../../broker/log/partition-log";
import { BrokerConnection } from "../../kafka/client/connection";
import { byTopic, call } from "../../kafka/client/protocol";
import { FetchSession, UNKNOWN_OFFSET } from "../../kafka/constants";
import { ErrorCode, errorName } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { logger } from "../../log";
import type { BrokerEndpoint } from "../store";
import type { SaslOptions } from "../../kafka/client/sasl";
import { partitionKey } from "../../kafka/partition-key";

const log = logger("cluster.replication");

/** A partition this broker follows, and where it stands. */
export interface FollowedPartition {
  topic: string;
  partition: number;
  leaderEpoch: number;
  log: PartitionLog;
  /** Set until the log was truncated to where it agrees with this leader epoch's leader. */
  mustTruncate: boolean;
  /** Not fetched before this time (the leader did not know the epoch yet, or refused). */
  retryAt: number;
}

export interface FetcherOptions {
  nodeId: number;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.max.bytes, per partition */
  partitionMaxBytes: number;
  requestTimeoutMs: number;
  /** Where the leader listens now (it may have re-registered on another port). */
  endpoint: () => BrokerEndpoint | undefined;
  sasl?: SaslOptions;
}

const RETRY_MS = 250;

/**
 * Kafka's replica fetcher: one connection to one leader, one Fetch (replica_id = this broker) for
 * all the partitions it leads that this broker follows, appending what comes back byte for byte.
 * A partition that got a new leader epoch is first truncated to the leader's end offset of this
 * log's latest epoch (OffsetForLeaderEpoch), so a deposed leader drops what the new one never had.
 */
export class ReplicaFetcher {
  private readonly partitions = new Map<string, FollowedPartition>();
  private conn: BrokerConnection | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private failing = false;
  /** The fetch round under way, so a partition being deleted can wait out appends already started. */
  private round: Promise<void> | undefined;

  constructor(
    readonly leaderId: number,
    private readonly opts: FetcherOptions,
  ) {
    this.loop = this.run();
  }

  get size(): number {
    return this.partitions.size;
  }

  add(p: FollowedPartition): void {
    this.partitions.set(partitionKey(p.topic, p.partition), p);
    this.wakeUp?.();
  }

  remove(topic: string, partition: number): void {
    this.partitions.delete(partitionKey(topic, partition));
  }

  /** Keeps only the partitions `keep` accepts. */
  retain(keep: (topic: string, partition: number) => boolean): void {
    for (const [k, p] of this.partitions) if (!keep(p.topic, p.partition)) this.partitions.delete(k);
  }

  get(topic: string, partition: number): FollowedPartition | undefined {
    return this.partitions.get(partitionKey(topic, partition));
  }

  /** Resolves once the fetch round under way (if any) is over: a partition removed before it writes nothing more after it. */
  async settled(): Promise<void> {
    await this.round?.catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    this.conn?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      const due = [...this.partitions.values()].filter((p) => p.retryAt <= now);
      if (!due.length) {
        await new Promise<void>((resolve) => {
          const idle = setTimeout(resolve, RETRY_MS);
          this.wakeUp = () => {
            clearTimeout(idle);
            resolve();
          };
        });
        this.wakeUp = undefined;
        continue;
      }
      try {
        const conn = await this.connection();
        this.round = (async () => {
          const truncating = due.filter((p) => p.mustTruncate);
          if (truncating.length) await this.truncate(conn, truncating);
          await this.fetch(conn, due.filter((p) => !p.mustTruncate && this.partitions.get(partitionKey(p.topic, p.partition)) === p));
        })();
        await this.round;
        if (this.failing) log.info({ leader: this.leaderId }, "replica fetcher reaches its leader again");
        this.failing = false;
      } catch (err) {
        if (this.stopped) break;
        if (!this.failing) log.warn({ leader: this.leaderId, err: (err as Error).message }, "replica fetch from the leader failed; retrying");
        this.failing = true;
        this.conn?.close();
        this.conn = undefined;
        await sleep(RETRY_MS);
      }
    }
  }

  private async connection(): Promise<BrokerConnection> {
    if (this.conn && !this.conn.closed) return this.conn;
    const at = this.opts.endpoint();
    if (!at) throw new Error(`leader ${this.leaderId} is not a live broker now`);
    this.conn = await BrokerConnection.open({
      host: at.host,
      port: at.port,
      clientId: `tributary-replica-fetcher-${this.opts.nodeId}`,
      connectTimeoutMs: 3000,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      maxInFlight: 1,
      maxResponseBytes: 256 * 1024 * 1024,
      ...(this.opts.sasl ? { sasl: this.opts.sasl } : {}),
    });
    return this.conn;
  }

  /** OffsetForLeaderEpoch for this log's latest epoch; the log is cut to where it and the leader agree. */
  private async truncate(conn: BrokerConnection, list: FollowedPartition[]): Promise<void> {
    const asked = new Map<string, { p: FollowedPartition; epoch: number }>();
    for (const p of list) {
      const latest = p.log.epochs.latest;
      if (latest) asked.set(partitionKey(p.topic, p.partition), { p, epoch: latest.epoch });
      else p.mustTruncate = false;
    }
    if (!asked.size) return;
    const res = await call(conn, Apis.OffsetForLeaderEpoch, {
      replicaId: this.opts.nodeId,
      topics: [...byTopic([...asked.values()].map((a) => ({ topic: a.p.topic, ...a })))].map(([topic, items]) => ({ topic, partitions: items.map((a) => ({ partition: a.p.partition, currentLeaderEpoch: a.p.leaderEpoch, leaderEpoch: a.epoch })) })),
    });
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const a = asked.get(partitionKey(t.topic, r.partition));
        if (!a) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          a.p.retryAt = Date.now() + RETRY_MS;
          continue;
        }
        const pl = a.p.log;
        // The leader knows no epoch this old: nothing here can be trusted beyond its high watermark.
        const mine = r.endOffset === UNKNOWN_OFFSET ? undefined : pl.epochs.endOffsetFor(r.leaderEpoch, pl.logEndOffset);
        const to = r.endOffset === UNKNOWN_OFFSET ? pl.highWatermark : Math.min(r.endOffset, mine?.endOffset ?? r.endOffset);
        await pl.truncateTo(to);
        a.p.mustTruncate = false;
      }
    }
  }

  private async fetch(conn: BrokerConnection, list: FollowedPartition[]): Promise<void> {
    if (!list.length) return;
    const fetching = new Set(list);
    const res = await call(
      conn,
      Apis.Fetch,
      {
        replicaId: this.opts.nodeId,
        maxWaitMs: this.opts.maxWaitMs,
        minBytes: 1,
        maxBytes: 64 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: FetchSession.NO_SESSION_ID,
        sessionEpoch: FetchSession.FINAL_EPOCH,
        topics: [...byTopic(list)].map(([topic, items]) => ({
          topic,
          partitions: items.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, fetchOffset: p.log.logEndOffset, logStartOffset: p.log.logStartOffset, partitionMaxBytes: this.opts.partitionMaxBytes })),
        })),
        forgottenTopicsData: [],
        rackId: "",
      },
      { timeoutMs: this.opts.requestTimeoutMs + this.opts.maxWaitMs },
    );
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`the leader refused the fetch: ${errorName(res.errorCode)}`);
    for (const t of res.responses) {
      for (const r of t.partitions) {
        const p = this.partitions.get(partitionKey(t.topic, r.partitionIndex));
        // Moved to another leader or epoch while the fetch was under way: what came back is not its.
        if (!p || !fetching.has(p)) continue;
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          // Retention or DeleteRecords on the leader passed this log's end: start over at the leader's log start.
          if (r.logStartOffset > p.log.logEndOffset) await p.log.startAt(r.logStartOffset);
          else p.mustTruncate = true;
          continue;
        }
        if (r.errorCode !== ErrorCode.NONE) {
          // A leader that does not know this epoch yet, or no longer leads: the metadata will say.
          p.retryAt = Date.now() + RETRY_MS;
          continue;
        }
        try {
          if (r.records?.length) await p.log.appendReplica(r.records);
          p.log.replicatedHighWatermark(Math.min(r.highWatermark, p.log.logEndOffset));
        } catch (err) {
          log.error({ topic: t.topic, partition: r.partitionIndex, leader: this.leaderId, err }, "cannot append the leader's batches; truncating to the leader's log and fetching again");
          p.mustTruncate = true;
          p.retryAt = Date.now() + RETRY_MS * 4;
        }
      }
    }
  }
}
