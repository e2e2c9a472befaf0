import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { logger } from "../../log";
import type { ProducerRecord } from "../../kafka/client";
import type { TopicProducer, TooLarge } from "./topic-producer";

const log = logger("agents.dead-letters");

/** Headers a dead letter carries on a dead-letter topic, as Kafka Connect's errors.deadletterqueue headers do. */
export const DEAD_LETTER_TOPIC_HEADER = "deadletter.topic";
export const DEAD_LETTER_REASON_HEADER = "deadletter.reason";

/** One line of the dead-letter file: the event as it was taken from the channel, and why it was not delivered. */
export interface DeadLetterLine {
  time: string;
  topic: string;
  reason: string;
  key: string | null;
  headers: Record<string, string>;
  /** The body, base64: events too large to send are rarely text one can trust. */
  body: string;
}

/**
 * Where a topic sink puts events it can never deliver (too large for their topic), so they do not
 * block the channel: a dead-letter topic if one is set, else — and for whatever that topic refuses
 * too — a JSON-lines file. Appended and fsynced before the sink's take commits, so nothing is lost.
 */
export class DeadLetters {
  private warned = false;

  constructor(
    private readonly sink: string,
    private readonly file: string,
    private readonly topic: { name: string; producer: TopicProducer } | null,
    /** The sink's Flume-style counter of events sent to a dead-letter destination. */
    private readonly counters: { EventDeadLetterCount: number },
  ) {}

  async put(letters: TooLarge[]): Promise<void> {
    const toFile = this.topic ? await this.toTopic(letters, this.topic) : letters;
    if (toFile.length > 0) await this.toFile(toFile);
    this.counters.EventDeadLetterCount += letters.length;
    // Said once per sink: a stream of oversized events must not become a stream of log lines.
    const first = letters[0];
    if (!this.warned) {
      this.warned = true;
      const where = toFile.length > 0 ? `dead-letter file ${this.file}` : `dead-letter topic ${this.topic!.name}`;
      log.warn({ sink: this.sink, topic: first.record.topic, reason: first.reason, destination: where }, `an event too large for its topic went to the ${where}; further ones are counted in EventDeadLetterCount without another log line`);
    }
  }

  /** Produces the letters to the dead-letter topic; returns those it refuses too, saying so in their reason. */
  private async toTopic(letters: TooLarge[], dlq: { name: string; producer: TopicProducer }): Promise<TooLarge[]> {
    const records: ProducerRecord[] = letters.map((l) => ({
      topic: dlq.name,
      key: l.record.key,
      value: l.record.value,
      headers: [...(l.record.headers ?? []), { key: DEAD_LETTER_TOPIC_HEADER, value: Buffer.from(l.record.topic) }, { key: DEAD_LETTER_REASON_HEADER, value: Buffer.from(l.reason) }],
    }));
    const refused = await dlq.producer.send(records);
    return refused.map((r) => {
      const l = letters[records.indexOf(r.record)];
      return { ...l, reason: `${l.reason}; the dead-letter topic ${dlq.name} refused it too (${r.reason})` };
    });
  }

  private async toFile(letters: TooLarge[]): Promise<void> {
    const time = new Date().toISOString();
    const text = letters.map((l) => {
      const line: DeadLetterLine = {
        time,
        topic: l.record.topic,
        reason: l.reason,
        key: l.record.key?.toString("utf8") ?? null,
        headers: Object.fromEntries((l.record.headers ?? []).map((h) => [h.key, h.value?.toString("utf8") ?? ""])),
        body: l.record.value?.toString("base64") ?? "",
      };
      return `${JSON.stringify(line)}\n`;
    }).join("");
    await mkdir(dirname(this.file), { recursive: true });
    const fh = await open(this.file, "a");
    try {
      await fh.writeFile(text);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
}
