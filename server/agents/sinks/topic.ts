import { Kafka, type Producer, logLevel } from "kafkajs";
import { z } from "zod";
import { type Sink, SinkCounters } from "../component";
import type { FlumeEvent } from "../model";

export const topicSinkSchema = z.object({
  type: z.literal("topic"),
  channel: z.string(),
  bootstrapServers: z.string().min(1).describe("Comma-separated host:port list of the Tributary or Kafka brokers."),
  topic: z.string().min(1).describe("Topic to produce to, unless allowTopicOverride and the event has a topicHeader header."),
  allowTopicOverride: z.boolean().default(true).describe("Let the event's topicHeader header choose the topic, as in Flume's KafkaSink. Turn off behind a topic source that sets that header, or records go back to the topic they came from."),
  topicHeader: z.string().default("topic").describe("Header naming the topic when allowTopicOverride is on."),
  acks: z.union([z.literal("all"), z.literal(-1), z.literal(0), z.literal(1)]).default("all").describe("all or -1 (all in-sync replicas), 1 (leader) or 0 (no acknowledgement; at-most-once)."),
  keyHeader: z.string().default("key").describe("Header whose value becomes the record key."),
  partitionHeader: z.string().optional().describe("Header holding the partition number to produce to."),
  batchSize: z.number().int().positive().default(100).describe("Events taken and produced in one request (Flume: kafka.flumeBatchSize)."),
  clientId: z.string().default("tributary-agent").describe("Client id sent to the brokers."),
}).describe("Produces events to a topic over the Kafka protocol; the take commits only after the brokers acknowledged the batch.");

/** kafkajs's own retries per batch; beyond them the sink runner backs off and the batch is taken again. */
const SEND_RETRIES = 2;

export class TopicSink implements Sink {
  readonly counters = new SinkCounters();
  readonly batchSize: number;
  private producer: Producer | null = null;

  constructor(private readonly config: z.infer<typeof topicSinkSchema>) {
    this.batchSize = config.batchSize;
  }

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: this.config.clientId, brokers: this.config.bootstrapServers.split(",").map((s) => s.trim()), logLevel: logLevel.NOTHING, retry: { retries: SEND_RETRIES } });
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
  }

  /** One produce request per batch (grouped by topic); resolves after the brokers' acknowledgement. */
  async deliver(events: FlumeEvent[]): Promise<void> {
    const p = this.producer!;
    // kafkajs connects lazily here so a broker that is down shows as a backing-off sink, not a failed start.
    await p.connect();
    const byTopic = new Map<string, { key: string | null; value: Buffer; partition?: number; headers: Record<string, string> }[]>();
    for (const e of events) {
      const topic = (this.config.allowTopicOverride ? e.headers[this.config.topicHeader] : undefined) ?? this.config.topic;
      const ph = this.config.partitionHeader ? e.headers[this.config.partitionHeader] : undefined;
      const msg = { key: e.headers[this.config.keyHeader] ?? null, value: e.body, headers: e.headers, ...(ph !== undefined ? { partition: Number(ph) } : {}) };
      (byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!).push(msg);
    }
    await p.sendBatch({ acks: this.config.acks === "all" ? -1 : this.config.acks, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }
}
