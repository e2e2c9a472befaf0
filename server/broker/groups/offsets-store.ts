import { ErrorCode, KafkaError } from "../../kafka/errors";
import { partitionKey } from "../../kafka/partition-key";
import { decodeRecordBatch, encodeRecordBatch, forEachBatch, type EncodeOptions, type RecordInput } from "../../kafka/records/batch";
import { logger } from "../../log";
import type { LogManager } from "../log/log-manager";
import { isCommitMarker } from "../log/txn-index";
import { coordinatorPartition } from "./coordinator-partition";
import { groupKey, groupValue, offsetKey, offsetValue, readGroupValue, readKey, readOffsetValue, type CommittedOffset, type GroupMetadata } from "./offsets-format";

export type { CommittedOffset, GroupMetadata } from "./offsets-format";

export const OFFSETS_TOPIC = "__consumer_offsets";

const log = logger("broker.groups");
/** Compacted (the latest offset per key is what counts), in large segments. */
export const OFFSETS_TOPIC_CONFIGS: Record<string, string> = { "cleanup.policy": "compact", "segment.bytes": String(100 << 20) };
/** Records per batch written to the offsets topic, so no batch nears its max.message.bytes. */
const RECORDS_PER_BATCH = 500;
/** Keys written by brokers before Kafka's binary format, read at start and migrated. */
const LEGACY_KEY_START = 0x7b; // "{"

interface LegacyKey {
  g: string;
  t: string;
  p: number;
}

/**
 * Committed offsets and group metadata live in the internal compacted topic __consumer_offsets,
 * in Kafka's binary record formats (offsets-format.ts): one record per group/topic/partition and
 * one per group, a tombstone on delete. Commit rates never touch Postgres, and a restart reloads
 * the state by reading the topic once. A group lives in the partition its id hashes to (Kafka's
 * placement); in a cluster a broker holds only the groups of the partitions it leads, loaded when
 * leadership arrives and dropped when it leaves.
 */
/** A failed offsets write as the group APIs answer it (Kafka's mapping): retriable, at the coordinator. */
function coordinatorError(err: unknown): KafkaError {
  if (!(err instanceof KafkaError)) return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, (err as Error).message);
  if (err.code === ErrorCode.NOT_LEADER_OR_FOLLOWER) return new KafkaError(ErrorCode.NOT_COORDINATOR, err.message);
  if (err.code === ErrorCode.NOT_ENOUGH_REPLICAS || err.code === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND) return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, err.message);
  return err;
}

export class OffsetsStore {
  private offsets = new Map<string, Map<string, CommittedOffset>>();
  private metadata = new Map<string, GroupMetadata>();
  /** Offsets committed in open transactions (TxnOffsetCommit): producer id → group → partition → offset, visible only after the COMMIT marker. */
  private pending = new Map<number, Map<string, Map<string, CommittedOffset>>>();

  /**
   * In a cluster: resolves once every in-sync replica has the offsets partition up to `lastOffset`
   * (Kafka writes offsets with acks=all), so a commit survives its coordinator's failover.
   */
  awaitReplicas: ((partition: number, lastOffset: number) => Promise<void>) | undefined;

  constructor(private logs: LogManager) {}

  /** A single broker: creates the topic on first start (one partition) and loads every partition. */
  async load(): Promise<void> {
    if (!this.logs.topic(OFFSETS_TOPIC)) {
      await this.logs.createTopic(OFFSETS_TOPIC, { partitions: 1, configs: OFFSETS_TOPIC_CONFIGS });
    }
    for (let p = 0; p < this.logs.topic(OFFSETS_TOPIC)!.partitions; p++) await this.loadPartition(p);
  }

  /** The partition holding a group's records. */
  partitionFor(group: string): number {
    return coordinatorPartition(group, this.logs.topic(OFFSETS_TOPIC)?.partitions ?? 1);
  }

  /**
   * Reads one partition's groups and offsets from this broker's log, up to its log end: a new
   * leader's log is the partition's from now on (followers truncate to it), while its high
   * watermark still trails the old leader's by a fetch.
   */
  async loadPartition(p: number): Promise<void> {
    const partition = this.logs.partition(OFFSETS_TOPIC, p);
    const legacy = new Map<string, LegacyKey>();
    let offset = partition.logStartOffset;
    while (offset < partition.logEndOffset) {
      const { records } = await partition.read(offset, 4 << 20, true, "replica");
      if (records.length === 0) break;
      forEachBatch(records, (h, pos) => {
        offset = h.baseOffset + h.lastOffsetDelta + 1;
        if (h.control) return this.completeTransaction(h.producerId, isCommitMarker(records, pos));
        for (const r of decodeRecordBatch(records, pos).records) {
          if (!r.key) continue;
          if (h.transactional) this.stage(h.producerId, r.key, r.value);
          else this.apply(r.key, r.value, legacy);
        }
      });
    }
    if (legacy.size) await this.migrate(p, legacy);
  }

  /** Forgets the groups of a partition this broker no longer leads: its new leader answers for them. */
  unloadPartition(p: number): void {
    const mine = (group: string) => this.partitionFor(group) === p;
    for (const group of [...this.offsets.keys()]) if (mine(group)) this.offsets.delete(group);
    for (const group of [...this.metadata.keys()]) if (mine(group)) this.metadata.delete(group);
    for (const [producerId, byGroup] of this.pending) {
      for (const group of [...byGroup.keys()]) if (mine(group)) byGroup.delete(group);
      if (byGroup.size === 0) this.pending.delete(producerId);
    }
  }

  private apply(key: Buffer, value: Buffer | null, legacy: Map<string, LegacyKey>): void {
    if (key[0] === LEGACY_KEY_START) {
      const k = JSON.parse(key.toString()) as LegacyKey;
      legacy.set(key.toString(), k);
      if (value) this.put(k.g, k.t, k.p, JSON.parse(value.toString()) as CommittedOffset);
      else this.remove(k.g, k.t, k.p);
      return;
    }
    const k = readKey(key);
    if (k?.kind === "offset") {
      if (value) this.put(k.group, k.topic, k.partition, readOffsetValue(value));
      else this.remove(k.group, k.topic, k.partition);
    } else if (k?.kind === "group") {
      if (value) this.metadata.set(k.group, readGroupValue(value));
      else this.metadata.delete(k.group);
    }
  }

  /**
   * Rewrites offsets first stored as JSON in Kafka's format and tombstones the JSON keys, so
   * compaction removes them: otherwise a JSON record could outlive a later binary tombstone of
   * the same partition and bring a deleted offset back.
   */
  private async migrate(p: number, legacy: Map<string, LegacyKey>): Promise<void> {
    const records: RecordInput[] = [];
    for (const [raw, k] of legacy) {
      records.push({ key: Buffer.from(raw), value: null });
      const o = this.get(k.g, k.t, k.p);
      if (o) records.push({ key: offsetKey(k.g, k.t, k.p), value: offsetValue(o) });
    }
    await this.append(p, records);
    log.info({ records: legacy.size }, "migrated committed offsets from the JSON format to Kafka's __consumer_offsets format");
  }

  /** A transactional offset commit read back at start: pending until its marker (or the coordinator's abort). */
  private stage(producerId: number, key: Buffer, value: Buffer | null): void {
    const k = readKey(key);
    if (k?.kind === "offset" && value) this.addPending(producerId, k.group, [{ topic: k.topic, partition: k.partition, value: readOffsetValue(value) }]);
  }

  private addPending(producerId: number, group: string, entries: { topic: string; partition: number; value: CommittedOffset }[]): void {
    let byGroup = this.pending.get(producerId);
    if (!byGroup) this.pending.set(producerId, (byGroup = new Map<string, Map<string, CommittedOffset>>()));
    let g = byGroup.get(group);
    if (!g) byGroup.set(group, (g = new Map<string, CommittedOffset>()));
    for (const e of entries) g.set(partitionKey(e.topic, e.partition), e.value);
  }

  /** A COMMIT or ABORT marker for the producer reached __consumer_offsets: its transaction's offsets become the group's, or vanish. */
  completeTransaction(producerId: number, commit: boolean): void {
    const byGroup = this.pending.get(producerId);
    this.pending.delete(producerId);
    if (!byGroup || !commit) return;
    for (const [group, offsets] of byGroup) {
      for (const [k, o] of offsets) {
        const at = k.lastIndexOf("\u0000");
        this.put(group, k.slice(0, at), Number(k.slice(at + 1)), o);
      }
    }
  }

  /** Whether a transaction still holds offsets of the group's partition that OffsetFetch with requireStable must wait for. */
  hasPending(group: string, topic: string, partition: number): boolean {
    for (const byGroup of this.pending.values()) if (byGroup.get(group)?.has(partitionKey(topic, partition))) return true;
    return false;
  }

  /** TxnOffsetCommit: written as the producer's transactional batch, pending until the transaction's marker. */
  async commitTransactional(group: string, producerId: number, producerEpoch: number, entries: { topic: string; partition: number; value: CommittedOffset }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.append(
      this.partitionFor(group),
      entries.map((e) => ({ key: offsetKey(group, e.topic, e.partition), value: offsetValue(e.value) })),
      { producerId, producerEpoch, transactional: true },
    );
    this.addPending(producerId, group, entries);
  }

  private put(group: string, topic: string, partition: number, o: CommittedOffset): void {
    let g = this.offsets.get(group);
    if (!g) this.offsets.set(group, (g = new Map<string, CommittedOffset>()));
    g.set(partitionKey(topic, partition), o);
  }

  private remove(group: string, topic: string, partition: number): void {
    const g = this.offsets.get(group);
    g?.delete(partitionKey(topic, partition));
    if (g && g.size === 0) this.offsets.delete(group);
  }

  private async append(p: number, records: RecordInput[], opts: EncodeOptions = {}): Promise<void> {
    if (records.length === 0) return;
    const batches: Buffer[] = [];
    for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) batches.push(encodeRecordBatch(records.slice(i, i + RECORDS_PER_BATCH), opts));
    try {
      const { lastOffset } = await this.logs.partition(OFFSETS_TOPIC, p).append(batches.length === 1 ? batches[0] : Buffer.concat(batches));
      await this.awaitReplicas?.(p, lastOffset);
    } catch (err) {
      throw coordinatorError(err);
    }
  }

  /** Writes the commits durably first; only then do fetches see them. */
  async commit(group: string, entries: { topic: string; partition: number; value: CommittedOffset | null }[]): Promise<void> {
    await this.append(this.partitionFor(group), entries.map((e) => ({ key: offsetKey(group, e.topic, e.partition), value: e.value && offsetValue(e.value) })));
    for (const e of entries) {
      if (e.value) this.put(group, e.topic, e.partition, e.value);
      else this.remove(group, e.topic, e.partition);
    }
  }

  /** Records a group's generation, protocol and members (on every change of state, as Kafka does). */
  async writeGroup(group: string, metadata: GroupMetadata): Promise<void> {
    await this.append(this.partitionFor(group), [{ key: groupKey(group), value: groupValue(metadata) }]);
    this.metadata.set(group, metadata);
  }

  /** Tombstones a group's metadata and every offset it committed, in one write. */
  async deleteGroup(group: string): Promise<void> {
    const records: RecordInput[] = this.list(group).map((o) => ({ key: offsetKey(group, o.topic, o.partition), value: null }));
    if (this.metadata.has(group)) records.push({ key: groupKey(group), value: null });
    await this.append(this.partitionFor(group), records);
    this.offsets.delete(group);
    this.metadata.delete(group);
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(partitionKey(topic, partition));
  }

  /** The group's last recorded metadata (after a restart: where its generations continue). */
  groupMetadata(group: string): GroupMetadata | undefined {
    return this.metadata.get(group);
  }

  /** Every committed offset of a group, as [topic, partition, offset]. */
  list(group: string): { topic: string; partition: number; committed: CommittedOffset }[] {
    return [...(this.offsets.get(group) ?? [])].map(([k, committed]) => {
      const [topic, p] = k.split("\u0000");
      return { topic, partition: Number(p), committed };
    });
  }

  groups(): string[] {
    return [...this.offsets.keys()];
  }

  has(group: string): boolean {
    return this.offsets.has(group);
  }
}
