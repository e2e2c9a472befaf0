import { type Socket, connect } from "node:net";
import { Reader, Writer } from "../../kafka/codec";
import { ErrorCode, errorName } from "../../kafka/errors";
import { APIS, ApiKey } from "../../kafka/messages";
import { decodeStruct, encodeStruct } from "../../kafka/schema";
import { murmur2 } from "../../kafka/client/partitioner";
import { encodeRecordBatch } from "../../kafka/records/batch";
import { logger } from "../../log";
import { type PartitionBatch, type ProducerRecord, REQUEST_OVERHEAD, planRequests, singleRecordBatchBytes, splitIntoBatches } from "./produce-batches";

const log = logger("agents.kafka-producer");

/**
 * The produce path of the topic sink: Metadata, DescribeConfigs and Produce over the Kafka
 * protocol, with record batches built by the broker's own encoder (about 8× less CPU per record
 * than kafkajs's, which bounded the sink). Non-flexible versions that every Kafka since 2.1,
 * Kafka 4 and Tributary accept.
 */
const PRODUCE_VERSION = 7;
const METADATA_VERSION = 8;
const DESCRIBE_CONFIGS_VERSION = 1;
const RESOURCE_TOPIC = 2;
const CONNECT_TIMEOUT_MS = 10_000;
/** Beyond the produce timeout the broker honours itself, how long an answer may take to arrive. */
const REQUEST_GRACE_MS = 5000;
/** Produce requests outstanding per broker connection (the Java producer's max.in.flight.requests.per.connection). */
const MAX_IN_FLIGHT = 5;
/** Kafka's default max.message.bytes, assumed when a cluster will not describe a topic's configs. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Kafka error codes after which the partition leaders are looked up again. */
const STALE_METADATA = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  9, // REPLICA_NOT_AVAILABLE
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);
/** A batch the broker refused for its size: the topic's limit is learned again and the batch cut smaller. */
const TOO_LARGE = new Set<number>([ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE]);

export class KafkaProduceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KafkaProduceError";
  }
}

/** One connection to one broker: requests are pipelined and matched to responses by correlation id. */
class BrokerConnection {
  private socket: Socket | null = null;
  private readonly pending = new Map<number, { version: number; apiKey: number; resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  broken: Error | null = null;

  constructor(readonly host: string, readonly port: number, private readonly clientId: string, private readonly requestTimeoutMs: number) {}

  async connect(): Promise<void> {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    socket.on("data", (d: Buffer) => this.receive(d));
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error(`connection to ${this.host}:${this.port} closed`)));
    this.socket = socket;
  }

  request(apiKey: number, version: number, body: Record<string, unknown>, expectResponse = true): Promise<Record<string, unknown>> {
    if (this.broken || !this.socket) return Promise.reject(this.broken ?? new Error("not connected"));
    const id = this.nextId++ & 0x7fffffff;
    const w = new Writer(512);
    w.int16(apiKey);
    w.int16(version);
    w.int32(id);
    const cid = Buffer.from(this.clientId);
    w.int16(cid.length);
    w.bytes(cid);
    encodeStruct(w, APIS.get(apiKey)!.request.fields, body, version, false);
    const frame = w.frame();
    this.socket.cork();
    for (const chunk of frame) this.socket.write(chunk);
    this.socket.uncork();
    if (!expectResponse) return Promise.resolve({});
    return new Promise((resolve, reject) => {
      // A broker that stops answering without closing the connection must not hold the sink forever.
      const timer = setTimeout(() => this.fail(new Error(`no answer from ${this.host}:${this.port} within ${this.requestTimeoutMs} ms`)), this.requestTimeoutMs);
      const settle = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { version, apiKey, resolve: settle(resolve), reject: settle(reject) });
    });
  }

  private receive(d: Buffer): void {
    this.inbox.push(d);
    this.inboxBytes += d.length;
    for (;;) {
      if (this.inboxBytes < 4) return;
      let buf = this.inbox.length === 1 ? this.inbox[0] : Buffer.concat(this.inbox);
      const size = buf.readInt32BE(0);
      if (buf.length < 4 + size) {
        this.inbox = [buf];
        return;
      }
      const frame = buf.subarray(4, 4 + size);
      buf = buf.subarray(4 + size);
      this.inbox = buf.length > 0 ? [buf] : [];
      this.inboxBytes = buf.length;
      const r = new Reader(frame);
      const id = r.int32();
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      try {
        p.resolve(decodeStruct(r, APIS.get(p.apiKey)!.response.fields, p.version, false));
      } catch (e) {
        p.reject(e as Error);
      }
    }
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.socket?.destroy();
  }

  close(): void {
    this.broken ??= new Error("closed");
    this.socket?.destroy();
  }
}

// The one murmur2 lives with the Kafka client; re-exported while the sink still has its own producer.
export { murmur2 };


export interface ProducerOptions {
  bootstrap: string[];
  clientId: string;
  acks: -1 | 0 | 1;
  timeoutMs: number;
  /** Ask the brokers to create a topic they do not know (Metadata allowAutoTopicCreation), as the Java producer does. */
  allowAutoTopicCreation: boolean;
  /** batch.size: most bytes in one record batch. */
  batchBytes: number;
  /** max.request.size: most bytes in one produce request, and so in one record. */
  maxRequestBytes: number;
}

/** A record that cannot be sent to its topic at any batch size; it was not sent. */
export interface TooLarge {
  topic: string;
  record: ProducerRecord;
  reason: string;
}

interface TopicInfo {
  leaders: number[];
  /** The topic's max.message.bytes, lowered below a batch the brokers refused as too large. */
  maxMessageBytes: number;
}

interface PartitionRecords {
  topic: string;
  partition: number;
  records: ProducerRecord[];
}

export class KafkaProducer {
  private readonly brokers = new Map<number, { host: string; port: number }>();
  private readonly connections = new Map<string, BrokerConnection>();
  private readonly topics = new Map<string, TopicInfo>();
  private roundRobin = 0;

  constructor(private readonly opts: ProducerOptions) {}

  /**
   * Produces every record, cut into batches and requests within the limits; resolves once the
   * leaders acknowledged them (per acks) with the records too large for their topic, which were not
   * sent. Any other refusal rejects, and the caller sends the whole set again.
   */
  async send(byTopic: Map<string, ProducerRecord[]>): Promise<TooLarge[]> {
    const unknown = [...byTopic.keys()].filter((t) => !this.topics.has(t));
    if (unknown.length > 0) await this.refresh(unknown);
    const tooLarge: TooLarge[] = [];
    try {
      // Each round sends what the previous one had refused as too large, under a lower limit, so rounds end.
      for (let parts = this.assign(byTopic); parts.length > 0;) parts = await this.sendRound(parts, tooLarge);
    } catch (e) {
      // A broker that went away may have handed its partitions to another: ask again next time.
      if (!(e instanceof KafkaProduceError)) this.topics.clear();
      throw e;
    }
    return tooLarge;
  }

  /** Groups records by partition: the header's partition, the key's murmur2 hash, or one partition per send for unkeyed records (sticky). */
  private assign(byTopic: Map<string, ProducerRecord[]>): PartitionRecords[] {
    const parts = new Map<string, PartitionRecords>();
    const sticky = this.roundRobin++;
    for (const [topic, records] of byTopic) {
      const { leaders } = this.topics.get(topic)!;
      for (const r of records) {
        const p = r.partition ?? (r.key ? (murmur2(r.key) & 0x7fffffff) % leaders.length : sticky % leaders.length);
        if (leaders[p] === undefined) throw new KafkaProduceError(`topic ${topic} has no partition ${p} (it has ${leaders.length})`);
        const id = `${p}:${topic}`;
        let part = parts.get(id);
        if (!part) parts.set(id, (part = { topic, partition: p, records: [] }));
        part.records.push(r);
      }
    }
    return [...parts.values()];
  }

  /** One pass over the partitions; returns the records of batches the brokers refused as too large, to be cut again. */
  private async sendRound(parts: PartitionRecords[], tooLarge: TooLarge[]): Promise<PartitionRecords[]> {
    const byLeader = new Map<number, PartitionBatch[][]>();
    for (const p of parts) {
      const info = this.topics.get(p.topic)!;
      const maxBatchBytes = Math.min(info.maxMessageBytes, this.opts.maxRequestBytes - REQUEST_OVERHEAD - Buffer.byteLength(this.opts.clientId));
      const { batches, tooLarge: big } = splitIntoBatches(p.topic, p.partition, p.records, { batchBytes: this.opts.batchBytes, maxBatchBytes });
      for (const record of big) tooLarge.push({ topic: p.topic, record, reason: tooLargeReason(singleRecordBatchBytes(record), info.maxMessageBytes, this.opts.maxRequestBytes) });
      const leader = info.leaders[p.partition];
      if (batches.length > 0) (byLeader.get(leader) ?? byLeader.set(leader, []).get(leader)!).push(batches);
    }
    const clientIdBytes = Buffer.byteLength(this.opts.clientId);
    const refused = new Set((await Promise.all([...byLeader].map(([leader, queues]) => this.produceTo(leader, planRequests(queues, this.opts.maxRequestBytes, clientIdBytes))))).flat());
    if (refused.size === 0) return [];
    await this.relearnLimits([...refused]);
    // A partition's refused batches go again as one run, in their order.
    return [...byLeader.values()].flat()
      .map((queue) => queue.filter((b) => refused.has(b)))
      .filter((q) => q.length > 0)
      .map((q) => ({ topic: q[0].topic, partition: q[0].partition, records: q.flatMap((b) => b.records) }));
  }

  /** After MESSAGE_TOO_LARGE: the topic's limit is described again and held below the refused batch, so the next cut is smaller. */
  private async relearnLimits(refused: PartitionBatch[]): Promise<void> {
    const topics = [...new Set(refused.map((b) => b.topic))];
    const described = await this.describeLimits(topics);
    for (const b of refused) {
      const info = this.topics.get(b.topic)!;
      info.maxMessageBytes = Math.min(described.get(b.topic) ?? info.maxMessageBytes, b.bytes - 1);
    }
    log.info({ topics: topics.map((t) => ({ topic: t, maxMessageBytes: this.topics.get(t)!.maxMessageBytes })) }, "the brokers refused record batches as too large; sending them again in smaller batches");
  }

  private async connection(host: string, port: number): Promise<BrokerConnection> {
    const key = `${host}:${port}`;
    let c = this.connections.get(key);
    if (c && !c.broken) return c;
    c = new BrokerConnection(host, port, this.opts.clientId, this.opts.timeoutMs + REQUEST_GRACE_MS);
    this.connections.set(key, c);
    try {
      await c.connect();
    } catch (e) {
      this.connections.delete(key);
      throw e;
    }
    return c;
  }

  /** Runs a request on the first reachable bootstrap (or known) broker. */
  private async anyBroker(apiKey: number, version: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const candidates = [...this.opts.bootstrap.map((b) => {
      const i = b.lastIndexOf(":");
      return { host: b.slice(0, i), port: Number(b.slice(i + 1)) };
    }), ...this.brokers.values()];
    let last: unknown;
    for (const { host, port } of candidates) {
      try {
        return await (await this.connection(host, port)).request(apiKey, version, body);
      } catch (e) {
        last = e;
      }
    }
    throw new KafkaProduceError(`cannot reach any broker of ${this.opts.bootstrap.join(",")} (${(last as Error)?.message ?? "no brokers"})`);
  }

  /** Looks up the topics' partition leaders (letting the brokers create missing topics if allowed) and their max.message.bytes. */
  private async refresh(topics: string[]): Promise<void> {
    const res = await this.anyBroker(ApiKey.Metadata, METADATA_VERSION, { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: this.opts.allowAutoTopicCreation, includeTopicAuthorizedOperations: false });
    for (const b of res.brokers as { nodeId: number; host: string; port: number }[]) this.brokers.set(b.nodeId, { host: b.host, port: b.port });
    const found = new Map<string, number[]>();
    for (const t of res.topics as { errorCode: number; name: string; partitions: { partitionIndex: number; leaderId: number }[] }[]) {
      if (t.errorCode !== 0) throw new KafkaProduceError(this.metadataProblem(t.name, t.errorCode));
      const leaders: number[] = [];
      for (const p of t.partitions) leaders[p.partitionIndex] = p.leaderId;
      found.set(t.name, leaders);
    }
    const limits = await this.describeLimits([...found.keys()]);
    for (const [name, leaders] of found) this.topics.set(name, { leaders, maxMessageBytes: limits.get(name) ?? DEFAULT_MAX_MESSAGE_BYTES });
  }

  private metadataProblem(topic: string, code: number): string {
    if (code === ErrorCode.LEADER_NOT_AVAILABLE) return `topic ${topic}: LEADER_NOT_AVAILABLE (a topic the brokers have just created has no leader yet); retrying`;
    if (code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return `topic ${topic}: ${errorName(code)}`;
    return this.opts.allowAutoTopicCreation
      ? `topic ${topic}: UNKNOWN_TOPIC_OR_PARTITION and the brokers did not create it (auto.create.topics.enable is off); create the topic or check the name`
      : `topic ${topic}: UNKNOWN_TOPIC_OR_PARTITION; create the topic, check the name, or turn on allowAutoTopicCreation`;
  }

  /** Each topic's max.message.bytes; topics the cluster will not describe are missing from the answer (the default applies). */
  private async describeLimits(topics: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (topics.length === 0) return out;
    try {
      const res = await this.anyBroker(ApiKey.DescribeConfigs, DESCRIBE_CONFIGS_VERSION, {
        resources: topics.map((name) => ({ resourceType: RESOURCE_TOPIC, resourceName: name, configurationKeys: ["max.message.bytes"] })),
        includeSynonyms: false,
      });
      for (const r of res.results as { errorCode: number; resourceName: string; configs: { name: string; value: string | null }[] }[]) {
        const value = Number(r.configs.find((c) => c.name === "max.message.bytes")?.value);
        if (r.errorCode === 0 && Number.isInteger(value) && value > 0) out.set(r.resourceName, value);
      }
    } catch (e) {
      log.debug({ err: e, topics }, "could not describe the topics' max.message.bytes; assuming Kafka's default");
    }
    return out;
  }

  /**
   * Sends one broker's requests in order, MAX_IN_FLIGHT at a time on its connection (which keeps
   * their order, and so each partition's). Returns the batches refused as too large; any other
   * refusal rejects once every request has been answered.
   */
  private async produceTo(leader: number, requests: PartitionBatch[][]): Promise<PartitionBatch[]> {
    const b = this.brokers.get(leader);
    if (!b) {
      for (const r of requests) for (const batch of r) this.topics.delete(batch.topic);
      throw new KafkaProduceError(`partition leader ${leader} is not a known broker; retrying after a metadata refresh`);
    }
    const c = await this.connection(b.host, b.port);
    const refused: PartitionBatch[] = [];
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++];
        for (const p of await this.produce(c, request)) {
          const batch = request.find((x) => x.topic === p.topic && x.partition === p.index)!;
          if (TOO_LARGE.has(p.errorCode)) refused.push(batch);
          else {
            if (STALE_METADATA.has(p.errorCode)) this.topics.delete(p.topic);
            errors.push(`${p.topic}-${p.index}: ${errorName(p.errorCode)}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, requests.length) }, worker));
    if (errors.length > 0) throw new KafkaProduceError(`the broker refused records (${errors.join(", ")}); the batch stays in the channel and is sent again`);
    return refused;
  }

  /** One produce request; resolves with the partitions it refused (none with acks=0, which has no answer). */
  private async produce(c: BrokerConnection, request: PartitionBatch[]): Promise<{ topic: string; index: number; errorCode: number }[]> {
    const byTopic = new Map<string, { index: number; records: Buffer }[]>();
    for (const b of request) (byTopic.get(b.topic) ?? byTopic.set(b.topic, []).get(b.topic)!).push({ index: b.partition, records: encodeRecordBatch(b.records) });
    const topicData = [...byTopic].map(([name, partitionData]) => ({ name, partitionData }));
    const res = await c.request(ApiKey.Produce, PRODUCE_VERSION, { transactionalId: null, acks: this.opts.acks, timeoutMs: this.opts.timeoutMs, topicData }, this.opts.acks !== 0);
    if (this.opts.acks === 0) return [];
    const failed: { topic: string; index: number; errorCode: number }[] = [];
    for (const t of res.responses as { name: string; partitionResponses: { index: number; errorCode: number }[] }[]) {
      for (const p of t.partitionResponses) if (p.errorCode !== 0) failed.push({ topic: t.name, index: p.index, errorCode: p.errorCode });
    }
    return failed;
  }

  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}

function tooLargeReason(bytes: number, maxMessageBytes: number, maxRequestBytes: number): string {
  return bytes > maxMessageBytes
    ? `a record batch of ${bytes} bytes exceeds the topic's max.message.bytes ${maxMessageBytes}`
    : `a record of ${bytes} bytes exceeds max.request.size ${maxRequestBytes}`;
}
