import { ConfigResourceType } from "../../kafka/constants";
import { ErrorCode } from "../../kafka/errors";
import { type ClientOptions, type CommittedOffset, KafkaClient, KafkaClientError, KafkaProduceError, type Producer, type ProducerRecord, maxRecordSize, recordSize } from "../../kafka/client";
import { HEADER_SIZE } from "../../kafka/records/batch";
import { logger } from "../../log";

const log = logger("agents.topic-producer");

/** Kafka's default max.message.bytes, assumed when a cluster will not describe a topic's configs. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** Bytes a record's headers and framing may add to its key and value before it is measured exactly. */
const HEADROOM = 64 * 1024;
/** How long a take may be retried inside the producer (leader moves, lost connections) before the sink backs off with the reason. */
const DELIVERY_TIMEOUT_MS = 30_000;
/** Refusals of a batch for its size: after the producer has split it down to one record, that record can never be sent. */
const TOO_LARGE = new Set<number>([ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE]);

export interface TopicProducerOptions {
  client: ClientOptions;
  acks: -1 | 0 | 1;
  /** Ask the brokers to create a topic they do not know, as the Java producer does. */
  autoCreateTopics: boolean;
  compression?: "none" | "gzip" | "snappy" | "lz4" | "zstd";
  /** batch.size: most bytes in one record batch. */
  batchBytes: number;
  /** max.request.size: most bytes in one produce request, and so in one record. */
  maxRequestBytes: number;
  /** transactional.id: sends go in transactions the caller opens and ends. */
  transactionalId?: string;
  transactionTimeoutMs?: number;
}

/** A record that cannot be sent to its topic at any batch size; it was not sent. */
export interface TooLarge {
  record: ProducerRecord;
  reason: string;
}

/**
 * The topic sink's producer: the one Kafka client's idempotent producer (batching by batch.size,
 * requests within max.request.size, batches the brokers refuse as too large split and sent again),
 * plus what the sink needs on top: each topic's max.message.bytes, so an event that can never be
 * sent is set aside with the reason instead of failing every retry of the take.
 */
export class TopicProducer {
  private readonly client: KafkaClient;
  private readonly producer: Producer;
  private readonly limits = new Map<string, number>();

  constructor(private readonly o: TopicProducerOptions) {
    // One attempt per take: the sink runner backs off and retries the take, and says why meanwhile.
    this.client = new KafkaClient({ retries: 2, ...o.client });
    this.producer = this.client.producer({
      acks: o.acks, batchSize: o.batchBytes, maxRequestSize: o.maxRequestBytes, autoCreateTopics: o.autoCreateTopics, compression: o.compression ?? "none", lingerMs: 0, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      ...(o.transactionalId ? { transactionalId: o.transactionalId, transactionTimeoutMs: o.transactionTimeoutMs } : {}),
    });
  }

  /** The transactional producer, for the sink to open, fill and end transactions around send(). */
  get transactions(): Pick<Producer, "initTransactions" | "beginTransaction" | "sendOffsetsToTransaction" | "commitTransaction" | "abortTransaction"> {
    return this.producer;
  }

  /** A consumer group's committed offsets (stable: none is pending in an open transaction). */
  committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    return this.client.admin.fetchOffsets(groupId);
  }

  /**
   * Produces every record; resolves once the leaders acknowledged them (per acks) with the records
   * too large for their topic, which were not sent. Any other refusal rejects, and the caller sends
   * the whole set again (the idempotent producer drops what the brokers already have).
   */
  async send(records: ProducerRecord[]): Promise<TooLarge[]> {
    const topics = [...new Set(records.map((r) => r.topic))];
    await this.learnLimits(topics.filter((t) => !this.limits.has(t)));
    // Key and value bound a record's size from below, so only records near a limit are measured exactly.
    const smallest = Math.min(maxRecordSize(this.o.maxRequestBytes), ...topics.map((t) => this.limits.get(t)! - HEADER_SIZE));
    try {
      return await this.sendWithin(records, (r) => (r.value?.length ?? 0) + (r.key?.length ?? 0) + HEADROOM < smallest);
    } catch (err) {
      // Headers beyond the headroom: the producer refused the whole send before sending anything; measure every record.
      if (err instanceof KafkaClientError && err.code === ErrorCode.MESSAGE_TOO_LARGE) return this.sendWithin(records, () => false);
      throw err;
    }
  }

  /** Sends the records that fit, returning those that cannot with the reason; `fits` skips measuring records surely small enough. */
  private async sendWithin(records: ProducerRecord[], fits: (r: ProducerRecord) => boolean): Promise<TooLarge[]> {
    const tooLarge: TooLarge[] = [];
    const sendable = records.filter((r) => {
      if (fits(r)) return true;
      const reason = this.tooLargeReason(r.topic, HEADER_SIZE + recordSize(r));
      if (reason) tooLarge.push({ record: r, reason });
      return !reason;
    });
    try {
      await this.producer.send(sendable);
    } catch (err) {
      const failure = await this.setAside(err, sendable, tooLarge);
      if (failure) throw failure;
    }
    return tooLarge;
  }

  async close(): Promise<void> {
    await this.producer.close();
    await this.client.close();
  }

  private tooLargeReason(topic: string, bytes: number): string | null {
    const maxMessageBytes = this.limits.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (bytes > maxMessageBytes) return `a record batch of ${bytes} bytes exceeds the topic's max.message.bytes ${maxMessageBytes}`;
    if (bytes - HEADER_SIZE > maxRecordSize(this.o.maxRequestBytes)) return `a record of ${bytes} bytes exceeds max.request.size ${this.o.maxRequestBytes}`;
    return null;
  }

  /**
   * What a failed send means for the sink: when only records refused for their size failed, they
   * join `tooLarge` and the send succeeded (null); anything else is the error the take fails with,
   * in words the flow shows.
   */
  private async setAside(err: unknown, sent: ProducerRecord[], tooLarge: TooLarge[]): Promise<Error | null> {
    if (err instanceof KafkaProduceError) {
      const refused = err.failures.filter((f) => f.error instanceof KafkaClientError && TOO_LARGE.has(f.error.code));
      if (refused.length < err.failures.length) return err;
      // The topic's limit was lowered since it was learnt: learn it again, for the reason and the next takes.
      const topics = [...new Set(refused.map((f) => sent[f.index].topic))];
      for (const t of topics) this.limits.delete(t);
      await this.learnLimits(topics);
      for (const f of refused) {
        const r = sent[f.index];
        tooLarge.push({ record: r, reason: this.tooLargeReason(r.topic, HEADER_SIZE + recordSize(r)) ?? `the brokers refused a record of ${HEADER_SIZE + recordSize(r)} bytes as too large (${f.error.message})` });
      }
      return null;
    }
    if (err instanceof KafkaClientError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !/partition \S+-\d+/.test(err.message)) {
      return new Error(this.o.autoCreateTopics
        ? `${err.message}. The brokers did not create it (auto.create.topics.enable is off); create the topic or check the name`
        : `${err.message}. Create the topic, check the name, or turn on allowAutoTopicCreation`, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  /** Each topic's max.message.bytes; topics the cluster will not describe (not created yet, no access) keep Kafka's default. */
  private async learnLimits(topics: string[]): Promise<void> {
    // One topic per request: a topic the cluster will not describe must not hide the others' limits.
    await Promise.all([...new Set(topics)].map(async (name) => {
      try {
        const [d] = await this.client.admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name, keys: ["max.message.bytes"] }]);
        const value = Number(d.configs.find((c) => c.name === "max.message.bytes")?.value);
        this.limits.set(name, Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_MESSAGE_BYTES);
      } catch (err) {
        // Not created yet (the first send creates it) or not ours to describe: the default until a refusal says otherwise.
        log.debug({ err, topic: name }, "could not describe the topic's max.message.bytes; assuming Kafka's default");
        this.limits.set(name, DEFAULT_MAX_MESSAGE_BYTES);
      }
    }));
  }
}
