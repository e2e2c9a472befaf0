import { ErrorCode, KafkaError } from "../../kafka/errors";

/** Kafka's transaction states (KIP-98), by the names DescribeTransactions and ListTransactions use. */
export type TransactionState = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort" | "Dead" | "PrepareEpochFence";

export const TRANSACTION_STATES: readonly TransactionState[] = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"];

/** What the coordinator keeps per transactional id, and writes to __transaction_state on every change. */
export interface TransactionMetadata {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  /** "topic\0partition" of every partition written (or to be written) in the open transaction. */
  partitions: Set<string>;
  /** When the open transaction began (its first AddPartitionsToTxn), or -1. */
  startMs: number;
  lastUpdateMs: number;
  /**
   * PrepareCommit/PrepareAbort only: each partition's log end offset when the transaction
   * prepared, so a restart completing it marks only data written before that point (a later
   * transaction's data may already follow this one's marker there).
   */
  preparedEnds?: Map<string, number>;
}

/** The states each state may be entered from, as Kafka's coordinator allows. */
const FROM: Record<TransactionState, readonly TransactionState[]> = {
  Empty: ["Empty", "CompleteCommit", "CompleteAbort"],
  Ongoing: ["Ongoing", "Empty", "CompleteCommit", "CompleteAbort"],
  PrepareCommit: ["Ongoing"],
  PrepareAbort: ["Ongoing", "PrepareEpochFence"],
  CompleteCommit: ["PrepareCommit"],
  CompleteAbort: ["PrepareAbort"],
  Dead: ["Empty", "CompleteCommit", "CompleteAbort"],
  PrepareEpochFence: ["Ongoing"],
};

/** A state change the state machine allows; anything else is a coordinator bug, refused loudly. */
export function transition(m: TransactionMetadata, to: TransactionState): void {
  if (!FROM[to].includes(m.state)) throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `transaction ${m.transactionalId} cannot go from ${m.state} to ${to}`);
  m.state = to;
}

/** A transaction between its PREPARE record and its last marker: requests for it wait (CONCURRENT_TRANSACTIONS). */
export function isCompleting(state: TransactionState): boolean {
  return state === "PrepareCommit" || state === "PrepareAbort" || state === "PrepareEpochFence";
}
