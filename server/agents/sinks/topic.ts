import { z } from "zod";
import { type Sink, SinkCounters } from "../component";
import type { FlumeEvent } from "../model";
import { KafkaProducer, type ProducerRecord } from "./kafka-producer";

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

/** How long the leaders may take to acknowledge a batch (Kafka's request timeout for acks). */
const PRODUCE_TIMEOUT_MS = 30_000;

export class TopicSink implements Sink {
  readonly counters = new SinkCounters();
  readonly batchSize: number;
  private readonly producer: KafkaProducer;

  constructor(private readonly config: z.infer<typeof topicSinkSchema>) {
    this.batchSize = config.batchSize;
    const acks = config.acks === "all" ? -1 : config.acks;
    this.producer = new KafkaProducer({ bootstrap: config.bootstrapServers.split(",").map((s) => s.trim()), clientId: config.clientId, acks, timeoutMs: PRODUCE_TIMEOUT_MS });
  }

  // Connections are made by the first batch, so brokers that are down show as a backing-off sink, not a failed start.
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.producer.close();
  }

  /** One produce request per leader per batch; resolves after the leaders' acknowledgement. */
  async deliver(events: FlumeEvent[]): Promise<void> {
    const byTopic = new Map<string, ProducerRecord[]>();
    const { allowTopicOverride, topicHeader, keyHeader, partitionHeader } = this.config;
    for (const e of events) {
      const topic = (allowTopicOverride ? e.headers[topicHeader] : undefined) ?? this.config.topic;
      const key = e.headers[keyHeader];
      const ph = partitionHeader ? e.headers[partitionHeader] : undefined;
      const headers = Object.entries(e.headers).map(([k, v]) => ({ key: k, value: Buffer.from(v) }));
      const rec: ProducerRecord = { key: key === undefined ? null : Buffer.from(key), value: e.body, headers, ...(ph !== undefined ? { partition: Number(ph) } : {}) };
      (byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!).push(rec);
    }
    await this.producer.send(byTopic);
  }
}
