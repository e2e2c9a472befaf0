import { ErrorCode, KafkaError } from "../../kafka/errors";

/** What Kafka keeps per producer id and partition: its epoch and the last five batches' sequences with their offsets. */
interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
}

const KEEP = 5;

export type SequenceCheck = { duplicate: BatchMeta } | { duplicate: null };

export class ProducerStates {
  readonly producers = new Map<number, ProducerEntry>();

  /**
   * Checks a batch of an idempotent producer before it is appended. A retry of one of the last
   * five batches returns its original offsets; a gap or an old epoch is an error as in Kafka.
   */
  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const p = this.producers.get(producerId);
    if (!p) {
      return { duplicate: null };
    }
    if (epoch < p.epoch) throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${producerId} epoch ${epoch} is older than ${p.epoch}`);
    if (epoch > p.epoch) {
      if (firstSeq !== 0) throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `a new epoch must start at sequence 0, got ${firstSeq}`);
      return { duplicate: null };
    }
    const dup = p.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { duplicate: dup };
    const last = p.batches[p.batches.length - 1];
    const expected = last ? (last.lastSeq + 1) % 2 ** 31 : 0;
    if (last && firstSeq !== expected) {
      throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${producerId} sent sequence ${firstSeq}, expected ${expected}`);
    }
    return { duplicate: null };
  }

  /** A marker or transactional batch older than the producer's epoch comes from a fenced incarnation. */
  checkEpoch(producerId: number, epoch: number): void {
    const p = this.producers.get(producerId);
    if (p && epoch < p.epoch) throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${producerId} epoch ${epoch} is older than ${p.epoch}`);
  }

  /** A marker at a newer epoch (the coordinator fencing an old incarnation): batches at older epochs are refused from now on. */
  fence(producerId: number, epoch: number): void {
    const p = this.producers.get(producerId);
    if (!p || epoch > p.epoch) this.producers.set(producerId, { epoch, batches: [] });
  }

  record(producerId: number, epoch: number, meta: BatchMeta): void {
    let p = this.producers.get(producerId);
    if (!p || epoch > p.epoch) {
      p = { epoch, batches: [] };
      this.producers.set(producerId, p);
    }
    p.batches.push(meta);
    if (p.batches.length > KEEP) p.batches.shift();
  }

  toJSON(): [number, ProducerEntry][] {
    return [...this.producers];
  }

  static fromJSON(entries: [number, ProducerEntry][]): ProducerStates {
    const s = new ProducerStates();
    for (const [id, e] of entries) s.producers.set(id, e);
    return s;
  }
}
