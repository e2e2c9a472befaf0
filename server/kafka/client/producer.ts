import { z } from "zod";
import { Acks, CoordinatorType, NO_PRODUCER_ID, NO_PRODUCER_EPOCH } from "../constants";
import { ErrorCode } from "../errors";
import { Apis } from "../messages";
import { HEADER_SIZE, encodeRecordBatch, type RecordInput } from "../records/batch";
import { logger } from "../../log";
import { groupIntoRequests, maxRecordSize, recordSize, splitIntoBatches } from "./batching";
import { DEFAULT_LANE, STALE_LEADER, type Cluster } from "./cluster";
import { KafkaClientError } from "./errors";
import { partitionForKey } from "./partitioner";
import type { ResponseOf } from "../protocol";
import { byTopic, call } from "./protocol";
import type { TopicPartitionOffset } from "./admin";
import type { BrokerConnection } from "./connection";
import { partitionKey } from "../partition-key";

const log = logger("kafka.producer");

export const producerOptionsSchema = z.object({
  /** -1 (all): the leader answers once the in-sync replicas have the batch; 1: once the leader has it; 0: no answer. */
  acks: z.union([z.literal(Acks.ALL), z.literal(Acks.NONE), z.literal(Acks.LEADER)]).default(Acks.ALL),
  /** Sequence numbers per partition, so retries never duplicate or reorder (needs acks -1; on by default then). */
  idempotent: z.boolean().optional(),
  compression: z.enum(["none", "gzip", "snappy", "lz4", "zstd"]).default("none"),
  /** How long a batch that is not full waits for more records (linger.ms). */
  lingerMs: z.number().int().min(0).default(5),
  /** Bytes per record batch before compression (batch.size). */
  batchSize: z.number().int().positive().default(16_384),
  /** Bytes per Produce request (max.request.size); a record that cannot fit one is refused. */
  maxRequestSize: z.number().int().positive().default(1_048_576),
  /** How long the broker may wait for replicas before answering (the request's timeout). */
  ackTimeoutMs: z.number().int().positive().default(30_000),
  /** How long a record may take from send to acknowledgement, retries included (delivery.timeout.ms). */
  deliveryTimeoutMs: z.number().int().positive().default(120_000),
  /** Batches of one partition in flight at once; at most 5 with idempotence, as brokers keep 5 per producer. */
  maxInFlightPerPartition: z.number().int().min(1).max(5).default(5),
  /** Bytes of records accepted but not yet acknowledged; send() waits beyond it (buffer.memory). */
  maxBufferedBytes: z.number().int().positive().default(32 * 1024 * 1024),
  /** A send to a topic the cluster lacks asks the broker to create it (allow.auto.create.topics). */
  autoCreateTopics: z.boolean().default(true),
  /**
   * transactional.id: sends belong to transactions (beginTransaction … commitTransaction), and a
   * new producer with the same id fences this one and aborts its open transaction. Implies idempotence.
   */
  transactionalId: z.string().min(1).optional(),
  /** transaction.timeout.ms: how long a transaction may stay open before the coordinator aborts it. */
  transactionTimeoutMs: z.number().int().positive().default(60_000),
});
export type ProducerOptions = z.input<typeof producerOptionsSchema>;

export interface ProducerRecord extends RecordInput {
  topic: string;
  /** Without one, keyed records go by murmur2 of the key and unkeyed ones to a sticky partition. */
  partition?: number;
}

/** Where a record was written; offset -1 when acks=0 (or a retried duplicate the broker had already). */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * A send() in which some records were not written: which ones and why, and where the others went,
 * so a caller can set the refused records aside (a dead-letter file) and not send the rest again.
 */
export class KafkaProduceError extends Error {
  constructor(
    readonly failures: { index: number; error: Error }[],
    /** Per record of the send: where it was written, or undefined for a failed one. */
    readonly results: (RecordMetadata | undefined)[],
  ) {
    super(`${failures.length} of ${results.length} records were not written; the first: ${failures[0].error.message}`, { cause: failures[0].error });
    this.name = "KafkaProduceError";
  }
}

/** One send() call: its records' results, filled as their batches are settled; it settles with the last. */
interface Delivery {
  results: (RecordMetadata | undefined)[];
  failures: { index: number; error: Error }[];
  batches: number;
  resolve: (r: RecordMetadata[]) => void;
  reject: (e: Error) => void;
}

/** Records of one delivery in a batch: their positions in the send() call. */
interface Segment {
  delivery: Delivery;
  positions: number[];
}

interface Batch {
  state: PartitionState;
  records: RecordInput[];
  segments: Segment[];
  /** Estimated uncompressed size (records plus header): what batch.size bounds and the buffer counts. */
  estimate: number;
  /** Encoded size once sent: what max.request.size bounds. */
  bytes: number;
  /** -1 until first sent; then kept across retries so the broker can drop duplicates. */
  baseSequence: number;
  encoded: Buffer | null;
  createdAt: number;
  attempts: number;
}

interface PartitionState {
  topic: string;
  partition: number;
  open: Batch | null;
  /** Closed batches, in order; retried ones go back to the front. */
  queue: Batch[];
  inflight: Set<Batch>;
  /** Retriable failures of this round, resent in sequence order once nothing is in flight. */
  failed: Batch[];
  nextSequence: number;
  retryAt: number;
  /**
   * After a failure, one batch at a time until one is acknowledged: a retried batch may be split
   * or refused again, and nothing behind it may overtake it.
   */
  recovering: boolean;
  /**
   * The broker a failed send went to when it failed for being (or having been) the leader, -1
   * otherwise: once the metadata names another leader the retry goes at once instead of after the
   * back-off, as Java's producer does since KIP-951, so a failover costs no extra back-off.
   */
  failedLeader: number;
}

const NO_PRODUCER = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };

type ProduceResponse = ResponseOf<"Produce">;

/**
 * Kafka's producer: records are appended to per-partition batches (batch.size, linger.ms), each
 * batch encoded once, and batches for one leader travel together in requests of at most
 * max.request.size. With idempotence every batch carries the producer id and its sequence, so
 * retries after a lost connection or a moved leader keep order and never duplicate.
 */
export class Producer {
  private readonly o: z.output<typeof producerOptionsSchema> & { idempotent: boolean };
  private readonly partitions = new Map<string, PartitionState>();
  /** The same states by topic and partition number: routing looks them up per record. */
  private readonly byTopic = new Map<string, PartitionState[]>();
  private readonly sticky = new Map<string, number>();
  private producer = NO_PRODUCER;
  private init: Promise<void> | null = null;
  private needsReset = false;
  private inflightTotal = 0;
  private buffered = 0;
  private unfinished = 0;
  private readonly spaceWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private lingerTimer: NodeJS.Timeout | null = null;
  private draining = false;
  private drainAgain = false;
  private closed = false;
  /** The open transaction: partitions added to it (AddPartitionsToTxn) and whether offsets were (AddOffsetsToTxn). */
  private txn: { partitions: Set<PartitionState>; offsets: boolean } | null = null;

  constructor(
    private readonly cluster: Cluster,
    options: ProducerOptions = {},
  ) {
    const o = producerOptionsSchema.parse(options);
    if ((o.idempotent || o.transactionalId) && o.acks !== Acks.ALL) throw new Error(`${o.transactionalId ? "a transactional" : "an idempotent"} producer needs acks -1 (all); set acks: -1${o.transactionalId ? "" : " or idempotent: false"}`);
    if (o.transactionalId && o.idempotent === false) throw new Error("a transactional producer is idempotent; leave idempotent unset");
    this.o = { ...o, idempotent: o.idempotent ?? o.acks === Acks.ALL };
  }

  /**
   * Sends records; resolves with each record's partition and offset once acknowledged (per acks),
   * in the order given. A record too large for a request is refused before anything is sent; when
   * the cluster refuses some records, the send rejects with a KafkaProduceError naming them.
   */
  async send(records: ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new Error("the producer is closed; make a new one");
    if (this.o.transactionalId && !this.txn) throw new Error("a transactional producer sends inside a transaction; call beginTransaction() first");
    if (records.length === 0) return [];
    const limit = maxRecordSize(this.o.maxRequestSize);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const size = recordSize(records[i]);
      if (size > limit) throw new KafkaClientError(ErrorCode.MESSAGE_TOO_LARGE, `record ${i} for ${records[i].topic}`, { retriable: false, detail: `${size} bytes, max.request.size allows ${limit}` });
      bytes += size;
    }
    await this.room(bytes);
    let byPartition: Map<PartitionState, number[]>;
    try {
      if (this.o.idempotent) await this.ensureProducerId();
      byPartition = await this.route(records);
      if (this.txn) await this.addToTransaction([...byPartition.keys()]);
    } catch (err) {
      this.release(bytes);
      throw err;
    }
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const delivery: Delivery = { results: new Array<RecordMetadata | undefined>(records.length), failures: [], batches: 0, resolve, reject };
      for (const [state, positions] of byPartition) this.append(state, records, positions, delivery);
      this.schedule();
    });
  }

  /** Sends every batch now, without waiting for linger, and resolves once all are acknowledged or failed. */
  async flush(): Promise<void> {
    for (const s of this.partitions.values()) this.closeOpen(s);
    this.schedule(true);
    if (this.unfinished === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /**
   * InitProducerId with the transactional id: fences every earlier producer with that id and
   * aborts (or completes) its open transaction. send() does it too; call it to fence at start.
   */
  async initTransactions(): Promise<void> {
    if (!this.o.transactionalId) throw new Error("initTransactions needs a transactionalId");
    await this.ensureProducerId();
  }

  /**
   * Opens a transaction. After one whose batches were refused or whose abort failed, InitProducerId
   * first: it aborts what the coordinator still has open and starts a new epoch, so sequences start again at 0.
   */
  async beginTransaction(): Promise<void> {
    if (!this.o.transactionalId) throw new Error("beginTransaction needs a transactionalId");
    if (this.txn) throw new Error("a transaction is already open; commit or abort it first");
    if (this.needsReset) await this.resetProducer();
    this.txn = { partitions: new Set(), offsets: false };
  }

  /**
   * Commits a consumer group's offsets as part of the open transaction (AddOffsetsToTxn, then
   * TxnOffsetCommit): the group sees them only if the transaction commits.
   */
  async sendOffsetsToTransaction(groupId: string, offsets: TopicPartitionOffset[]): Promise<void> {
    const txn = this.openTransaction();
    await this.ensureProducerId();
    const transactionalId = this.o.transactionalId!;
    await this.onTransactionCoordinator(`AddOffsetsToTxn ${transactionalId}`, async (conn) => {
      const res = await call(conn, Apis.AddOffsetsToTxn, { transactionalId, ...this.producer, groupId });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, `AddOffsetsToTxn ${transactionalId} for group ${groupId}`);
    });
    txn.offsets = true;
    await this.cluster.onCoordinator(groupId, `TxnOffsetCommit ${groupId}`, async (conn) => {
      const topics = [...byTopic(offsets)].map(([name, list]) => ({ name, partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset })) }));
      const res = await call(conn, Apis.TxnOffsetCommit, { transactionalId, groupId, ...this.producer, topics });
      for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw new KafkaClientError(p.errorCode, `TxnOffsetCommit ${groupId} for ${t.name}-${p.partitionIndex}`);
    });
  }

  /** Sends what is buffered, then commits (EndTxn): every record and offset of the transaction becomes visible at once. */
  async commitTransaction(): Promise<void> {
    const txn = this.openTransaction();
    await this.flush();
    // A batch the brokers refused leaves the transaction incomplete (and a sequence gap): only abort is safe.
    if (this.needsReset) throw new Error("a batch of this transaction was not written; abort it");
    await this.endTransaction(txn, true);
  }

  /**
   * Aborts the open transaction once its batches settled: read_committed consumers never see its
   * records nor the group its offsets. After a refused batch (or when EndTxn fails) the next
   * beginTransaction aborts it through a new epoch instead.
   */
  async abortTransaction(): Promise<void> {
    const txn = this.openTransaction();
    try {
      await this.flush();
      if (!this.needsReset) await this.endTransaction(txn, false);
    } catch (err) {
      this.needsReset = true;
      throw err;
    } finally {
      this.txn = null;
    }
  }

  private openTransaction(): { partitions: Set<PartitionState>; offsets: boolean } {
    if (!this.txn) throw new Error("no transaction is open; call beginTransaction() first");
    return this.txn;
  }

  private async endTransaction(txn: { partitions: Set<PartitionState>; offsets: boolean }, committed: boolean): Promise<void> {
    const transactionalId = this.o.transactionalId!;
    // Nothing was added: the coordinator has no transaction to end.
    if (txn.partitions.size > 0 || txn.offsets) {
      await this.onTransactionCoordinator(`EndTxn ${transactionalId}`, async (conn) => {
        const res = await call(conn, Apis.EndTxn, { transactionalId, ...this.producer, committed });
        if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, `EndTxn(${committed ? "commit" : "abort"}) ${transactionalId}`);
      });
    }
    this.txn = null;
  }

  /** AddPartitionsToTxn for the partitions the open transaction has not written to yet, before their first batch. */
  private async addToTransaction(states: PartitionState[]): Promise<void> {
    const txn = this.txn!;
    const added = states.filter((s) => !txn.partitions.has(s));
    if (added.length === 0) return;
    const transactionalId = this.o.transactionalId!;
    await this.onTransactionCoordinator(`AddPartitionsToTxn ${transactionalId}`, async (conn) => {
      const topics = [...byTopic(added)].map(([name, list]) => ({ name, partitions: list.map((s) => s.partition) }));
      const res = await call(conn, Apis.AddPartitionsToTxn, { transactionalId, ...this.producer, topics });
      for (const t of res.resultsByTopic) {
        for (const p of t.resultsByPartition) if (p.partitionErrorCode !== ErrorCode.NONE) throw new KafkaClientError(p.partitionErrorCode, `AddPartitionsToTxn ${transactionalId} for ${t.name}-${p.partitionIndex}`);
      }
    });
    for (const s of added) txn.partitions.add(s);
  }

  private onTransactionCoordinator<T>(what: string, fn: (conn: BrokerConnection) => Promise<T>): Promise<T> {
    return this.cluster.onCoordinator(this.o.transactionalId!, what, fn, undefined, CoordinatorType.TRANSACTION);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
  }

  private async room(bytes: number): Promise<void> {
    while (this.buffered > 0 && this.buffered + bytes > this.o.maxBufferedBytes) await new Promise<void>((r) => this.spaceWaiters.push(r));
    this.buffered += bytes;
  }

  private async ensureProducerId(force = false): Promise<void> {
    if (force) this.init = null;
    const transactionalId = this.o.transactionalId ?? null;
    const init = async (conn: BrokerConnection) => {
      const res = await call(conn, Apis.InitProducerId, { transactionalId, transactionTimeoutMs: this.o.transactionTimeoutMs });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, transactionalId ? `InitProducerId ${transactionalId}` : "InitProducerId");
      this.producer = { producerId: res.producerId, producerEpoch: res.producerEpoch };
    };
    this.init ??= (transactionalId
      ? this.onTransactionCoordinator(`InitProducerId ${transactionalId}`, init)
      : this.cluster.withRetry("InitProducerId", async () => init(await this.cluster.any())))
      .catch((err: unknown) => {
        this.init = null;
        throw err;
      });
    return this.init;
  }

  /** Picks every record's partition: explicit, by key (murmur2), or the topic's sticky partition. */
  private async route(records: ProducerRecord[]): Promise<Map<PartitionState, number[]>> {
    const counts = new Map<string, number>();
    for (const r of records) {
      if (counts.has(r.topic)) continue;
      // A topic the broker is creating for us may take a moment to have leaders.
      const t = await this.cluster.withRetry(`metadata of ${r.topic}`, () => this.cluster.requireTopic(r.topic, this.o.autoCreateTopics));
      counts.set(r.topic, t.partitions.length);
    }
    const out = new Map<PartitionState, number[]>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const n = counts.get(r.topic)!;
      const p = r.partition ?? (r.key ? partitionForKey(r.key, n) : this.stickyPartition(r.topic, n));
      if (p < 0 || p >= n) throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `record ${i} for ${r.topic}-${p}`, { retriable: false, detail: `the topic has ${n} partitions` });
      const state = this.state(r.topic, p);
      const list = out.get(state);
      if (list) list.push(i);
      else out.set(state, [i]);
    }
    return out;
  }

  /** Unkeyed records share one partition until its batch closes (KIP-480), so batches fill. */
  private stickyPartition(topic: string, n: number): number {
    let p = this.sticky.get(topic);
    if (p === undefined || p >= n) {
      p = Math.floor(Math.random() * n);
      this.sticky.set(topic, p);
    }
    return p;
  }

  private state(topic: string, partition: number): PartitionState {
    let states = this.byTopic.get(topic);
    if (!states) this.byTopic.set(topic, (states = []));
    let s = states[partition];
    if (!s) {
      s = { topic, partition, open: null, queue: [], inflight: new Set(), failed: [], nextSequence: 0, retryAt: 0, recovering: false, failedLeader: -1 };
      states[partition] = s;
      this.partitions.set(partitionKey(topic, partition), s);
    }
    return s;
  }

  private newBatch(state: PartitionState): Batch {
    this.unfinished++;
    return { state, records: [], segments: [], estimate: HEADER_SIZE, bytes: 0, baseSequence: -1, encoded: null, createdAt: Date.now(), attempts: 0 };
  }

  private append(state: PartitionState, records: ProducerRecord[], positions: number[], delivery: Delivery): void {
    const mine = positions.map((i) => records[i]);
    const ranges = splitIntoBatches(mine, this.o.batchSize, state.open?.estimate ?? 0);
    ranges.forEach((range, k) => {
      if (range.end === range.start) return this.closeOpen(state);
      const batch = state.open ?? this.newBatch(state);
      for (let i = range.start; i < range.end; i++) batch.records.push(mine[i]);
      batch.segments.push({ delivery, positions: positions.slice(range.start, range.end) });
      batch.estimate = range.bytes;
      delivery.batches++;
      state.open = batch;
      if (k < ranges.length - 1) this.closeOpen(state);
    });
    if (state.open && state.open.estimate >= this.o.batchSize) this.closeOpen(state);
  }

  private closeOpen(state: PartitionState): void {
    if (!state.open) return;
    state.queue.push(state.open);
    state.open = null;
    // The next unkeyed records of this topic go elsewhere, spreading load over partitions.
    if (this.sticky.get(state.topic) === state.partition) this.sticky.delete(state.topic);
  }

  /** Drains at once when a batch is ready (or now = true), else after linger.ms. */
  private schedule(now = false): void {
    const states = [...this.partitions.values()];
    if (now || states.some((s) => s.queue.length > 0)) setImmediate(() => void this.drain());
    if (!states.some((s) => s.open)) return;
    if (this.o.lingerMs === 0) setImmediate(() => this.lingerExpired());
    else this.lingerTimer ??= setTimeout(() => this.lingerExpired(), this.o.lingerMs);
  }

  private lingerExpired(): void {
    this.lingerTimer = null;
    const now = Date.now();
    for (const s of this.partitions.values()) if (s.open && now - s.open.createdAt >= this.o.lingerMs) this.closeOpen(s);
    if ([...this.partitions.values()].some((s) => s.open)) this.lingerTimer = setTimeout(() => this.lingerExpired(), this.o.lingerMs);
    void this.drain();
  }

  private async drain(): Promise<void> {
    // Closed with nothing left to deliver: a pending producer-id renewal is nobody's any more.
    if (this.closed && this.unfinished === 0) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        // A transactional producer renews its epoch only when the transaction is aborted: a new one mid-transaction would abort it.
        if (this.needsReset && !this.o.transactionalId) {
          if (this.inflightTotal > 0) return;
          await this.resetProducer();
        }
        await this.sendReady();
      } while (this.drainAgain);
    } catch (err) {
      log.warn({ err }, "producer drain failed; retrying after a back-off");
      setTimeout(() => void this.drain(), this.cluster.backoff(1));
    } finally {
      this.draining = false;
    }
  }

  /** One request per leader with the head batch of each of its partitions that may send now. */
  private async sendReady(): Promise<void> {
    const now = Date.now();
    const byNode = new Map<number, Batch[]>();
    let waitUntil = Infinity;
    const reread = new Set<string>();
    for (const s of this.partitions.values()) {
      if (s.queue.length === 0 || s.failed.length > 0) continue;
      if (s.retryAt > now && !(await this.leaderMoved(s, reread))) {
        waitUntil = Math.min(waitUntil, s.retryAt, s.failedLeader >= 0 ? now + this.cluster.opts.retryBackoffMs : Infinity);
        continue;
      }
      if (s.inflight.size >= (s.recovering ? 1 : this.o.maxInFlightPerPartition)) continue;
      let leader: number;
      try {
        leader = (await this.cluster.leader(s.topic, s.partition)).leader;
      } catch (err) {
        this.failPartitionRouting(s, err);
        continue;
      }
      const batch = s.queue.shift()!;
      try {
        this.prepare(batch);
      } catch (err) {
        // Records the encoder cannot write fail alone; they would fail every retry too.
        this.reject(batch, err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      const list = byNode.get(leader);
      if (list) list.push(batch);
      else byNode.set(leader, [batch]);
    }
    for (const topic of reread) this.cluster.invalidate(topic);
    for (const [node, batches] of byNode) {
      for (const request of groupIntoRequests(batches, this.o.maxRequestSize)) void this.produce(node, request);
    }
    if (byNode.size > 0) this.drainAgain = true;
    else if (waitUntil < Infinity) setTimeout(() => void this.drain(), waitUntil - now);
  }

  /**
   * Whether a partition backing off after its leader failed has a new leader in the metadata.
   * While it does not, its topic goes in `reread`, whose metadata is read again at the next look
   * (every retryBackoffMs): once per topic however many of its partitions wait.
   */
  private async leaderMoved(s: PartitionState, reread: Set<string>): Promise<boolean> {
    if (s.failedLeader < 0) return false;
    const leader = await this.cluster.leader(s.topic, s.partition).then(
      (p) => p.leader,
      () => -1,
    );
    if (leader >= 0 && leader !== s.failedLeader) return true;
    reread.add(s.topic);
    return false;
  }

  private failPartitionRouting(s: PartitionState, err: unknown): void {
    const expired = s.queue.filter((b) => Date.now() - b.createdAt > this.o.deliveryTimeoutMs);
    if (expired.length > 0 || !(err instanceof KafkaClientError && err.retriable)) {
      for (const b of s.queue.splice(0)) this.reject(b, err as Error);
      return;
    }
    s.retryAt = Date.now() + this.cluster.backoff(1 + Math.min(10, s.queue[0]?.attempts ?? 0));
  }

  /** Gives a batch its sequence on first send and encodes it, once (again only after a producer reset). */
  private prepare(b: Batch): void {
    const sequence = this.o.idempotent && b.baseSequence < 0 ? b.state.nextSequence : b.baseSequence;
    b.encoded ??= encodeRecordBatch(b.records, {
      compression: this.o.compression,
      transactional: this.o.transactionalId !== undefined,
      ...(this.o.idempotent ? { ...this.producer, baseSequence: sequence } : {}),
    });
    if (this.o.idempotent && b.baseSequence < 0) {
      b.baseSequence = sequence;
      b.state.nextSequence += b.records.length;
    }
    b.bytes = b.encoded.length;
    b.attempts++;
    b.state.inflight.add(b);
    this.inflightTotal++;
  }

  private async produce(node: number, batches: Batch[]): Promise<void> {
    const topics = new Map<string, { index: number; records: Buffer }[]>();
    for (const b of batches) {
      const list = topics.get(b.state.topic);
      const entry = { index: b.state.partition, records: b.encoded! };
      if (list) list.push(entry);
      else topics.set(b.state.topic, [entry]);
    }
    const body = { transactionalId: this.o.transactionalId ?? null, acks: this.o.acks, timeoutMs: this.o.ackTimeoutMs, topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })) };
    let res: ProduceResponse | undefined;
    try {
      // A leader that cannot be reached now fails the batch at once rather than sleep out its
      // connect back-off: the retry goes wherever the metadata names the leader by then.
      const conn = await this.cluster.broker(node, DEFAULT_LANE, false);
      // The broker may wait ackTimeoutMs for replicas before answering.
      res = await call(conn, Apis.Produce, body, { noResponse: this.o.acks === Acks.NONE, timeoutMs: this.o.ackTimeoutMs + this.cluster.opts.requestTimeoutMs });
    } catch (err) {
      for (const b of batches) {
        this.leaderFailed(b, node);
        this.settle(b, err instanceof KafkaClientError ? err : new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, `Produce to broker ${node}`, { cause: err, detail: (err as Error).message }));
      }
      return;
    }
    if (this.o.acks === Acks.NONE) {
      for (const b of batches) this.settle(b, null, -1);
      return;
    }
    const results = new Map<string, { errorCode: number; baseOffset: number; errorMessage: string | null }>();
    for (const t of res.responses) for (const p of t.partitionResponses) results.set(partitionKey(t.name, p.index), p);
    for (const b of batches) {
      const r = results.get(partitionKey(b.state.topic, b.state.partition));
      if (!r) this.settle(b, new KafkaClientError(ErrorCode.UNKNOWN_SERVER_ERROR, `Produce to ${b.state.topic}-${b.state.partition}`, { detail: "the broker's answer left out this partition", retriable: true }));
      else if (r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) this.settle(b, null, r.errorCode === ErrorCode.NONE ? r.baseOffset : -1);
      else {
        if (STALE_LEADER.has(r.errorCode)) this.leaderFailed(b, node);
        this.settle(b, new KafkaClientError(r.errorCode, `Produce to ${b.state.topic}-${b.state.partition}`, { detail: r.errorMessage }));
      }
    }
  }

  /** The batch's leader could not take it (unreachable, or no longer the leader): its metadata is read again, and the retry waits for another leader or the back-off. */
  private leaderFailed(b: Batch, node: number): void {
    this.cluster.invalidate(b.state.topic);
    b.state.failedLeader = node;
  }

  /** Records a batch's outcome: delivered, to be retried in order, or failed. */
  private settle(b: Batch, err: KafkaClientError | null, baseOffset = -1): void {
    const s = b.state;
    s.inflight.delete(b);
    this.inflightTotal--;
    if (!err) {
      s.recovering = false;
      s.failedLeader = -1;
      this.deliver(b, baseOffset);
    } else if (err.code === ErrorCode.MESSAGE_TOO_LARGE && b.records.length > 1 && !this.expired(b)) {
      // Too large for the topic as a whole: halves go again, down to the one record that is (as Java's producer splits).
      s.failed.push(...this.split(b));
      if (this.o.idempotent) this.needsReset = true;
    } else if (this.retriable(b, err)) s.failed.push(b);
    else {
      this.reject(b, err);
      // A sequence the broker never took leaves a gap: start a new producer id so later batches are accepted.
      if (this.o.idempotent) this.needsReset = true;
    }
    if (err) s.recovering = true;
    if (s.inflight.size === 0 && s.failed.length > 0) {
      s.queue.unshift(...s.failed.sort((x, y) => x.baseSequence - y.baseSequence));
      s.failed = [];
      s.retryAt = Date.now() + this.cluster.backoff(Math.min(10, b.attempts));
    }
    this.schedule();
  }

  private expired(b: Batch): boolean {
    return Date.now() - b.createdAt > this.o.deliveryTimeoutMs || this.closed;
  }

  /** Two batches of the records of one, in order, each with its share of the deliveries. */
  private split(b: Batch): [Batch, Batch] {
    const half = Math.ceil(b.records.length / 2);
    const first: Segment[] = [];
    const second: Segment[] = [];
    let n = 0;
    for (const seg of b.segments) {
      const cut = Math.max(0, Math.min(seg.positions.length, half - n));
      if (cut > 0) first.push({ delivery: seg.delivery, positions: seg.positions.slice(0, cut) });
      if (cut < seg.positions.length) second.push({ delivery: seg.delivery, positions: seg.positions.slice(cut) });
      if (cut > 0 && cut < seg.positions.length) seg.delivery.batches++;
      n += seg.positions.length;
    }
    this.unfinished++;
    const part = (records: RecordInput[], segments: Segment[], baseSequence: number): Batch => ({
      ...b,
      records,
      segments,
      estimate: HEADER_SIZE + records.reduce((sum, r) => sum + recordSize(r), 0),
      encoded: null,
      baseSequence,
    });
    return [part(b.records.slice(0, half), first, b.baseSequence), part(b.records.slice(half), second, b.baseSequence < 0 ? -1 : b.baseSequence + half)];
  }

  private retriable(b: Batch, err: KafkaClientError): boolean {
    if (this.expired(b)) return false;
    if (err.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
      // Out of order behind an earlier batch of this round that failed: resend both in order.
      if (b.state.failed.some((f) => f.baseSequence < b.baseSequence)) return true;
      this.needsReset = true;
      return !this.o.transactionalId;
    }
    if (err.code === ErrorCode.UNKNOWN_PRODUCER_ID || err.code === ErrorCode.INVALID_PRODUCER_EPOCH) {
      this.needsReset = true;
      // A transactional producer's epoch is fenced or gone: its transaction can only be aborted.
      return !this.o.transactionalId;
    }
    return err.retriable;
  }

  /**
   * A new producer id after a sequence gap (a rejected or expired batch, or a broker that lost our
   * state): every unacknowledged batch is renumbered from 0 under it, in order.
   */
  private async resetProducer(): Promise<void> {
    await this.ensureProducerId(true);
    this.needsReset = false;
    for (const s of this.partitions.values()) {
      s.nextSequence = 0;
      for (const b of s.queue) {
        if (b.baseSequence < 0) continue;
        b.baseSequence = s.nextSequence;
        s.nextSequence += b.records.length;
        b.encoded = null;
      }
    }
    log.info({ producerId: this.producer.producerId }, "producer id renewed after a sequence gap");
  }

  private deliver(b: Batch, baseOffset: number): void {
    let n = 0;
    for (const seg of b.segments) {
      for (const pos of seg.positions) seg.delivery.results[pos] = { topic: b.state.topic, partition: b.state.partition, offset: baseOffset < 0 ? -1 : baseOffset + n++ };
      this.settleDelivery(seg.delivery);
    }
    this.finished(b);
  }

  private reject(b: Batch, err: Error): void {
    for (const seg of b.segments) {
      for (const index of seg.positions) seg.delivery.failures.push({ index, error: err });
      this.settleDelivery(seg.delivery);
    }
    this.finished(b);
  }

  private settleDelivery(d: Delivery): void {
    if (--d.batches > 0) return;
    if (d.failures.length === 0) d.resolve(d.results as RecordMetadata[]);
    else d.reject(new KafkaProduceError(d.failures.sort((a, b) => a.index - b.index), d.results));
  }

  private release(bytes: number): void {
    this.buffered -= bytes;
    while (this.spaceWaiters.length > 0) this.spaceWaiters.shift()!();
  }

  private finished(b: Batch): void {
    this.release(b.estimate - HEADER_SIZE);
    if (--this.unfinished === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
