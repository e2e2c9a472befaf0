import { ErrorCode, KafkaError } from "../../kafka/errors";
import type { LogManager } from "../log/log-manager";
import { decodeRecords, encodeRecordBatch } from "../../kafka/records/batch";

export const OFFSETS_TOPIC = "__consumer_offsets";

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

interface Key {
  g: string;
  t: string;
  p: number;
}

/**
 * Committed offsets live in the internal compacted topic __consumer_offsets (one record per
 * group/topic/partition, a tombstone on delete), so commit rates never touch Postgres and a
 * restart reloads them by reading the topic once.
 */
export class OffsetsStore {
  private offsets = new Map<string, Map<string, CommittedOffset>>();

  constructor(private logs: LogManager) {}

  async load(): Promise<void> {
    if (!this.logs.topic(OFFSETS_TOPIC)) {
      this.logs.createTopic(OFFSETS_TOPIC, { partitions: 1, configs: { "cleanup.policy": "compact", "segment.bytes": String(100 << 20) } });
    }
    const log = this.logs.partition(OFFSETS_TOPIC, 0);
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) {
      const { records } = await log.read(offset, 4 << 20);
      if (records.length === 0) break;
      for (const r of decodeRecords(records)) {
        offset = r.offset + 1;
        if (!r.key) continue;
        const k = JSON.parse(r.key.toString()) as Key;
        if (r.value) this.put(k.g, k.t, k.p, JSON.parse(r.value.toString()));
        else this.remove(k.g, k.t, k.p);
      }
    }
  }

  private put(group: string, topic: string, partition: number, o: CommittedOffset): void {
    let g = this.offsets.get(group);
    if (!g) this.offsets.set(group, (g = new Map()));
    g.set(`${topic}\u0000${partition}`, o);
  }

  private remove(group: string, topic: string, partition: number): void {
    const g = this.offsets.get(group);
    g?.delete(`${topic}\u0000${partition}`);
    if (g && g.size === 0) this.offsets.delete(group);
  }

  /** Writes the commits durably first; only then do fetches see them. */
  async commit(group: string, entries: { topic: string; partition: number; value: CommittedOffset | null }[]): Promise<void> {
    if (entries.length === 0) return;
    const batch = encodeRecordBatch(
      entries.map((e) => ({
        key: Buffer.from(JSON.stringify({ g: group, t: e.topic, p: e.partition } satisfies Key)),
        value: e.value ? Buffer.from(JSON.stringify(e.value)) : null,
      })),
    );
    try {
      await this.logs.partition(OFFSETS_TOPIC, 0).append(batch);
    } catch (err) {
      throw err instanceof KafkaError ? err : new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, (err as Error).message);
    }
    for (const e of entries) {
      if (e.value) this.put(group, e.topic, e.partition, e.value);
      else this.remove(group, e.topic, e.partition);
    }
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(`${topic}\u0000${partition}`);
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
