import { Reader, Writer } from "../../kafka/codec";
import { decodeStruct, encodeStruct, parseFields, type Field } from "../../kafka/schema";
import { partitionKey, splitPartition } from "../../kafka/partition-key";
import type { TransactionMetadata, TransactionState } from "./state";

/**
 * The record formats of __transaction_state, as Kafka writes them (its TransactionLogKey and
 * TransactionLogValue message files), so tools that read the topic understand ours. Keys and
 * values start with an int16 version; we write key v0 and value v0, and read value v1 too (its
 * producer-id hand-over fields are tagged, so v0 readers and we can skip them). A prepared
 * transaction is written as value v1 with one tagged field of our own, the partitions' log end
 * offsets at prepare time (in transactionPartitions order); readers that do not know the tag skip it.
 */
const KEY = parseFields(`
transactionalId string
`);

const VALUE = parseFields(`
producerId int64
previousProducerId int64 tag=0 default=-1
nextProducerId int64 tag=1 default=-1
producerEpoch int16
transactionTimeoutMs int32
transactionStatus int8
transactionPartitions [] null
  topic string
  partitionIds []int32
transactionLastUpdateTimestampMs int64
transactionStartTimestampMs int64
clientTransactionVersion int16 tag=2 default=0
preparedEndOffsets []int64 tag=100 null default=null
`);

const KEY_VERSION = 0;
const VALUE_VERSION = 0;
const FIRST_FLEXIBLE_VALUE = 1;
const PREPARED_VALUE_VERSION = 1;

/** Kafka's status ids in the log, in its order. */
const STATUS_IDS: TransactionState[] = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"];

function encode(version: number, fields: Field[], body: object): Buffer {
  const w = new Writer(128);
  w.int16(version);
  encodeStruct(w, fields, body as Record<string, unknown>, version, version >= FIRST_FLEXIBLE_VALUE);
  return Buffer.concat(w.frame().slice(1));
}

export function transactionKey(transactionalId: string): Buffer {
  return encode(KEY_VERSION, KEY, { transactionalId });
}

/** The transactional id of a key; null for a version this broker does not know. */
export function readTransactionKey(key: Buffer): string | null {
  const r = new Reader(key);
  if (r.int16() !== KEY_VERSION) return null;
  return (decodeStruct(r, KEY, KEY_VERSION, false) as { transactionalId: string }).transactionalId;
}

export function transactionValue(m: TransactionMetadata): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const tp of m.partitions) {
    const { topic, partition } = splitPartition(tp);
    let l = byTopic.get(topic);
    if (!l) byTopic.set(topic, (l = []));
    l.push(partition);
  }
  const transactionPartitions = [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }));
  const ends = m.preparedEnds;
  return encode(ends ? PREPARED_VALUE_VERSION : VALUE_VERSION, VALUE, {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    transactionStatus: STATUS_IDS.indexOf(m.state),
    transactionPartitions,
    transactionLastUpdateTimestampMs: m.lastUpdateMs,
    transactionStartTimestampMs: m.startMs,
    preparedEndOffsets: ends ? transactionPartitions.flatMap((t) => t.partitionIds.map((p) => ends.get(partitionKey(t.topic, p)) ?? -1)) : null,
  });
}

interface StoredValue {
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: number;
  transactionPartitions: { topic: string; partitionIds: number[] }[] | null;
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
  preparedEndOffsets: number[] | null;
}

export function readTransactionValue(transactionalId: string, value: Buffer): TransactionMetadata {
  const r = new Reader(value);
  const version = r.int16();
  const v = decodeStruct(r, VALUE, version, version >= FIRST_FLEXIBLE_VALUE) as unknown as StoredValue;
  const state = STATUS_IDS[v.transactionStatus];
  if (!state) throw new Error(`transaction ${transactionalId} has unknown status ${v.transactionStatus}`);
  const keys = (v.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((p) => partitionKey(t.topic, p)));
  const ends = v.preparedEndOffsets;
  return {
    transactionalId,
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    timeoutMs: v.transactionTimeoutMs,
    state,
    partitions: new Set(keys),
    lastUpdateMs: v.transactionLastUpdateTimestampMs,
    startMs: v.transactionStartTimestampMs,
    ...(ends && ends.length === keys.length ? { preparedEnds: new Map(keys.map((k, i) => [k, ends[i]])) } : {}),
  };
}
