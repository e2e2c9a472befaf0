import { Acks, NO_PRODUCER_EPOCH, NO_PRODUCER_ID } from "../../kafka/constants";
import { ErrorCode, errorName, KafkaError } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { forEachBatch } from "../../kafka/records/batch";
import { InvalidRecordsError } from "../log/partition-log";
import { partitionCounters } from "../metrics";
import { ensureTopics, errorMessage, fencedLeader, INTERNAL_TOPICS, log, note, notLeader, type BrokerContext } from "./context";
import { initTransactionalProducer } from "./transactions";
import type { HandlerRegistry } from "./registry";

type ProduceTopic = RequestOf<"Produce">["topicData"][number];
type PartitionResponse = ResponseInputOf<"Produce">["responses"][number]["partitionResponses"][number];

/** Produce and InitProducerId: appending records, and the ids of idempotent producers. */
export function registerProduceHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  registry.register(Apis.Produce, (req) => produce(b, req));
  /** An idempotent producer's id here; with a transactional id the transaction coordinator answers. */
  registry.register(Apis.InitProducerId, async (req, info) => {
    const refused = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    if (req.transactionalId !== null) return initTransactionalProducer(b.transactions, { ...req, transactionalId: req.transactionalId }, info.apiVersion);
    try {
      return { errorCode: ErrorCode.NONE, ...(await b.logs.initProducerId()) };
    } catch (err) {
      return { errorCode: note(err, "init producer id"), ...refused };
    }
  });
}

/** The same error for every partition of the request. */
function refuseAll(req: RequestOf<"Produce">, errorCode: number, errorMessage: string | null = null): ResponseInputOf<"Produce"> {
  return { responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1, errorMessage })) })) };
}

async function produce(b: BrokerContext, req: RequestOf<"Produce">): Promise<ResponseInputOf<"Produce"> | null> {
  if (req.acks !== Acks.NONE && req.acks !== Acks.LEADER && req.acks !== Acks.ALL) return refuseAll(req, ErrorCode.INVALID_REQUIRED_ACKS);
  const missing = await ensureTopics(b, req.topicData.map((t) => t.name).filter((n) => !INTERNAL_TOPICS.has(n)), true);
  const responses = await Promise.all(
    req.topicData.map(async (t) => {
      // Clients must not write the broker's own topics: a foreign record there would make committed
      // offsets or transaction state unreadable on the next start. Kafka refuses it the same way.
      const topicError = INTERNAL_TOPICS.has(t.name) ? new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${t.name} is internal: the broker writes it (commit offsets with OffsetCommit, transactions with EndTxn)`) : missing.get(t.name);
      return { name: t.name, partitionResponses: await Promise.all(t.partitionData.map((p) => append(b, req, t, p, topicError))) };
    }),
  );
  return req.acks === Acks.NONE ? null : { responses };
}

async function append(b: BrokerContext, req: RequestOf<"Produce">, t: ProduceTopic, p: ProduceTopic["partitionData"][number], topicError: KafkaError | undefined): Promise<PartitionResponse> {
  if (topicError) return { index: p.index, errorCode: topicError.code, baseOffset: -1, errorMessage: topicError.message };
  try {
    const moved = notLeader(b, t.name, p.index) ?? (req.acks === Acks.ALL ? undefined : fencedLeader(b, t.name, p.index));
    if (moved) throw moved;
    const records = p.records;
    if (!records || records.length === 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, "empty record set");
    const pl = b.logs.partition(t.name, p.index);
    const replicated = req.acks === Acks.ALL ? b.replication : undefined;
    replicated?.checkInsync(t.name, p.index, pl);
    // Checked in the same tick as the append, so the transaction cannot end in between; control batches are the log's to refuse.
    forEachBatch(records, (h) => h.transactional && !h.control && b.transactions.verifyProduce(h.producerId, h.producerEpoch, t.name, p.index));
    const r = await pl.append(records);
    // acks=all: answered once every in-sync replica has the records (the high watermark passed them).
    await replicated?.awaitReplicated(t.name, p.index, pl, r.lastOffset, req.timeoutMs);
    const c = partitionCounters(t.name, p.index);
    c.recordsIn.inc(r.lastOffset - r.baseOffset + 1);
    c.bytesIn.inc(records.length);
    return { index: p.index, errorCode: ErrorCode.NONE, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset };
  } catch (err) {
    const code = note(err, "produce");
    if (code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) log.warn({ topic: t.name, partition: p.index, error: errorName(code), reason: err instanceof Error ? err.message : String(err) }, "produce rejected");
    const recordErrors = err instanceof InvalidRecordsError ? err.recordIndexes.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: InvalidRecordsError.RECORD_MESSAGE })) : [];
    return { index: p.index, errorCode: code, baseOffset: -1, errorMessage: errorMessage(err), recordErrors };
  }
}
