import { setTimeout as delay } from "node:timers/promises";
import { type Consumer, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { z } from "zod";
import { logger } from "../../log";
import { type BatchSink, type Source, SourceCounters } from "../component";
import type { FlumeEvent } from "../model";

const log = logger("agents.topic-source");

export const topicSourceSchema = z.object({
  type: z.literal("topic"),
  channels: z.array(z.string()).min(1),
  bootstrapServers: z.string().min(1).describe("Comma-separated host:port list of the Tributary or Kafka brokers."),
  topics: z.array(z.string().min(1)).min(1).describe("Topics to consume (Flume: kafka.topics, comma-separated)."),
  groupId: z.string().min(1).default("flume").describe("Consumer group; its committed offsets say where a restart resumes (Flume: kafka.consumer.group.id)."),
  batchSize: z.number().int().positive().default(1000).describe("Most records put into the channels in one transaction."),
  fromBeginning: z.boolean().default(true).describe("With no committed offset, start at the earliest record (Flume: kafka.consumer.auto.offset.reset = earliest)."),
  setTopicHeader: z.boolean().default(true).describe("Put the record's topic in the topicHeader header."),
  topicHeader: z.string().default("topic").describe("Header for the topic when setTopicHeader is on."),
  clientId: z.string().default("tributary-agent").describe("Client id sent to the brokers."),
}).describe("Consumes topics in a consumer group over the Kafka protocol. Record headers become event headers, with key, partition, offset and timestamp added as Flume's KafkaSource does; offsets are committed only after the channel commit, so a crash re-reads rather than loses.");

/** Longest wait between attempts to join the group while the brokers are unreachable. */
const MAX_JOIN_BACKOFF_MS = 10_000;

/** Wait after a refused batch before offering it again; the partition is not fetched further meanwhile. */
const RETRY_MS = 50;

export class TopicSource implements Source {
  readonly counters = new SourceCounters();
  private consumer: Consumer | null = null;
  private stopping = false;
  private joining: Promise<void> | null = null;
  private readonly stopped = new AbortController();
  lastError: string | null = null;

  constructor(private readonly config: z.infer<typeof topicSourceSchema>, private readonly put: BatchSink) {}

  /**
   * Joins the group in the background: brokers that are down make the source back off with the
   * reason (retrying every few seconds) instead of failing the flow.
   */
  async start(): Promise<void> {
    this.joining = this.joinLoop();
  }

  private async joinLoop(): Promise<void> {
    let wait = 500;
    while (!this.stopping) {
      try {
        await this.join();
        return;
      } catch (e) {
        this.lastError = `cannot join group ${this.config.groupId} at ${this.config.bootstrapServers}: ${(e as Error).message}; retrying`;
        log.warn({ err: e, groupId: this.config.groupId }, "topic source cannot reach the brokers; retrying");
        await this.consumer?.disconnect().catch((d: unknown) => log.debug({ err: d }, "disconnect after a failed join"));
        await delay(wait, undefined, { signal: this.stopped.signal }).catch((a: unknown) => {
          if ((a as Error).name !== "AbortError") throw a;
        });
        wait = Math.min(MAX_JOIN_BACKOFF_MS, wait * 2);
      }
    }
  }

  private async join(): Promise<void> {
    const c = this.config;
    const kafka = new Kafka({ clientId: c.clientId, brokers: c.bootstrapServers.split(",").map((s) => s.trim()), logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    this.consumer = kafka.consumer({ groupId: c.groupId });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.lastError = `consumer of group ${c.groupId} crashed: ${e.payload.error.message}`;
      log.error({ err: e.payload.error, groupId: c.groupId }, "consumer crashed; kafkajs restarts it");
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.lastError = null));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: c.topics, fromBeginning: c.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const msgs = batch.messages;
        for (let i = 0; i < msgs.length && isRunning() && !isStale(); i += c.batchSize) {
          const chunk = msgs.slice(i, i + c.batchSize);
          const events = chunk.map((m) => this.toEvent(batch.topic, batch.partition, m));
          this.counters.EventReceivedCount += events.length;
          this.counters.AppendBatchReceivedCount++;
          for (;;) {
            try {
              await this.put(events);
              break;
            } catch (e) {
              this.counters.ChannelWriteFail++;
              // Back-pressure: stay on this batch (heartbeating so the group keeps the partition) until the channel takes it.
              if (this.stopping || !isRunning() || isStale()) return;
              log.debug({ err: e }, "topic batch refused; retrying");
              await heartbeat();
              await new Promise((r) => setTimeout(r, RETRY_MS));
            }
          }
          this.counters.EventAcceptedCount += events.length;
          this.counters.AppendBatchAcceptedCount++;
          resolveOffset(chunk[chunk.length - 1].offset);
          // Only now, after the channel commit, may the group's offset move past these records.
          await this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(BigInt(chunk[chunk.length - 1].offset) + 1n) }]);
          await heartbeat();
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.joining;
    await this.consumer?.disconnect();
  }

  private toEvent(topic: string, partition: number, m: KafkaMessage): FlumeEvent {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(",") : String(v);
    }
    if (this.config.setTopicHeader) headers[this.config.topicHeader] = topic;
    headers.partition = String(partition);
    headers.offset = m.offset;
    headers.timestamp = m.timestamp;
    if (m.key) headers.key = m.key.toString("utf8");
    return { headers, body: m.value ?? Buffer.alloc(0) };
  }
}
