import { codeOf, ErrorCode, KafkaError } from "../../kafka/errors";
import type { AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, DescribeTransactionsRequest, EndTxnRequest, ListTransactionsRequest, TxnOffsetCommitRequest, WriteTxnMarkersRequest } from "../../kafka/messages.types";
import { logger } from "../../log";
import type { GroupCoordinator } from "../groups/coordinator";
import type { LogManager } from "../log/log-manager";
import type { TransactionCoordinator } from "./coordinator";
import { partitionKey } from "./log-format";

const log = logger("broker.transactions");

/** The first version of each API that knows PRODUCER_FENCED (KIP-588); older clients get INVALID_PRODUCER_EPOCH, which they treat alike. */
const PRODUCER_FENCED_SINCE = { InitProducerId: 4, AddPartitionsToTxn: 2, AddOffsetsToTxn: 2, EndTxn: 2 } as const;

function errorFor(err: unknown, api: keyof typeof PRODUCER_FENCED_SINCE, version: number): number {
  if (!(err instanceof KafkaError)) log.error({ err }, `${api} failed`);
  const code = codeOf(err);
  return code === ErrorCode.PRODUCER_FENCED && version < PRODUCER_FENCED_SINCE[api] ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

/** The transaction APIs: requests decoded by their specs, answered by the transaction coordinator (and the group coordinator for offsets). */
export class TransactionHandlers {
  constructor(
    private readonly txns: TransactionCoordinator,
    private readonly groups: GroupCoordinator,
    private readonly logs: LogManager,
  ) {}

  async initProducerId(req: { transactionalId: string; transactionTimeoutMs: number; producerId: number; producerEpoch: number }, version: number): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
    try {
      return { errorCode: ErrorCode.NONE, ...(await this.txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, { producerId: req.producerId, producerEpoch: req.producerEpoch })) };
    } catch (err) {
      return { errorCode: errorFor(err, "InitProducerId", version), producerId: -1, producerEpoch: -1 };
    }
  }

  /**
   * Partitions that do not exist fail with UNKNOWN_TOPIC_OR_PARTITION and the others with
   * OPERATION_NOT_ATTEMPTED, as in Kafka: none is added unless all can be.
   */
  async addPartitionsToTxn(req: AddPartitionsToTxnRequest, version: number) {
    const unknown = new Set<string>();
    for (const t of req.topics) for (const p of t.partitions) if (!this.exists(t.name, p)) unknown.add(partitionKey(t.name, p));
    const answer = (code: (topic: string, p: number) => number) => ({
      resultsByTopic: req.topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) })),
    });
    if (unknown.size) return answer((t, p) => (unknown.has(partitionKey(t, p)) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
    try {
      await this.txns.addPartitions(req, req.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))));
      return answer(() => ErrorCode.NONE);
    } catch (err) {
      const code = errorFor(err, "AddPartitionsToTxn", version);
      return answer(() => code);
    }
  }

  async addOffsetsToTxn(req: AddOffsetsToTxnRequest, version: number) {
    if (!req.groupId) return { errorCode: ErrorCode.INVALID_GROUP_ID };
    try {
      await this.txns.addPartitions(req, [this.txns.offsetsPartition(req.groupId)]);
      return { errorCode: ErrorCode.NONE };
    } catch (err) {
      return { errorCode: errorFor(err, "AddOffsetsToTxn", version) };
    }
  }

  async endTxn(req: EndTxnRequest, version: number) {
    try {
      await this.txns.endTxn(req, req.committed);
      return { errorCode: ErrorCode.NONE };
    } catch (err) {
      return { errorCode: errorFor(err, "EndTxn", version) };
    }
  }

  txnOffsetCommit(req: TxnOffsetCommitRequest) {
    return this.groups.txnOffsetCommit(req, () => this.txns.verifyOffsetCommit(req, req.groupId));
  }

  /**
   * WriteTxnMarkers: between brokers in Kafka; on one broker the coordinator writes its markers
   * in-process, and this serves tools that abort a hanging transaction by writing its marker.
   */
  async writeTxnMarkers(req: WriteTxnMarkersRequest) {
    const markers = [];
    for (const m of req.markers) {
      const partitions = m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
      let codes: Map<string, number>;
      try {
        codes = await this.txns.writeMarkers(m.producerId, m.producerEpoch, m.transactionResult, partitions);
      } catch (err) {
        const code = codeOf(err);
        codes = new Map(partitions.map((tp) => [partitionKey(tp.topic, tp.partition), code]));
      }
      markers.push({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: codes.get(partitionKey(t.name, p)) ?? ErrorCode.NONE })) })),
      });
    }
    return { markers };
  }

  describeTransactions(req: DescribeTransactionsRequest) {
    return { transactionStates: this.txns.describe(req.transactionalIds) };
  }

  listTransactions(req: ListTransactionsRequest) {
    const { unknownStates, transactions } = this.txns.list({ states: req.stateFilters, producerIds: req.producerIdFilters, minDurationMs: req.durationFilter });
    return { errorCode: ErrorCode.NONE, unknownStateFilters: unknownStates, transactionStates: transactions };
  }

  private exists(topic: string, partition: number): boolean {
    const info = this.logs.topic(topic);
    return !!info && partition >= 0 && partition < info.partitions;
  }
}
