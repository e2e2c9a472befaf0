import { codeOf, ErrorCode, KafkaError } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import type { PartitionLog } from "../log/partition-log";
import { MARKER_ACK_TIMEOUT_MS } from "../transactions/cluster";
import type { TransactionCoordinator } from "../transactions/coordinator";
import { partitionKey } from "../../kafka/partition-key";
import { log, notLeader, type BrokerContext } from "./context";
import type { HandlerRegistry } from "./registry";

/** The first version of each API that knows PRODUCER_FENCED (KIP-588); older clients get INVALID_PRODUCER_EPOCH, which they treat alike. */
const PRODUCER_FENCED_SINCE = { InitProducerId: 4, AddPartitionsToTxn: 2, AddOffsetsToTxn: 2, EndTxn: 2 } as const;

function errorFor(err: unknown, api: keyof typeof PRODUCER_FENCED_SINCE, version: number): number {
  if (!(err instanceof KafkaError)) log.error({ err }, `${api} failed`);
  const code = codeOf(err);
  return code === ErrorCode.PRODUCER_FENCED && version < PRODUCER_FENCED_SINCE[api] ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

/** InitProducerId with a transactional id (the Produce handlers register the API and pass these requests on). */
export async function initTransactionalProducer(txns: TransactionCoordinator, req: RequestOf<"InitProducerId"> & { transactionalId: string }, version: number): Promise<ResponseInputOf<"InitProducerId">> {
  try {
    return { errorCode: ErrorCode.NONE, ...(await txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, { producerId: req.producerId, producerEpoch: req.producerEpoch })) };
  } catch (err) {
    return { errorCode: errorFor(err, "InitProducerId", version), producerId: -1, producerEpoch: -1 };
  }
}

/** The transaction APIs (KIP-98), answered by the transaction coordinator, and by the group coordinator for offsets. */
export function registerTransactionHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  const txns = b.transactions;
  const exists = (topic: string, partition: number) => {
    const info = b.logs.topic(topic);
    return !!info && partition >= 0 && partition < info.partitions;
  };

  /**
   * Partitions that do not exist fail with UNKNOWN_TOPIC_OR_PARTITION and the others with
   * OPERATION_NOT_ATTEMPTED, as in Kafka: none is added unless all can be.
   */
  registry.register(Apis.AddPartitionsToTxn, async (req, info) => {
    const unknown = new Set<string>();
    for (const t of req.topics) for (const p of t.partitions) if (!exists(t.name, p)) unknown.add(partitionKey(t.name, p));
    const answer = (code: (topic: string, p: number) => number) => ({
      resultsByTopic: req.topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) })),
    });
    if (unknown.size) return answer((t, p) => (unknown.has(partitionKey(t, p)) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
    try {
      await txns.addPartitions(req, req.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))));
      return answer(() => ErrorCode.NONE);
    } catch (err) {
      const code = errorFor(err, "AddPartitionsToTxn", info.apiVersion);
      return answer(() => code);
    }
  });

  registry.register(Apis.AddOffsetsToTxn, async (req, info) => {
    if (!req.groupId) return { errorCode: ErrorCode.INVALID_GROUP_ID };
    try {
      await txns.addPartitions(req, [txns.offsetsPartition(req.groupId)]);
      return { errorCode: ErrorCode.NONE };
    } catch (err) {
      return { errorCode: errorFor(err, "AddOffsetsToTxn", info.apiVersion) };
    }
  });

  registry.register(Apis.EndTxn, async (req, info) => {
    try {
      await txns.endTxn(req, req.committed);
      return { errorCode: ErrorCode.NONE };
    } catch (err) {
      return { errorCode: errorFor(err, "EndTxn", info.apiVersion) };
    }
  });

  // Served by the group's coordinator (in a cluster mostly another broker than the transaction's), as OffsetCommit is.
  registry.register(Apis.TxnOffsetCommit, (req) => {
    const code = b.groups.coordinatorError(req.groupId);
    if (code) return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
    return b.groups.txnOffsetCommit(req, () => txns.verifyOffsetCommit(req, req.groupId));
  });

  /**
   * From a cluster's transaction coordinators to the partitions' leaders, as in Kafka; on one
   * broker the coordinator writes its markers in-process, and this serves tools that abort a
   * hanging transaction by writing its marker. A partition this broker does not lead answers
   * NOT_LEADER_OR_FOLLOWER, and the coordinator sends it to the leader. In a cluster a marker is
   * written as acks=all: refused with NOT_ENOUGH_REPLICAS while the ISR is below
   * min.insync.replicas, and acknowledged once the in-sync replicas hold it, so a new leader of
   * the partition has it (the coordinator completes the transaction only after every marker is).
   */
  registry.register(Apis.WriteTxnMarkers, async (req) => {
    const replication = b.replication;
    const replicated = replication && ((pl: PartitionLog, lastOffset: number) => replication.awaitReplicated(pl.topic, pl.partition, pl, lastOffset, MARKER_ACK_TIMEOUT_MS));
    const markers = [];
    for (const m of req.markers) {
      const codes = new Map<string, number>();
      const partitions = [];
      for (const t of m.topics) {
        for (const partition of t.partitionIndexes) {
          try {
            const moved = notLeader(b, t.name, partition);
            if (moved) throw moved;
            if (replication && exists(t.name, partition)) replication.checkInsync(t.name, partition, b.logs.partition(t.name, partition));
            partitions.push({ topic: t.name, partition });
          } catch (err) {
            codes.set(partitionKey(t.name, partition), codeOf(err));
          }
        }
      }
      try {
        for (const [k, code] of await txns.writeMarkers(m.producerId, m.producerEpoch, m.transactionResult, partitions, replicated).durable) codes.set(k, code);
      } catch (err) {
        const code = codeOf(err);
        for (const tp of partitions) codes.set(partitionKey(tp.topic, tp.partition), code);
      }
      markers.push({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: codes.get(partitionKey(t.name, p)) ?? ErrorCode.NONE })) })),
      });
    }
    return { markers };
  });

  registry.register(Apis.DescribeTransactions, (req) => ({ transactionStates: txns.describe(req.transactionalIds) }));

  registry.register(Apis.ListTransactions, (req) => {
    const { unknownStates, transactions } = txns.list({ states: req.stateFilters, producerIds: req.producerIdFilters, minDurationMs: req.durationFilter });
    return { errorCode: ErrorCode.NONE, unknownStateFilters: unknownStates, transactionStates: transactions };
  });
}
