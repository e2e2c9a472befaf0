import type { KafkaClient } from "../kafka/client";
import type { TransactionDescription } from "../kafka/client/admin";
import { IsolationLevel, ListOffsetsTimestamp } from "../kafka/constants";
import { ErrorCode } from "../kafka/errors";
import { partitionKey } from "../kafka/partition-key";
import { offsetsAt } from "./topics";

/** The states of a transaction that still holds back read_committed consumers (the last stable offset). */
const OPEN_STATES = ["Ongoing", "PrepareCommit", "PrepareAbort", "PrepareEpochFence"];

export interface OpenTransaction {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: string;
  timeoutMs: number;
  /** Epoch ms the transaction began; null when the coordinator does not say. */
  startedAt: number | null;
  /** How long it has been open when the console asked; null with startedAt. */
  ageMs: number | null;
  partitions: { topic: string; partitions: number[] }[];
}

export type TransactionsView = { supported: false } | { supported: true; transactions: OpenTransaction[] };

/**
 * The cluster's open transactions as kafka-transactions --list / --describe shows them, oldest
 * first: a stuck one is what pins a partition's last stable offset and stalls read_committed readers.
 */
export async function openTransactions(client: KafkaClient, now = Date.now()): Promise<TransactionsView> {
  if (!(await client.admin.servesTransactionApis())) return { supported: false };
  const listed = await client.admin.listTransactions(OPEN_STATES);
  const described = await client.admin.describeTransactions(listed.map((t) => t.transactionalId));
  const transactions = described
    .filter(isOpen)
    .map((t) => openTransaction(t, now))
    .sort((a, b) => (b.ageMs ?? -1) - (a.ageMs ?? -1));
  return { supported: true, transactions };
}

const isOpen = (t: TransactionDescription) => t.errorCode === ErrorCode.NONE && OPEN_STATES.includes(t.state);

function openTransaction(t: TransactionDescription, now: number): OpenTransaction {
  const startedAt = t.startTimeMs >= 0 ? t.startTimeMs : null;
  return {
    transactionalId: t.transactionalId,
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    state: t.state,
    timeoutMs: t.timeoutMs,
    startedAt,
    ageMs: startedAt === null ? null : Math.max(0, now - startedAt),
    partitions: t.partitions,
  };
}

/** A transaction the console cannot abort as asked: it ended, or it is not the one the preview showed. */
export class TransactionNotOpen extends Error {}

/** Where read_committed consumers of one of the transaction's partitions stop, and how far the log goes past that. */
export interface StablePartition {
  topic: string;
  partition: number;
  lastStableOffset: number;
  highWatermark: number;
}

export interface AbortPreview extends OpenTransaction {
  /** Null when the coordinator would abort it; otherwise why the console will not. */
  refusal: string | null;
  stable: StablePartition[];
}

/**
 * Only an Ongoing transaction is aborted by fencing: a prepared one is already being completed by
 * its coordinator (a new incarnation waits for that, so a PrepareCommit would still commit).
 */
function refusalOf(t: OpenTransaction): string | null {
  if (t.state === "Ongoing") return null;
  if (t.state === "PrepareCommit") return `Transaction ${t.transactionalId} is committing: its coordinator is writing the commit markers, and its records become visible once they are written. Aborting it is no longer possible.`;
  return `Transaction ${t.transactionalId} is already being aborted (${t.state}): its coordinator is writing the abort markers.`;
}

async function describeOpen(client: KafkaClient, transactionalId: string, now: number): Promise<OpenTransaction> {
  const [t] = await client.admin.describeTransactions([transactionalId]);
  if (!t || t.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) throw new TransactionNotOpen(`No transactional id "${transactionalId}" on this cluster; pick a transaction from the list.`);
  if (!isOpen(t)) throw new TransactionNotOpen(`Transaction ${transactionalId} is no longer open (${t.state}): it ended since the list was read, so there is nothing to abort.`);
  return openTransaction(t, now);
}

/**
 * The last stable offset and high watermark of each of the transaction's partitions that still
 * exists (a transaction can outlive a deleted topic, and then hangs on nothing the console can read).
 */
async function stableOffsets(client: KafkaClient, partitions: OpenTransaction["partitions"]): Promise<StablePartition[]> {
  if (partitions.length === 0) return [];
  const md = await client.admin.metadata(partitions.map((p) => p.topic));
  const exists = new Set(md.topics.flatMap((t) => t.partitions.filter(Boolean).map((p) => partitionKey(t.name, p.partition))));
  const positions = partitions.flatMap((p) => p.partitions.map((partition) => ({ topic: p.topic, partition }))).filter((p) => exists.has(partitionKey(p.topic, p.partition)));
  if (positions.length === 0) return [];
  const [stable, high] = await Promise.all([
    offsetsAt(client, positions, ListOffsetsTimestamp.LATEST, IsolationLevel.READ_COMMITTED),
    offsetsAt(client, positions, ListOffsetsTimestamp.LATEST, IsolationLevel.READ_UNCOMMITTED),
  ]);
  return positions.map((p) => {
    const highWatermark = high.get(partitionKey(p.topic, p.partition)) ?? 0;
    return { ...p, lastStableOffset: stable.get(partitionKey(p.topic, p.partition)) ?? highWatermark, highWatermark };
  });
}

/** What aborting a transaction would do: the transaction as its coordinator has it now, and the offsets it holds back. */
export async function previewAbort(client: KafkaClient, transactionalId: string, now = Date.now()): Promise<AbortPreview> {
  const t = await describeOpen(client, transactionalId, now);
  return { ...t, refusal: refusalOf(t), stable: await stableOffsets(client, t.partitions) };
}

export interface AbortResult {
  aborted: AbortPreview;
  /** The id's producer after the fence: the old producer's epoch is below this one. */
  producerId: number;
  producerEpoch: number;
  /** The offsets after the abort: read_committed consumers move past the aborted records. */
  stable: StablePartition[];
}

/**
 * Aborts an open transaction over the protocol alone, so it works on any Kafka cluster: fencing
 * the id's producer makes its coordinator abort the transaction. It is checked again first, and
 * must still be the incarnation the person previewed (`approved`): a producer that has since
 * committed, or restarted with a new epoch, is not touched.
 */
export async function abortTransaction(client: KafkaClient, transactionalId: string, approved: { producerId: number; producerEpoch: number }, now = Date.now()): Promise<AbortResult> {
  const preview = await previewAbort(client, transactionalId, now);
  if (preview.producerId !== approved.producerId || preview.producerEpoch !== approved.producerEpoch) {
    throw new TransactionNotOpen(
      `Transaction ${transactionalId} is now producer ${preview.producerId} epoch ${preview.producerEpoch}, not the producer ${approved.producerId} epoch ${approved.producerEpoch} you previewed: the previewed transaction ended. Preview again before aborting.`,
    );
  }
  if (preview.refusal) throw new TransactionNotOpen(preview.refusal);
  const fenced = await client.admin.fenceProducer(transactionalId, preview.timeoutMs);
  return { aborted: preview, ...fenced, stable: await stableOffsets(client, preview.partitions) };
}
