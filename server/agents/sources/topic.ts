import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { type ConsumedBatch, type Consumer, KafkaClient } from "../../kafka/client";
import { IsolationLevel } from "../../kafka/constants";
import type { Record as KafkaRecord } from "../../kafka/records/batch";
import { logger } from "../../log";
import { type BatchSink, type Source, SourceCounters, defineComponent } from "../component";
import { type LocalKafka, kafkaClientSecurity, kafkaSecuritySchema } from "../kafka-security";
import type { FlumeEvent } from "../model";
import { putWithBackoff } from "./put-with-backoff";

const log = logger("agents.topic-source");

export const topicSourceSchema = z.object({
  type: z.literal("topic"),
  channels: z.array(z.string()).min(1),
  bootstrapServers: z.string().min(1).describe("Comma-separated host:port list of the Tributary or Kafka brokers."),
  topics: z.array(z.string().min(1)).min(1).describe("Topics to consume (Flume: kafka.topics, comma-separated)."),
  groupId: z.string().min(1).default("flume").describe("Consumer group; its committed offsets say where a restart resumes (Flume: kafka.consumer.group.id)."),
  assignmentStrategy: z.array(z.enum(["cooperative-sticky", "range"])).min(1).default(["cooperative-sticky", "range"]).describe("Partition assignors in order of preference; the group uses the first every member offers (Flume: kafka.consumer.partition.assignment.strategy, Kafka's class names or these). cooperative-sticky keeps consuming the partitions a member keeps during a rebalance."),
  batchSize: z.number().int().positive().default(1000).describe("Most records put into the channels in one transaction."),
  sessionTimeoutMs: z.number().int().min(1000).default(45_000).describe("How long the group waits for a member that stopped heartbeating, a killed agent included, before giving its partitions to others (Flume: kafka.consumer.session.timeout.ms); a restarted agent may wait that long to rejoin."),
  fromBeginning: z.boolean().default(true).describe("With no committed offset, start at the earliest record (Flume: kafka.consumer.auto.offset.reset = earliest)."),
  setTopicHeader: z.boolean().default(true).describe("Put the record's topic in the topicHeader header."),
  topicHeader: z.string().default("topic").describe("Header for the topic when setTopicHeader is on."),
  clientId: z.string().default("tributary-agent").describe("Client id sent to the brokers."),
  ...kafkaSecuritySchema.shape,
}).describe("Consumes topics in a consumer group over the Kafka protocol. Record headers become event headers, with key, partition, offset and timestamp added as Flume's KafkaSource does; offsets are committed only after the channel commit, so a crash re-reads rather than loses. Behind a topic sink with transactionalId, that sink commits them in its transactions instead (exactly-once). Reads only committed records of transactional producers (read_committed).");

type TopicSourceConfig = z.infer<typeof topicSourceSchema>;

/** Longest wait between attempts to reach the brokers or rejoin after the group refused this member. */
const MAX_JOIN_BACKOFF_MS = 10_000;

export class TopicSource implements Source {
  readonly counters = new SourceCounters();
  private readonly client: KafkaClient;
  private consumer: Consumer | null = null;
  private running: Promise<void> | null = null;
  private readonly stopped = new AbortController();
  lastError: string | null = null;

  constructor(private readonly config: TopicSourceConfig, private readonly put: BatchSink, local?: LocalKafka, private readonly offsetsCommittedBySink = false) {
    const bootstrap = config.bootstrapServers.split(",").map((s) => s.trim());
    this.client = new KafkaClient({ bootstrap, clientId: config.clientId, ...kafkaClientSecurity(config, bootstrap, local) });
  }

  /**
   * Consumes in the background: brokers that are down or refuse this client make the source back
   * off with the reason (retrying every few seconds) instead of failing the flow.
   */
  start(): Promise<void> {
    this.running = this.run();
    return Promise.resolve();
  }

  private async run(): Promise<void> {
    const c = this.config;
    let wait = 500;
    while (!this.stopped.signal.aborted) {
      try {
        // Asked first so that unreachable brokers or a refused login show, not a join that waits forever.
        await this.client.cluster.refreshMetadata(c.topics);
        const consumer = (this.consumer = this.client.consumer({
          groupId: c.groupId, topics: c.topics, assignors: c.assignmentStrategy, autoOffsetReset: c.fromBeginning ? "earliest" : "latest",
          sessionTimeoutMs: c.sessionTimeoutMs, heartbeatIntervalMs: Math.min(3000, Math.floor(c.sessionTimeoutMs / 3)), isolationLevel: IsolationLevel.READ_COMMITTED,
        }));
        for (;;) {
          if (this.stopped.signal.aborted) return;
          const batches = await consumer.poll();
          this.lastError = null;
          wait = 500;
          for (const b of batches) await this.deliver(consumer, b);
        }
      } catch (e) {
        if (this.stopped.signal.aborted) return;
        this.lastError = `cannot join group ${c.groupId} at ${c.bootstrapServers}: ${(e as Error).message}; retrying`;
        log.warn({ err: e, groupId: c.groupId }, "topic source cannot consume; retrying");
        await this.closeConsumer();
        await delay(wait, undefined, { signal: this.stopped.signal }).catch(() => undefined);
        wait = Math.min(MAX_JOIN_BACKOFF_MS, wait * 2);
      }
    }
  }

  /** Puts one partition's records in chunks of batchSize, committing each chunk's offset only after its channel commit (unless the sink commits them). */
  private async deliver(consumer: Consumer, b: ConsumedBatch): Promise<void> {
    const owned = () => !this.stopped.signal.aborted && consumer.assignment().some((p) => p.topic === b.topic && p.partition === b.partition);
    for (let i = 0; i < b.records.length; i += this.config.batchSize) {
      const chunk = b.records.slice(i, i + this.config.batchSize);
      const events = chunk.map((r) => this.toEvent(b.topic, b.partition, r));
      // Back-pressure: stay on this chunk (the consumer keeps heartbeating) until the channel takes it, or the partition moves to another member.
      if (!(await putWithBackoff(this.put, events, this.counters, owned))) return;
      if (this.offsetsCommittedBySink) continue;
      const last = i + this.config.batchSize >= b.records.length;
      const offset = last ? b.nextOffset : chunk[chunk.length - 1].offset + 1;
      await consumer.commit([{ topic: b.topic, partition: b.partition, offset }]).catch((err: unknown) => {
        // A rebalance began: the partition's next owner re-reads from the last commit (at-least-once).
        log.info({ err, topic: b.topic, partition: b.partition }, "offset commit refused; the records may be read again");
      });
    }
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.closeConsumer();
    await this.running;
    await this.client.close();
  }

  private async closeConsumer(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.close().catch((err: unknown) => log.debug({ err }, "closing the consumer"));
  }

  private toEvent(topic: string, partition: number, r: KafkaRecord): FlumeEvent {
    const headers: Record<string, string> = {};
    for (const h of r.headers) headers[h.key] = h.value?.toString("utf8") ?? "";
    if (this.config.setTopicHeader) headers[this.config.topicHeader] = topic;
    headers.partition = String(partition);
    headers.offset = String(r.offset);
    headers.timestamp = String(r.timestamp);
    if (r.key) headers.key = r.key.toString("utf8");
    return { headers, body: r.value ?? Buffer.alloc(0) };
  }
}

export const topicSourceType = defineComponent({
  types: ["topic", "org.apache.flume.source.kafka.KafkaSource"],
  schema: topicSourceSchema,
  create: (config, ctx) => new TopicSource(config, ctx.put, ctx.localKafka, ctx.offsetsCommittedBySink),
});
