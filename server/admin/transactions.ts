import type { KafkaClient } from "../kafka/client";
import { ErrorCode } from "../kafka/errors";

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
    .filter((t) => t.errorCode === ErrorCode.NONE && OPEN_STATES.includes(t.state))
    .map((t) => {
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
    })
    .sort((a, b) => (b.ageMs ?? -1) - (a.ageMs ?? -1));
  return { supported: true, transactions };
}
