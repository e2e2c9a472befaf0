import { join } from "node:path";
import { z } from "zod";
import type { ProducerRecord } from "../../kafka/client";
import { partitionKey, splitPartition } from "../../kafka/partition-key";
import { logger } from "../../log";
import { type Sink, SinkCounters, defineComponent } from "../component";
import { type LocalKafka, kafkaClientSecurity, kafkaSecuritySchema } from "../kafka-security";
import type { FlumeEvent } from "../model";
import { DeadLetters } from "./dead-letters";
import { TopicProducer } from "./topic-producer";

const log = logger("agents.topic-sink");

export const topicSinkSchema = z.object({
  type: z.literal("topic"),
  channel: z.string(),
  bootstrapServers: z.string().min(1).describe("Comma-separated host:port list of the Tributary or Kafka brokers."),
  topic: z.string().min(1).describe("Topic to produce to, unless allowTopicOverride and the event has a topicHeader header."),
  allowTopicOverride: z.boolean().default(true).describe("Let the event's topicHeader header choose the topic, as in Flume's KafkaSink. Turn off behind a topic source that sets that header, or records go back to the topic they came from."),
  topicHeader: z.string().default("topic").describe("Header naming the topic when allowTopicOverride is on."),
  allowAutoTopicCreation: z.boolean().default(true).describe("Let the brokers create a topic that does not exist yet when they allow it (auto.create.topics.enable), as Flume's KafkaSink does. Off: a missing topic makes the sink back off until someone creates it."),
  acks: z.union([z.literal("all"), z.literal(-1), z.literal(0), z.literal(1)]).default("all").describe("all or -1 (all in-sync replicas), 1 (leader) or 0 (no acknowledgement; at-most-once)."),
  keyHeader: z.string().default("key").describe("Header whose value becomes the record key."),
  partitionHeader: z.string().optional().describe("Header holding the partition number to produce to."),
  batchSize: z.number().int().positive().default(100).describe("Events taken from the channel and produced in one transaction (Flume: kafka.flumeBatchSize)."),
  // Not the Java producer's 16 KiB: that size is for a producer that lingers to fill batches, while
  // a take is whole when it is sent, so small batches only cost requests (a 1,000-event take of
  // 200-byte events went from 194,000 to 220,000 events/s with 256 KiB in bench:agent).
  batchBytes: z.number().int().positive().default(262_144).describe("Most bytes in one record batch; a take is sent as as many batches as it needs (Flume: kafka.producer.batch.size). Keep it at or below the topic's max.message.bytes."),
  compression: z.enum(["none", "gzip", "snappy", "lz4", "zstd"]).default("none").describe("Codec of the record batches (Flume: kafka.producer.compression.type); sizes are checked before compression, so limits hold whatever it saves."),
  maxRequestBytes: z.number().int().min(1024).default(1_048_576).describe("Most bytes in one produce request, and so in one event (Flume: kafka.producer.max.request.size)."),
  deadLetterTopic: z.string().min(1).optional().describe("Topic for events too large for their topic (one with a larger max.message.bytes). Unset, or for what it refuses too: the dead-letter file."),
  dataDir: z.string().optional().describe("Directory of the dead-letter file (dead-letters.jsonl: one JSON line per event too large to send); defaults to the flow's data directory for this sink."),
  clientId: z.string().default("tributary-agent").describe("Client id sent to the brokers."),
  transactionalId: z.string().min(1).optional().describe("Exactly-once behind a topic source (Kafka: kafka.producer.transactional.id): each take is one Kafka transaction holding its records and the source group's offsets, so read_committed consumers see every input record once whatever crashes. Needs acks all, the topic source as the channel's only source, on the same brokers, and this sink as the channel's only sink. Use one id per flow: a second agent with the same id fences the first."),
  transactionTimeoutMs: z.number().int().positive().default(60_000).describe("How long a transaction may stay open before the brokers abort it (Kafka: kafka.producer.transaction.timeout.ms); at most their transaction.max.timeout.ms."),
  ...kafkaSecuritySchema.shape,
}).describe("Produces events to a topic over the Kafka protocol; the take commits only after the brokers acknowledged the batch. An event too large for its topic goes to a dead-letter topic or file instead of blocking the channel, counted in EventDeadLetterCount. With transactionalId, a topic → topic flow is exactly-once.");

export type TopicSinkConfig = z.infer<typeof topicSinkSchema>;

/** Flume's sink counters, the events that went to a dead-letter destination, and in exactly-once mode the copies dropped. */
export class TopicSinkCounters extends SinkCounters {
  EventDeadLetterCount = 0;
  /** Events whose source offset a committed transaction already holds: copies a crash left in the channel or the source read again. */
  EventDuplicateCount = 0;
}

/** The offset headers the topic source sets on every event (Flume's KafkaSource names). */
const PARTITION_HEADER = "partition";
const OFFSET_HEADER = "offset";

export class TopicSink implements Sink {
  readonly counters = new TopicSinkCounters();
  readonly batchSize: number;
  private readonly producer: TopicProducer;
  private readonly deadLetters: DeadLetters;

  /** Per source partition ("topic\u0000partition"), the next offset committed for the source's group; null until read (again) from the group. */
  private committed: Map<string, number> | null = null;

  constructor(name: string, private readonly config: TopicSinkConfig, local?: LocalKafka, private readonly source?: { groupId: string; topicHeader: string }) {
    if (config.transactionalId && !source) throw new Error(`topic sink ${name}: transactionalId (kafka.producer.transactional.id) needs a topic source putting into its channel`);
    if (!config.dataDir) throw new Error(`topic sink ${name}: set dataDir, the directory for its dead-letter file`);
    this.batchSize = config.batchSize;
    const bootstrap = config.bootstrapServers.split(",").map((s) => s.trim());
    this.producer = new TopicProducer({
      client: { bootstrap, clientId: config.clientId, ...kafkaClientSecurity(config, bootstrap, local) },
      acks: config.acks === "all" ? -1 : config.acks,
      autoCreateTopics: config.allowAutoTopicCreation,
      compression: config.compression,
      batchBytes: config.batchBytes,
      maxRequestBytes: config.maxRequestBytes,
      ...(config.transactionalId ? { transactionalId: config.transactionalId, transactionTimeoutMs: config.transactionTimeoutMs } : {}),
    });
    const dlqTopic = config.deadLetterTopic ? { name: config.deadLetterTopic, producer: this.producer } : null;
    this.deadLetters = new DeadLetters(name, join(config.dataDir, "dead-letters.jsonl"), dlqTopic, this.counters);
  }

  // Connections are made by the first batch, so brokers that are down show as a backing-off sink, not a failed start.
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await this.producer.close();
  }

  /** Produces the batch in requests within the limits; resolves after the leaders' acknowledgement (or the transaction's commit) and the dead letters' write. */
  async deliver(events: FlumeEvent[]): Promise<void> {
    if (this.source) return this.deliverInTransaction(events, this.source.groupId);
    await this.produce(events);
  }

  /**
   * One Kafka transaction for the take: the events no committed transaction holds yet, and the
   * source group's next offsets. The channel's take commits only after EndTxn(commit) answered;
   * should the agent die in between, the copies left in the channel are dropped on the next take.
   */
  private async deliverInTransaction(events: FlumeEvent[], groupId: string): Promise<void> {
    const txn = this.producer.transactions;
    await txn.beginTransaction();
    try {
      // After InitProducerId, which finished or aborted the last incarnation's transaction, the group's offsets are final.
      this.committed ??= await this.committedOffsets(groupId);
      const { fresh, next } = this.unseen(events, this.committed);
      this.counters.EventDuplicateCount += events.length - fresh.length;
      if (fresh.length > 0) await this.produce(fresh);
      if (next.size > 0) await txn.sendOffsetsToTransaction(groupId, [...next].map(([k, offset]) => ({ ...splitPartition(k), offset })));
      await txn.commitTransaction();
      for (const [k, offset] of next) this.committed.set(k, offset);
    } catch (err) {
      // Whether a failed commit applied is unknown: the group's offsets are read again before the next take.
      this.committed = null;
      await txn.abortTransaction().catch((e: unknown) => log.warn({ err: e }, "aborting the transaction failed; the next one aborts it through a new epoch"));
      throw err;
    }
  }

  private async committedOffsets(groupId: string): Promise<Map<string, number>> {
    await this.producer.transactions.initTransactions();
    const offsets = await this.producer.committedOffsets(groupId);
    return new Map(offsets.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
  }

  /** The events at or past their partition's next offset (the first copy of each), and the next offsets they take each partition to. */
  private unseen(events: FlumeEvent[], committed: Map<string, number>): { fresh: FlumeEvent[]; next: Map<string, number> } {
    const next = new Map<string, number>();
    const fresh = events.filter((e) => {
      const topic = e.headers[this.source!.topicHeader];
      const partition = Number(e.headers[PARTITION_HEADER]);
      const offset = Number(e.headers[OFFSET_HEADER]);
      if (topic === undefined || !Number.isInteger(partition) || !Number.isInteger(offset)) {
        throw new Error(`exactly-once needs the ${this.source!.topicHeader}, ${PARTITION_HEADER} and ${OFFSET_HEADER} headers the topic source sets; an interceptor removed or changed them`);
      }
      const k = partitionKey(topic, partition);
      if (offset < (next.get(k) ?? committed.get(k) ?? 0)) return false;
      next.set(k, offset + 1);
      return true;
    });
    return { fresh, next };
  }

  private async produce(events: FlumeEvent[]): Promise<void> {
    const { allowTopicOverride, topicHeader, keyHeader, partitionHeader } = this.config;
    const records: ProducerRecord[] = events.map((e) => {
      const key = e.headers[keyHeader];
      const ph = partitionHeader ? Number(e.headers[partitionHeader]) : NaN;
      return {
        topic: (allowTopicOverride ? e.headers[topicHeader] : undefined) ?? this.config.topic,
        key: key === undefined ? null : Buffer.from(key),
        value: e.body,
        headers: Object.entries(e.headers).map(([k, v]) => ({ key: k, value: Buffer.from(v) })),
        // A header that holds no partition number leaves the choice to the key, as Flume's KafkaSink does.
        ...(Number.isInteger(ph) ? { partition: ph } : {}),
      };
    });
    const tooLarge = await this.producer.send(records);
    if (tooLarge.length > 0) await this.deadLetters.put(tooLarge);
  }
}

export const topicSinkType = defineComponent({
  types: ["topic", "org.apache.flume.sink.kafka.KafkaSink"],
  schema: topicSinkSchema,
  create: (config, ctx) => new TopicSink(ctx.name, config, ctx.localKafka, config.transactionalId ? ctx.sourceOffsets : undefined),
});
