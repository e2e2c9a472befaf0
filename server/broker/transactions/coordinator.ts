import { codeOf, ErrorCode, KafkaError } from "../../kafka/errors";
import { decodeRecordBatch, encodeRecordBatch, forEachBatch } from "../../kafka/records/batch";
import { logger } from "../../log";
import { coordinatorPartition } from "../groups/coordinator-partition";
import { CoordinatorPartitions } from "../groups/cluster-coordinators";
import { OFFSETS_TOPIC } from "../groups/offsets-store";
import type { LogManager } from "../log/log-manager";
import type { PartitionLog } from "../log/partition-log";
import { markerBatch } from "../log/txn-index";
import { partitionKey, splitPartition } from "../../kafka/partition-key";
import { readTransactionKey, readTransactionValue, transactionKey, transactionValue } from "./log-format";
import { isCompleting, TRANSACTION_STATES, transition, type TransactionMetadata } from "./state";

const log = logger("broker.transactions");

export const TRANSACTION_STATE_TOPIC = "__transaction_state";
/** Kafka's transaction.max.timeout.ms. */
export const DEFAULT_TRANSACTION_MAX_TIMEOUT_MS = 900_000;
/** Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms. */
export const DEFAULT_ABORT_TIMED_OUT_INTERVAL_MS = 10_000;
/** Epochs are int16; at the last one the producer gets a new id instead (Kafka does the same). */
const MAX_EPOCH = 32766;
/** One broker is the only coordinator there has been. */
const COORDINATOR_EPOCH = 0;
/** How long a marker may wait for another write's fdatasync before its partition is flushed for it. */
const MARKER_FLUSH_MS = 5;

/** A producer's view of a marker written to one of its partitions: the group coordinator materialises or drops pending offsets on it. */
export type MarkerListener = (producerId: number, commit: boolean) => void;

/**
 * In a cluster: the coordinator serves the transactional ids of the __transaction_state
 * partitions this broker leads (told by `coordinate`), waits for the in-sync replicas of each
 * state write, and sends markers to the partitions' leaders.
 */
export interface ClusterTransactions {
  /** Resolves once the in-sync replicas hold a __transaction_state partition up to `lastOffset`. */
  awaitReplicas(partition: number, lastOffset: number): Promise<void>;
  /** Writes a marker to every partition through its leader; resolves once each partition's in-sync replicas hold it. */
  sendMarkers(producerId: number, producerEpoch: number, commit: boolean, partitions: { topic: string; partition: number }[]): Promise<void>;
  /** The partitions of __consumer_offsets in the cluster (AddOffsetsToTxn places a group by them). */
  offsetsPartitions(): number;
}

export interface TransactionCoordinatorOptions {
  logs: LogManager;
  /** Told when a marker lands in __consumer_offsets, so transactional offset commits become visible or vanish. */
  onOffsetsMarker: MarkerListener;
  maxTimeoutMs?: number;
  abortTimedOutIntervalMs?: number;
  clock?: () => number;
}

/** A request's producer: its transactional id, producer id and epoch. */
export interface TxnProducer {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
}

/**
 * Kafka's transaction coordinator (KIP-98) for one broker: it owns every transactional id, keeps
 * each one's state in memory and in the compacted topic __transaction_state (Kafka's record
 * format), and writes the COMMIT/ABORT markers to the transaction's partitions in-process, as the
 * leader of them all. Each transactional id's requests run one at a time, and a request that ends
 * a transaction answers only once every marker is durable, so a client that sees its commit
 * succeed reads its records committed everywhere.
 */
export class TransactionCoordinator {
  private txns = new Map<string, TransactionMetadata>();
  private byProducer = new Map<number, TransactionMetadata>();
  private queues = new Map<string, Promise<unknown>>();
  /** Per transactional id, what its next __transaction_state record must wait for (see persist). */
  private written = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  /** In a cluster, the __transaction_state partitions this broker serves; undefined on a single broker. */
  private partitions: CoordinatorPartitions | undefined;
  private cluster: ClusterTransactions | undefined;
  private readonly logs: LogManager;
  private readonly clock: () => number;
  readonly maxTimeoutMs: number;

  constructor(private readonly opts: TransactionCoordinatorOptions) {
    this.logs = opts.logs;
    this.clock = opts.clock ?? Date.now;
    this.maxTimeoutMs = opts.maxTimeoutMs ?? DEFAULT_TRANSACTION_MAX_TIMEOUT_MS;
  }

  /**
   * A single broker loads __transaction_state, then finishes every transaction a crash left
   * between its PREPARE record and its markers; in a cluster (`followLeadership`) nothing is
   * served until `joinCluster` and `coordinate` say how and which partitions.
   */
  async start(opts: { followLeadership?: boolean } = {}): Promise<void> {
    if (opts.followLeadership) {
      this.partitions = new CoordinatorPartitions(TRANSACTION_STATE_TOPIC, "transactions", log, { load: (p) => this.loadServed(p), unload: (p) => this.unload(p) });
      return this.startTimer();
    }
    if (!this.logs.topic(TRANSACTION_STATE_TOPIC)) {
      await this.logs.createTopic(TRANSACTION_STATE_TOPIC, { partitions: 1, configs: { "cleanup.policy": "compact", "segment.bytes": String(100 << 20) } });
    }
    const loaded = await this.loadPartition(0);
    for (const m of loaded) await this.completePrepared(m);
    await this.abortOrphans();
    this.startTimer();
  }

  private startTimer(): void {
    const interval = this.opts.abortTimedOutIntervalMs ?? DEFAULT_ABORT_TIMED_OUT_INTERVAL_MS;
    this.timer = setInterval(() => void this.abortTimedOut().catch((err) => log.error({ err }, "aborting timed-out transactions failed")), interval);
    this.timer.unref();
  }

  /** How this broker reaches the rest of its cluster; given once the broker is built. */
  joinCluster(cluster: ClusterTransactions): void {
    this.cluster = cluster;
  }

  /** Reads a __transaction_state partition to its log end into memory; returns the transactions it holds. */
  private async loadPartition(index: number): Promise<TransactionMetadata[]> {
    const p = this.logs.partition(TRANSACTION_STATE_TOPIC, index);
    const found = new Map<string, TransactionMetadata>();
    let offset = p.logStartOffset;
    // A single broker's log is all flushed; a new leader's is read to its end, as Kafka's is.
    const end = this.partitions ? p.logEndOffset : p.highWatermark;
    while (offset < end) {
      const { records } = await p.read(offset, 4 << 20, true, this.partitions ? "replica" : "read_uncommitted");
      if (records.length === 0) break;
      forEachBatch(records, (h, pos) => {
        offset = h.baseOffset + h.lastOffsetDelta + 1;
        if (h.control) return;
        for (const r of decodeRecordBatch(records, pos).records) {
          const id = r.key && readTransactionKey(r.key);
          if (!id) continue;
          if (r.value) found.set(id, readTransactionValue(id, r.value));
          else found.delete(id);
        }
      });
    }
    for (const m of found.values()) {
      this.txns.set(m.transactionalId, m);
      this.byProducer.set(m.producerId, m);
    }
    return [...found.values()];
  }

  /**
   * A partition gained in a cluster: once served, what it left prepared is completed (an Ongoing
   * one is aborted by the timeout sweep once past its transaction.timeout.ms, as in Kafka).
   */
  private async loadServed(p: number): Promise<{ loaded: number; serve: () => void }> {
    const loaded = await this.loadPartition(p);
    const serve = () => {
      for (const m of loaded) void this.completePrepared(m).catch((err: unknown) => log.error({ err, transactionalId: m.transactionalId }, "completing a prepared transaction failed"));
    };
    return { loaded: loaded.length, serve };
  }

  /** A transaction its last coordinator left between PREPARE and COMPLETE is finished as it was decided. */
  private async completePrepared(m: TransactionMetadata): Promise<void> {
    if (!isCompleting(m.state)) return;
    log.info({ transactionalId: m.transactionalId, state: m.state }, "completing a transaction the last coordinator left prepared");
    await this.serial(m.transactionalId, () => this.finish(m, m.state === "PrepareCommit", this.partitions ? undefined : m.preparedEnds));
  }

  /**
   * Whether this broker answers for the transactional id: NONE, NOT_COORDINATOR (another broker
   * leads its __transaction_state partition) or COORDINATOR_LOAD_IN_PROGRESS (being read).
   */
  coordinatorError(transactionalId: string): number {
    return this.partitions ? this.partitions.errorFor(this.partitionOf(transactionalId)) : ErrorCode.NONE;
  }

  private gate(transactionalId: string): void {
    const code = this.coordinatorError(transactionalId);
    if (code) throw new KafkaError(code, `this broker does not coordinate transactional id ${transactionalId} now; find its coordinator again`);
  }

  /** The __transaction_state partition of a transactional id: the one partition of a single broker. */
  private partitionOf(transactionalId: string): number {
    return this.partitions ? coordinatorPartition(transactionalId, this.logs.topic(TRANSACTION_STATE_TOPIC)?.partitions ?? 1) : 0;
  }

  /**
   * Follows the leadership of __transaction_state (cluster only): a partition gained is loaded to
   * its log end and what it left prepared is completed (an Ongoing one is aborted by the timeout
   * sweep once past its transaction.timeout.ms, as in Kafka); a partition lost is dropped from
   * memory, its ids answered NOT_COORDINATOR from now on. Resolves once applied.
   */
  coordinate(led: ReadonlySet<number>): Promise<void> {
    return this.partitions ? this.partitions.coordinate(led) : Promise.resolve();
  }

  private unload(partition: number): void {
    for (const m of [...this.txns.values()]) {
      if (this.partitionOf(m.transactionalId) !== partition) continue;
      this.txns.delete(m.transactionalId);
      if (this.byProducer.get(m.producerId) === m) this.byProducer.delete(m.producerId);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Runs fn after every earlier request of the same transactional id. */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return run;
  }

  /**
   * Appends the transaction's state to __transaction_state; resolves once it is durable, or with
   * flush=false once written (a later record's group commit makes it durable: the log keeps its
   * order through a crash). The record goes in after whatever its transactional id wrote before is
   * in place: at once, or, after a transaction's markers, once they are durable, so a restart
   * never reads a later state of the id while one of those markers is lost (it would then never
   * be written again).
   */
  private persist(m: TransactionMetadata, flush = true): Promise<void> {
    m.lastUpdateMs = this.clock();
    const batch = encodeRecordBatch([{ key: transactionKey(m.transactionalId), value: transactionValue(m) }]);
    const partition = this.partitionOf(m.transactionalId);
    const cluster = this.cluster;
    const write = () =>
      this.logs
        .partition(TRANSACTION_STATE_TOPIC, partition)
        // acks=all in a cluster: the record is flushed (the high watermark stops at the flushed
        // offset) and on the in-sync replicas before the client is answered, so it survives the
        // loss of this broker.
        .append(batch, "client", flush || cluster !== undefined)
        .then((r) => cluster?.awaitReplicas(partition, r.lastOffset))
        .then(
          () => undefined,
          (err: unknown) => {
            throw err instanceof KafkaError ? new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `the transaction log could not be written: ${err.message}`) : err;
          },
        );
    const before = this.written.get(m.transactionalId);
    if (!before) return write();
    let durable: Promise<void> = Promise.resolve();
    const appended = before.then(() => {
      durable = write();
      durable.catch(() => undefined);
    });
    this.after(m.transactionalId, appended);
    return appended.then(() => durable);
  }

  /** Later records of the id go in only once `step` resolves; a failed step stops them all (until a restart). */
  private after(id: string, step: Promise<void>): void {
    this.written.set(id, step);
    step.then(
      () => {
        if (this.written.get(id) === step) this.written.delete(id);
      },
      () => undefined,
    );
  }

  /**
   * InitProducerId with a transactional id: a new producer id for a new id, else the next epoch,
   * which fences every older incarnation. An open transaction of the previous incarnation is
   * aborted first (its epoch bumped, so its late writes are refused), as Kafka does.
   */
  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number }): Promise<{ producerId: number; producerEpoch: number }> {
    if (!transactionalId) throw new KafkaError(ErrorCode.INVALID_REQUEST, "transactional id must not be empty");
    if (!(timeoutMs > 0) || timeoutMs > this.maxTimeoutMs) throw new KafkaError(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `transaction.timeout.ms ${timeoutMs} must be between 1 and the broker's transaction.max.timeout.ms ${this.maxTimeoutMs}`);
    this.gate(transactionalId);
    return this.serial(transactionalId, async () => {
      this.gate(transactionalId);
      let m = this.txns.get(transactionalId);
      if (!m) {
        const { producerId } = await this.logs.initProducerId();
        m = { transactionalId, producerId, producerEpoch: 0, timeoutMs, state: "Empty", partitions: new Set(), startMs: -1, lastUpdateMs: this.clock() };
        await this.persist(m);
        this.txns.set(transactionalId, m);
        this.byProducer.set(producerId, m);
        return { producerId, producerEpoch: 0 };
      }
      if (isCompleting(m.state)) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `transaction ${transactionalId} is completing`);
      if (expected.producerId >= 0 && (expected.producerId !== m.producerId || expected.producerEpoch !== m.producerEpoch)) {
        throw new KafkaError(ErrorCode.PRODUCER_FENCED, `producer ${expected.producerId} epoch ${expected.producerEpoch} is not the current incarnation of ${transactionalId}`);
      }
      if (m.state === "Ongoing") {
        await this.fenceAndAbort(m);
        m = this.txns.get(transactionalId)!;
      }
      const next = { ...m, timeoutMs, state: m.state, partitions: new Set<string>(), startMs: -1 };
      if (m.producerEpoch >= MAX_EPOCH) {
        next.producerId = (await this.logs.initProducerId()).producerId;
        next.producerEpoch = 0;
      } else {
        next.producerEpoch = m.producerEpoch + 1;
      }
      transition(next, "Empty");
      await this.persist(next);
      this.install(m, next);
      return { producerId: next.producerId, producerEpoch: next.producerEpoch };
    });
  }

  /** Replaces a transaction's metadata once its new state is durable. */
  private install(old: TransactionMetadata, next: TransactionMetadata): void {
    this.txns.set(next.transactionalId, next);
    if (old.producerId !== next.producerId) this.byProducer.delete(old.producerId);
    this.byProducer.set(next.producerId, next);
  }

  /** Checks a request's producer against the transaction, as Kafka's coordinator does. */
  private current(p: TxnProducer): TransactionMetadata {
    this.gate(p.transactionalId);
    const m = this.txns.get(p.transactionalId);
    if (!m || m.producerId !== p.producerId) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer ${p.producerId} is not the producer of transactional id ${p.transactionalId}; call InitProducerId first`);
    if (m.producerEpoch !== p.producerEpoch) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `epoch ${p.producerEpoch} of ${p.transactionalId} is fenced by epoch ${m.producerEpoch}`);
    if (isCompleting(m.state)) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `transaction ${p.transactionalId} is completing`);
    return m;
  }

  /** AddPartitionsToTxn and AddOffsetsToTxn: the partitions join the open transaction (which opens if need be). */
  addPartitions(p: TxnProducer, partitions: { topic: string; partition: number }[]): Promise<void> {
    return this.serial(p.transactionalId, () => {
      const m = this.current(p);
      const keys = partitions.map((tp) => partitionKey(tp.topic, tp.partition));
      if (m.state === "Ongoing" && keys.every((k) => m.partitions.has(k))) return Promise.resolve();
      const next = { ...m, partitions: new Set([...m.partitions, ...keys]), startMs: m.state === "Ongoing" ? m.startMs : this.clock() };
      transition(next, "Ongoing");
      // In a cluster the next coordinator must know every partition to mark, so the record is on
      // the in-sync replicas before the producer writes there.
      if (this.partitions) return this.persist(next, false).then(() => this.install(m, next));
      // Neither flushed nor waited for: PREPARE comes later in the same log, so it is durable
      // only with this record; and if a crash loses this record after the producer wrote to a
      // partition, the next start finds that partition's open transaction unaccounted for and
      // aborts it, fencing the producer (abortOrphans).
      this.persist(next, false).catch((err: unknown) => log.warn({ err, transactionalId: m.transactionalId }, "writing a transaction's partitions failed"));
      this.install(m, next);
      return Promise.resolve();
    });
  }

  /**
   * Partitions holding an open transaction the coordinator has no durable record of (its
   * AddPartitionsToTxn record was lost in a crash): the transaction is aborted there, and with it
   * the producer's open transaction if it has one, at a bumped epoch, so the producer cannot go on
   * to commit a transaction that lost part of its writes.
   */
  private async abortOrphans(): Promise<void> {
    for (const t of this.logs.topics()) {
      for (const pl of this.logs.partitions(t.name)) {
        for (const producerId of [...pl.openTransactions.keys()]) {
          const key = partitionKey(t.name, pl.partition);
          const m = this.byProducer.get(producerId);
          if (m?.state === "Ongoing" && m.partitions.has(key)) continue;
          log.warn({ topic: t.name, partition: pl.partition, producerId, transactionalId: m?.transactionalId }, "aborting an open transaction whose partition the coordinator had no record of");
          if (!m) {
            await this.writeMarkers(producerId, pl.producerEpoch(producerId), false, [{ topic: t.name, partition: pl.partition }]).durable;
            continue;
          }
          await this.serial(m.transactionalId, async () => {
            if (m.state !== "Ongoing") {
              const next = { ...m, partitions: new Set<string>(), startMs: this.clock() };
              transition(next, "Ongoing");
              this.install(m, next);
            }
            const cur = this.txns.get(m.transactionalId)!;
            cur.partitions.add(key);
            await this.fenceAndAbort(cur);
          });
        }
      }
    }
  }

  /** The partition AddOffsetsToTxn adds: the __consumer_offsets partition that holds the group. */
  offsetsPartition(groupId: string): { topic: string; partition: number } {
    const partitions = this.cluster?.offsetsPartitions() ?? this.logs.topic(OFFSETS_TOPIC)?.partitions ?? 1;
    return { topic: OFFSETS_TOPIC, partition: coordinatorPartition(groupId, partitions) };
  }

  /** EndTxn: commit or abort; a retry of the request that already ended the transaction succeeds again. */
  endTxn(p: TxnProducer, commit: boolean): Promise<void> {
    return this.serial(p.transactionalId, async () => {
      const m = this.current(p);
      if (m.state === "Ongoing") return this.finish(m, commit);
      if ((m.state === "CompleteCommit" && commit) || (m.state === "CompleteAbort" && !commit)) return;
      throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `cannot ${commit ? "commit" : "abort"} transaction ${p.transactionalId} in state ${m.state}`);
    });
  }

  /**
   * PREPARE to the log, markers to every partition, COMPLETE to the log. The PREPARE record is
   * the commit point (as in Kafka, EndTxn answers once it is durable): after a crash the next
   * start finishes the transaction from it. The markers are appended before the answer, so the
   * producer's next transaction follows them in every log, and made durable with the group commit
   * of whatever each partition writes next; only a marker to __consumer_offsets is waited for, so
   * offsets committed in the transaction are visible to the group once EndTxn answers. The
   * COMPLETE record and every later record of the id go in once all markers are durable.
   */
  private async finish(m: TransactionMetadata, commit: boolean, ends?: Map<string, number>): Promise<void> {
    if (!isCompleting(m.state)) {
      transition(m, commit ? "PrepareCommit" : "PrepareAbort");
      m.preparedEnds = this.endOffsets(m.partitions);
      await this.persist(m);
    } else if (m.state === "PrepareEpochFence") {
      transition(m, "PrepareAbort");
    }
    const partitions = [...m.partitions].filter((k) => !ends || this.needsMarker(m.producerId, k, ends.get(k))).map(splitPartition);
    if (this.cluster) return this.finishThroughLeaders(m, commit, partitions, this.cluster);
    const { appended, durable } = this.writeMarkers(m.producerId, m.producerEpoch, commit, partitions);
    await appended;
    const done: TransactionMetadata = { ...m, partitions: new Set<string>(), startMs: m.startMs, preparedEnds: undefined };
    transition(done, commit ? "CompleteCommit" : "CompleteAbort");
    this.install(m, done);
    const markersDurable = durable.then(
      () => undefined,
      (err: unknown) => {
        // Nothing more is written for this id; the next start completes the transaction from its PREPARE record.
        log.error({ err, transactionalId: m.transactionalId }, "a transaction's markers could not be made durable; its transactional id waits for a restart");
        if (this.txns.get(m.transactionalId) === done) this.install(done, m);
        throw err;
      },
    );
    this.after(m.transactionalId, markersDurable);
    markersDurable.catch(() => undefined);
    this.persist(done, false).catch((err: unknown) => log.warn({ err, transactionalId: m.transactionalId }, "writing a transaction's completion failed; the next start completes it again"));
    if (partitions.some((tp) => tp.topic === OFFSETS_TOPIC)) await markersDurable;
    log.debug({ transactionalId: m.transactionalId, producerId: m.producerId, epoch: m.producerEpoch, commit, partitions: m.partitions.size }, "transaction completed");
  }

  /**
   * A cluster's coordinator writes each marker through its partition's leader and completes the
   * transaction only once each is on its partition's in-sync replicas (so no leader failover after
   * COMPLETE loses one); the COMPLETE record is on the in-sync replicas before the answer, so a
   * next coordinator does not send the markers again.
   */
  private async finishThroughLeaders(m: TransactionMetadata, commit: boolean, partitions: { topic: string; partition: number }[], cluster: ClusterTransactions): Promise<void> {
    await cluster.sendMarkers(m.producerId, m.producerEpoch, commit, partitions);
    const done: TransactionMetadata = { ...m, partitions: new Set<string>(), startMs: m.startMs, preparedEnds: undefined };
    transition(done, commit ? "CompleteCommit" : "CompleteAbort");
    await this.persist(done, false);
    this.install(m, done);
    log.debug({ transactionalId: m.transactionalId, producerId: m.producerId, epoch: m.producerEpoch, commit, partitions: partitions.length }, "transaction completed");
  }

  /** Each partition's log end offset (a partition deleted meanwhile has none). */
  private endOffsets(partitions: Set<string>): Map<string, number> {
    const ends = new Map<string, number>();
    for (const k of partitions) {
      const { topic, partition } = splitPartition(k);
      const info = this.logs.topic(topic);
      if (info && partition < info.partitions) ends.set(k, this.logs.partition(topic, partition).logEndOffset);
    }
    return ends;
  }

  /**
   * At start, completing a prepared transaction: a partition needs its marker unless the
   * producer's open transaction there began at or after the log end the PREPARE record noted —
   * that is a later transaction's data, behind this one's marker, which is therefore durable.
   */
  private needsMarker(producerId: number, key: string, preparedEnd: number | undefined): boolean {
    if (preparedEnd === undefined || preparedEnd < 0) return true;
    const { topic, partition } = splitPartition(key);
    const info = this.logs.topic(topic);
    if (!info || partition >= info.partitions) return true;
    const first = this.logs.partition(topic, partition).openTransactions.get(producerId);
    return first === undefined || first < preparedEnd;
  }

  /**
   * Aborts the open transaction of a producer being replaced (or that timed out) at a bumped
   * epoch, so the partitions refuse the old incarnation's writes from the marker on.
   */
  private async fenceAndAbort(m: TransactionMetadata): Promise<void> {
    if (m.producerEpoch >= MAX_EPOCH) return this.finish(m, false);
    transition(m, "PrepareEpochFence");
    m.preparedEnds = this.endOffsets(m.partitions);
    m.producerEpoch++;
    this.byProducer.set(m.producerId, m);
    await this.persist(m);
    await this.finish(m, false);
  }

  /**
   * Appends one marker to each partition: `appended` resolves once all are in the logs, `durable`
   * once all are flushed — and, with `replicated` (a cluster's WriteTxnMarkers), on each
   * partition's in-sync replicas, as acks=all — with each partition's outcome. A partition deleted
   * meanwhile has nothing to mark; one whose producer epoch is newer already refused this
   * producer; a replicated partition whose replicas did not take the marker in time answers why
   * (the coordinator sends it again). A replicated partition that already closed the producer's
   * transaction at this epoch (a resent marker whose acknowledgement was lost) gets no second
   * marker: its answer waits for the replicas to hold its log as it is.
   */
  writeMarkers(producerId: number, producerEpoch: number, commit: boolean, partitions: { topic: string; partition: number }[], replicated?: (pl: PartitionLog, lastOffset: number) => Promise<void>): { appended: Promise<void>; durable: Promise<Map<string, number>> } {
    const codes = new Map<string, number>();
    const appends = partitions.map(({ topic, partition }) => {
      const key = partitionKey(topic, partition);
      const refused = (err: unknown) => {
        if (!(err instanceof KafkaError)) throw err;
        if (err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          log.warn({ topic, partition, producerId }, "a transaction's partition no longer exists; no marker written");
        } else if (err.code !== ErrorCode.INVALID_PRODUCER_EPOCH) {
          throw err;
        }
        codes.set(key, err.code);
      };
      let pl: PartitionLog;
      try {
        pl = this.logs.partition(topic, partition);
      } catch (err) {
        refused(err);
        return { appended: Promise.resolve(), durable: Promise.resolve() };
      }
      const target = pl;
      const acknowledge = async (lastOffset: number) => {
        const code = replicated ? await replicated(target, lastOffset).then(() => ErrorCode.NONE, codeOf) : ErrorCode.NONE;
        if (code === ErrorCode.NONE && topic === OFFSETS_TOPIC) this.opts.onOffsetsMarker(producerId, commit);
        codes.set(key, code);
      };
      if (replicated && !target.openTransactions.has(producerId) && target.producerEpoch(producerId) >= producerEpoch) {
        return { appended: Promise.resolve(), durable: acknowledge(target.logEndOffset - 1) };
      }
      // Written within append's first, synchronous step; the promise settles once it is written.
      const written = target.append(markerBatch(producerId, producerEpoch, commit, COORDINATOR_EPOCH), "coordinator", false);
      const flushed = written
        .then(async (r) => {
          await (topic === OFFSETS_TOPIC ? target.flush() : this.markerFlushed(target, r.baseOffset));
          await acknowledge(r.lastOffset);
        })
        .catch(refused);
      return { appended: written.then(() => undefined, () => undefined), durable: flushed };
    });
    return { appended: Promise.all(appends.map((a) => a.appended)).then(() => undefined), durable: Promise.all(appends.map((a) => a.durable)).then(() => codes) };
  }

  /**
   * Resolves once the marker at `offset` is flushed: with the partition's next group commit (a
   * marker rides along with the data its producer's next transaction writes there, which flushes
   * anyway), or a flush MARKER_FLUSH_MS on if nothing else is written there. Until then the marker
   * sits at the high watermark, while the data it commits is readable already (the decision is
   * durable in the PREPARE record). The high watermark of a durable topic is its flushed offset.
   */
  private markerFlushed(pl: PartitionLog, offset: number): Promise<void> {
    if (pl.highWatermark > offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (err?: Error) => {
        unsubscribe();
        clearTimeout(timer);
        if (err === undefined) resolve();
        else reject(err);
      };
      const unsubscribe = pl.onAppend(() => {
        if (pl.highWatermark > offset) settle();
      });
      const timer = setTimeout(() => {
        // A topic deleted meanwhile has no marker left to keep.
        const info = this.logs.topic(pl.topic);
        if (!info || pl.partition >= info.partitions || this.logs.partition(pl.topic, pl.partition) !== pl) return settle();
        pl.flush().then(
          () => settle(),
          (err: unknown) => settle(err instanceof Error ? err : new Error(`flushing ${pl.topic}-${pl.partition} failed`)),
        );
      }, MARKER_FLUSH_MS);
    });
  }

  /**
   * Produce of a transactional batch: the producer must be its transactional id's current
   * incarnation, with the partition added to its open transaction (Kafka 3.6+ verifies this too).
   */
  verifyProduce(producerId: number, producerEpoch: number, topic: string, partition: number): void {
    // A partition's leader in a cluster is mostly not its producer's coordinator; the partition
    // itself refuses an epoch older than its last marker's (Kafka before 3.6 checks no more).
    if (this.partitions) return;
    const m = this.byProducer.get(producerId);
    if (!m) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer id ${producerId} belongs to no transactional id`);
    if (producerEpoch !== m.producerEpoch) throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${producerId} epoch ${producerEpoch} is fenced by epoch ${m.producerEpoch}`);
    if (m.state !== "Ongoing" || !m.partitions.has(partitionKey(topic, partition))) {
      throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `${topic}-${partition} is not part of an open transaction of ${m.transactionalId}; AddPartitionsToTxn must come first`);
    }
  }

  /** TxnOffsetCommit: the producer must be current with the group's offsets partition in its open transaction. */
  verifyOffsetCommit(p: TxnProducer, groupId: string): void {
    // The group's coordinator in a cluster is mostly not the transaction's; its markers decide.
    if (this.partitions) return;
    const m = this.txns.get(p.transactionalId);
    if (!m || m.producerId !== p.producerId) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer ${p.producerId} is not the producer of ${p.transactionalId}`);
    if (m.producerEpoch !== p.producerEpoch) throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `epoch ${p.producerEpoch} of ${p.transactionalId} is fenced by epoch ${m.producerEpoch}`);
    const { topic, partition } = this.offsetsPartition(groupId);
    if (m.state !== "Ongoing" || !m.partitions.has(partitionKey(topic, partition))) throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `AddOffsetsToTxn for group ${groupId} must come before TxnOffsetCommit`);
  }

  /** Aborts (with an epoch bump that fences the producer) every transaction open longer than its transaction.timeout.ms. */
  async abortTimedOut(): Promise<number> {
    const now = this.clock();
    const expired = [...this.txns.values()].filter((m) => m.state === "Ongoing" && now - m.startMs > m.timeoutMs);
    for (const m of expired) {
      await this.serial(m.transactionalId, async () => {
        const cur = this.txns.get(m.transactionalId);
        if (!cur || cur.state !== "Ongoing" || now - cur.startMs <= cur.timeoutMs) return;
        log.info({ transactionalId: cur.transactionalId, producerId: cur.producerId, epoch: cur.producerEpoch, openMs: now - cur.startMs, timeoutMs: cur.timeoutMs }, "aborting a transaction open longer than its transaction.timeout.ms");
        await this.fenceAndAbort(cur);
      });
    }
    return expired.length;
  }

  describe(ids: string[]): { errorCode: number; transactionalId: string; transactionState: string; transactionTimeoutMs: number; transactionStartTimeMs: number; producerId: number; producerEpoch: number; topics: { topic: string; partitions: number[] }[] }[] {
    return ids.map((id) => {
      const m = this.txns.get(id);
      const notHere = this.coordinatorError(id);
      if (notHere) return { errorCode: notHere, transactionalId: id, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
      if (!m) return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId: id, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
      const topics = new Map<string, number[]>();
      for (const k of m.partitions) {
        const { topic, partition } = splitPartition(k);
        topics.set(topic, [...(topics.get(topic) ?? []), partition]);
      }
      return {
        errorCode: ErrorCode.NONE,
        transactionalId: id,
        transactionState: m.state,
        transactionTimeoutMs: m.timeoutMs,
        transactionStartTimeMs: m.state === "Ongoing" ? m.startMs : -1,
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      };
    });
  }

  list(filter: { states: string[]; producerIds: number[]; minDurationMs: number }): { unknownStates: string[]; transactions: { transactionalId: string; producerId: number; transactionState: string }[] } {
    const known = new Set<string>(TRANSACTION_STATES);
    const unknownStates = filter.states.filter((s) => !known.has(s));
    const now = this.clock();
    const transactions = [...this.txns.values()]
      .filter((m) => filter.states.length === 0 || filter.states.includes(m.state))
      .filter((m) => filter.producerIds.length === 0 || filter.producerIds.includes(m.producerId))
      .filter((m) => filter.minDurationMs < 0 || (m.state === "Ongoing" && now - m.startMs > filter.minDurationMs))
      .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state }));
    return { unknownStates, transactions };
  }
}
