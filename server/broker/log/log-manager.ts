import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { logger } from "../../log";
import { fsyncDirAsync, writeFileAtomic, writeFileAtomicAsync } from "./atomic";
import { forEachBounded } from "./bounded";
import { LogCleaner } from "./cleaner";
import { effectiveConfigs, logSettings, TOPIC_CONFIGS, validateConfigs, validateTopicName, type LogSettings, type TopicConfigs } from "./configs";
import { DEFAULT_MAX_OPEN_SEGMENTS, FileHandles } from "./file-handles";
import { PartitionLog } from "./partition-log";

const log = logger("broker.topics");

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
  /** Overrides only; effective values come from describeConfigs. */
  configs: TopicConfigs;
}

interface Metadata {
  clusterId: string;
  /** The first producer id not yet reserved: every id below it may have been handed out. */
  nextProducerId: number;
  topics: Record<string, { topicId: string; partitions: number; configs: TopicConfigs }>;
}

export interface ConfigEntry {
  name: string;
  value: string;
  isDefault: boolean;
  source: "topic" | "default";
  readOnly: boolean;
  sensitive: boolean;
  doc: string;
}

/**
 * Producer ids reserved per write of topics.json, as Kafka's controller hands out blocks of 1,000:
 * a burst of InitProducerId (every idempotent producer asks once) costs one durable write, and a
 * restart skips what was left of the block instead of reusing it.
 */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

/** Partitions closed at once at shutdown. */
const CLOSE_CONCURRENCY = 16;
/** Partition directories created or removed at once: enough to keep the thread pool busy, far below any open-file limit. */
const FILE_CONCURRENCY = 16;
/** Kafka's limit on one topic's partitions here (there is no replica placement to bound it otherwise). */
const MAX_PARTITIONS_PER_TOPIC = 10_000;
export const DEFAULT_MAX_PARTITIONS = 100_000;

export interface TopicRequest {
  name: string;
  /** Given when the topic already has an id elsewhere (a cluster's store); otherwise a new one. */
  topicId?: string;
  partitions: number;
  configs?: Record<string, string | null>;
}
/** Segment files unused this long are closed (reopened on the next read). */
const IDLE_SEGMENT_CLOSE_MS = 5 * 60_000;

export type AlterOp = { name: string; op: "set" | "delete" | "append" | "subtract"; value: string | null };

/**
 * The broker's topics: metadata in <dataDir>/log/topics.json (written atomically), one
 * PartitionLog per partition in <dataDir>/log/<topic>-<partition>/, and the background work
 * (retention, flush.ms, compaction, closing idle files) on a timer. All partitions share one
 * open-file limit, so thousands of partitions do not exhaust file descriptors.
 */
export class LogManager {
  private meta: Metadata;
  private logs = new Map<string, PartitionLog[]>();
  private byId = new Map<string, string>();
  /** Names with '.' read as '_', as Kafka compares them (metric names would clash). */
  private normalized = new Map<string, string>();
  /** Topics whose partitions are being created: their names are taken, and a reader waits for them. */
  private creating = new Map<string, Promise<void>>();
  private partitionCount = 0;
  /** Partitions promised to creations under way, so concurrent requests cannot pass the limit together. */
  private partitionsPending = 0;
  private saved: Promise<void> = Promise.resolve();
  /** The next producer id to hand out, and the end of the block reserved on disk for it. */
  private producerIds: { next: number; reservedEnd: number; reserving?: Promise<void> } = { next: 0, reservedEnd: 0 };
  /** Where blocks of producer ids come from: this data dir's topics.json, or a cluster's store (useProducerIdBlocks). */
  private producerIdBlock: () => Promise<number> = () => this.localProducerIdBlock();
  private timer: NodeJS.Timeout | undefined;
  private cleaning: Promise<void> | null = null;
  private cleaner: LogCleaner;
  readonly handles: FileHandles;
  readonly logDir: string;

  private constructor(
    dataDir: string,
    private defaults: TopicConfigs,
    private clock: () => number,
    maxOpenSegments: number,
    readonly maxPartitions: number,
  ) {
    this.handles = new FileHandles(maxOpenSegments);
    this.cleaner = new LogCleaner(clock);
    this.logDir = join(dataDir, "log");
    mkdirSync(this.logDir, { recursive: true });
    const path = join(this.logDir, "topics.json");
    const saved = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Metadata) : undefined;
    this.meta = {
      clusterId: saved?.clusterId ?? randomBytes(16).toString("base64url").slice(0, 22),
      nextProducerId: saved?.nextProducerId ?? 1000,
      // No prototype: "constructor" and "__proto__" are topic names Kafka allows, not inherited keys.
      topics: Object.assign(Object.create(null) as Metadata["topics"], saved?.topics),
    };
  }

  static open(opts: { dataDir: string; defaults?: TopicConfigs; clock?: () => number; backgroundIntervalMs?: number; maxOpenSegments?: number; maxPartitions?: number }): LogManager {
    const m = new LogManager(opts.dataDir, validateConfigs(opts.defaults ?? {}), opts.clock ?? Date.now, opts.maxOpenSegments ?? DEFAULT_MAX_OPEN_SEGMENTS, opts.maxPartitions ?? DEFAULT_MAX_PARTITIONS);
    for (const name of Object.keys(m.meta.topics)) m.openTopic(name);
    // At start the process serves nobody yet: a synchronous write keeps the cluster id from the first start on.
    writeFileAtomic(m.metadataPath, JSON.stringify(m.meta, null, 1));
    m.timer = setInterval(() => m.background(), opts.backgroundIntervalMs ?? 1000);
    m.timer.unref();
    return m;
  }

  get clusterId(): string {
    return this.meta.clusterId;
  }

  private get metadataPath(): string {
    return join(this.logDir, "topics.json");
  }

  /**
   * Writes topics.json off the event loop, one write after another (each with the state as it is
   * when its turn comes), so a request that changes many topics persists them once.
   */
  private persist(): Promise<void> {
    const write = this.saved.then(async () => {
      await writeFileAtomicAsync(this.metadataPath, JSON.stringify(this.meta, null, 1));
      await fsyncDirAsync(this.logDir);
    });
    this.saved = write.catch(() => undefined);
    return write.catch((err: NodeJS.ErrnoException) => {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `cannot write topic metadata (${err.code ?? err.message}); free disk space and retry`);
    });
  }

  private settingsOf(name: string) {
    return logSettings(effectiveConfigs(this.meta.topics[name].configs, this.defaults));
  }

  private register(name: string, t: Metadata["topics"][string], logs: PartitionLog[]): void {
    this.meta.topics[name] = t;
    this.logs.set(name, logs);
    this.byId.set(t.topicId, name);
    this.normalized.set(name.replace(/\./g, "_"), name);
    this.partitionCount += t.partitions;
  }

  private openTopic(name: string): void {
    const t = this.meta.topics[name];
    const settings = this.settingsOf(name);
    const logs: PartitionLog[] = [];
    for (let p = 0; p < t.partitions; p++) logs.push(PartitionLog.open(join(this.logDir, `${name}-${p}`), name, p, settings, this.clock, this.handles));
    this.register(name, t, logs);
  }

  /** Creates the empty logs of partitions [from, to) of a topic, a few directories at a time. */
  private async createLogs(name: string, from: number, to: number, settings: LogSettings): Promise<PartitionLog[]> {
    const logs: PartitionLog[] = [];
    const indexes = Array.from({ length: to - from }, (_, i) => from + i);
    await forEachBounded(indexes, FILE_CONCURRENCY, async (p) => {
      logs[p - from] = await PartitionLog.create(join(this.logDir, `${name}-${p}`), name, p, settings, this.clock, this.handles);
    });
    return logs;
  }

  topics(): TopicInfo[] {
    return Object.entries(this.meta.topics).map(([name, t]) => ({ name, ...t }));
  }

  topic(name: string): TopicInfo | undefined {
    const t = this.meta.topics[name];
    return t && { name, ...t };
  }

  topicById(id: string): TopicInfo | undefined {
    const name = this.byId.get(id);
    return name === undefined ? undefined : this.topic(name);
  }

  get totalPartitions(): number {
    return this.partitionCount;
  }

  /** For a topic being created: resolves once it is there (or its creation failed). */
  creation(name: string): Promise<void> | undefined {
    return this.creating.get(name)?.catch(() => undefined);
  }

  partition(topic: string, partition: number): PartitionLog {
    const p = this.logs.get(topic)?.[partition];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition: ${topic}-${partition}`);
    return p;
  }

  partitions(topic: string): PartitionLog[] {
    return this.logs.get(topic) ?? [];
  }

  /**
   * Creates topics in one go: each is checked as Kafka checks it (name, collisions, partitions,
   * configs, the broker's partition limit), then the partition directories of all of them are
   * made off the event loop and the metadata is written once. Results are in request order: the
   * topic, or the error that refused it.
   */
  async createTopics(requests: TopicRequest[], opts: { validateOnly?: boolean } = {}): Promise<(TopicInfo | KafkaError)[]> {
    const seen = new Set<string>();
    const accepted: TopicInfo[] = [];
    let acceptedPartitions = 0;
    const results = requests.map((r): TopicInfo | KafkaError => {
      try {
        const info = this.checkNew(r, seen, acceptedPartitions);
        seen.add(r.name);
        accepted.push(info);
        acceptedPartitions += info.partitions;
        return info;
      } catch (err) {
        if (err instanceof KafkaError) return err;
        throw err;
      }
    });
    const release = () => accepted.forEach((t) => this.normalized.delete(t.name.replace(/\./g, "_")));
    if (opts.validateOnly || accepted.length === 0) {
      release();
      return results;
    }
    const total = acceptedPartitions;
    this.partitionsPending += total;
    const work = this.build(accepted);
    for (const t of accepted) this.creating.set(t.name, work);
    try {
      await work;
    } catch (err) {
      release();
      const failure = err instanceof KafkaError ? err : new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `creating partition directories failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was created`);
      return results.map((r) => (r instanceof KafkaError ? r : failure));
    } finally {
      this.partitionsPending -= total;
      for (const t of accepted) this.creating.delete(t.name);
    }
    return results;
  }

  /** One topic, as createTopics; throws its error. */
  async createTopic(name: string, opts: { partitions: number; configs?: Record<string, string | null> }): Promise<TopicInfo> {
    const [result] = await this.createTopics([{ name, ...opts }]);
    if (result instanceof KafkaError) throw result;
    return result;
  }

  private checkNew(r: TopicRequest, seen: Set<string>, acceptedPartitions: number): TopicInfo {
    const { name, partitions } = r;
    validateTopicName(name);
    if (seen.has(name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Topic '${name}' is named more than once in the request.`);
    if (this.meta.topics[name] || this.creating.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    // Kafka forbids names that collide once '.' and '_' are treated alike (metric names would clash).
    const normalized = name.replace(/\./g, "_");
    const clash = this.normalized.get(normalized);
    if (clash) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${clash}`);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS_PER_TOPIC) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${MAX_PARTITIONS_PER_TOPIC}, got ${partitions}`);
    }
    const configs = validateConfigs(r.configs ?? {});
    this.reservePartitions(partitions, `topic '${name}'`, acceptedPartitions);
    // Taken from here on, so later topics of this request and concurrent requests see the name.
    this.normalized.set(normalized, name);
    return { name, topicId: r.topicId ?? randomUUID(), partitions, configs };
  }

  /** Checks the broker-wide partition limit, counting creations under way and earlier topics of the same request. */
  private reservePartitions(more: number, what: string, alreadyAccepted = 0): void {
    const after = this.partitionCount + this.partitionsPending + alreadyAccepted + more;
    if (after > this.maxPartitions) {
      throw new KafkaError(ErrorCode.POLICY_VIOLATION, `${what} needs ${more} partitions, which would bring this broker to ${after}, over its limit of ${this.maxPartitions} (--max-partitions); delete topics or raise the limit`);
    }
  }

  private async build(topics: TopicInfo[]): Promise<void> {
    const made: { info: TopicInfo; logs: PartitionLog[] }[] = [];
    for (const info of topics) {
      const settings = logSettings(effectiveConfigs(info.configs, this.defaults));
      made.push({ info, logs: await this.createLogs(info.name, 0, info.partitions, settings) });
    }
    const entries = made.map(({ info, logs }) => [info.name, { topicId: info.topicId, partitions: info.partitions, configs: info.configs }, logs] as const);
    for (const [name, t] of entries) this.meta.topics[name] = t;
    try {
      await this.persist();
    } catch (err) {
      for (const [name] of entries) delete this.meta.topics[name];
      throw err;
    }
    for (const [name, t, logs] of entries) {
      this.register(name, t, logs);
      log.info({ topic: name, partitions: t.partitions }, "topic created");
    }
  }

  private require(name: string) {
    const t = this.meta.topics[name];
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist`);
    return t;
  }

  /** Removes the topic from the metadata first, then its partition directories, a few at a time. */
  async deleteTopic(name: string): Promise<void> {
    const t = this.require(name);
    const logs = this.logs.get(name) ?? [];
    delete this.meta.topics[name];
    this.logs.delete(name);
    this.byId.delete(t.topicId);
    this.normalized.delete(name.replace(/\./g, "_"));
    this.partitionCount -= t.partitions;
    await this.persist();
    await forEachBounded(logs, FILE_CONCURRENCY, (p) => p.destroy());
    log.info({ topic: name }, "topic deleted");
  }

  async createPartitions(name: string, total: number, validateOnly = false): Promise<void> {
    const t = this.require(name);
    if (total <= t.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${t.partitions} partitions, which is higher than or equal to the requested ${total}.`);
    if (total > MAX_PARTITIONS_PER_TOPIC) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic`);
    const more = total - t.partitions;
    this.reservePartitions(more, `growing topic '${name}' to ${total} partitions`);
    if (validateOnly) return;
    this.partitionsPending += more;
    try {
      const from = t.partitions;
      const added = await this.createLogs(name, from, total, this.settingsOf(name));
      // The topic may have been deleted while its new directories were made.
      if (this.meta.topics[name] !== t) {
        await forEachBounded(added, FILE_CONCURRENCY, (p) => p.destroy());
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' was deleted meanwhile`);
      }
      t.partitions = total;
      this.logs.get(name)!.push(...added);
      this.partitionCount += more;
      await this.persist();
    } finally {
      this.partitionsPending -= more;
    }
  }

  /** AlterConfigs semantics: the given set replaces every override. */
  async alterConfigs(name: string, configs: Record<string, string | null>, validateOnly = false): Promise<void> {
    const t = this.require(name);
    const next = validateConfigs(configs);
    if (validateOnly) return;
    t.configs = next;
    await this.applyConfigs(name);
  }

  /** IncrementalAlterConfigs: set / delete (back to default) / append / subtract for list configs. */
  async incrementalAlterConfigs(name: string, ops: AlterOp[], validateOnly = false): Promise<void> {
    const t = this.require(name);
    const next = { ...t.configs };
    for (const o of ops) {
      if (!TOPIC_CONFIGS[o.name]) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${o.name}`);
      const current = (next[o.name] ?? effectiveConfigs({}, this.defaults)[o.name]).split(",").filter(Boolean);
      if (o.op === "delete") delete next[o.name];
      else if (o.op === "set") next[o.name] = o.value ?? "";
      else if (o.op === "append") next[o.name] = [...new Set([...current, ...(o.value ?? "").split(",")])].join(",");
      else next[o.name] = current.filter((v) => !(o.value ?? "").split(",").includes(v)).join(",");
    }
    const valid = validateConfigs(next);
    if (validateOnly) return;
    t.configs = valid;
    await this.applyConfigs(name);
  }

  private async applyConfigs(name: string): Promise<void> {
    const settings = this.settingsOf(name);
    for (const p of this.logs.get(name) ?? []) p.updateSettings(settings);
    await this.persist();
  }

  describeConfigs(name: string): ConfigEntry[] {
    const t = this.require(name);
    const eff = effectiveConfigs(t.configs, this.defaults);
    return Object.entries(TOPIC_CONFIGS).map(([key, def]) => ({
      name: key,
      value: eff[key],
      isDefault: t.configs[key] === undefined,
      source: t.configs[key] === undefined ? "default" : "topic",
      readOnly: false,
      sensitive: false,
      doc: def.doc,
    }));
  }

  /**
   * A new producer id for InitProducerId, from a block reserved before any id in it is handed
   * out (on disk, or in the cluster's store), so none is reused after a restart or by another broker.
   */
  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    while (this.producerIds.next >= this.producerIds.reservedEnd) await this.reserveProducerIds();
    return { producerId: this.producerIds.next++, producerEpoch: 0 };
  }

  /** A broker of a cluster takes its producer ids from blocks the whole cluster shares out. */
  useProducerIdBlocks(block: () => Promise<number>): void {
    this.producerIdBlock = block;
    this.producerIds = { next: 0, reservedEnd: 0 };
  }

  /** Takes the next block; callers that ran past the current block wait on the same reservation. */
  private reserveProducerIds(): Promise<void> {
    this.producerIds.reserving ??= (async () => {
      try {
        const start = await this.producerIdBlock();
        this.producerIds = { next: start, reservedEnd: start + PRODUCER_ID_BLOCK_SIZE };
      } finally {
        this.producerIds.reserving = undefined;
      }
    })();
    return this.producerIds.reserving;
  }

  /** The next block of this data dir, its end persisted before any id in it is handed out. */
  private async localProducerIdBlock(): Promise<number> {
    const start = this.meta.nextProducerId;
    this.meta.nextProducerId = start + PRODUCER_ID_BLOCK_SIZE;
    await this.persist();
    return start;
  }

  private background(): void {
    const now = this.clock();
    for (const [topic, logs] of this.logs) {
      for (const p of logs) {
        try {
          p.flushIfDue(now);
          const dropped = p.applyRetention(now);
          if (dropped) log.info({ topic, partition: p.partition, segments: dropped, logStartOffset: p.logStartOffset }, "retention deleted segments");
        } catch (err) {
          log.error({ err, topic, partition: p.partition }, "background log work failed");
        }
      }
    }
    this.handles.closeIdle(Date.now(), IDLE_SEGMENT_CLOSE_MS);
    this.cleaning ??= this.cleanAll().finally(() => {
      this.cleaning = null;
    });
  }

  /** One cleaner pass over every compacted partition, one partition at a time. */
  private async cleanAll(): Promise<void> {
    for (const [topic, logs] of [...this.logs]) {
      for (const p of logs) {
        if (!p.logSettings.compact) continue;
        try {
          await this.cleaner.clean(p);
        } catch (err) {
          log.error({ err, topic, partition: p.partition }, "compaction failed; the partition's segments are unchanged and it will be retried");
        }
      }
    }
  }

  /** Runs retention now (tests and the console's purge use it instead of waiting for the timer). */
  runBackground(): void {
    this.background();
  }

  /** Runs retention and a full cleaner pass now and waits for it. */
  async runCleaner(): Promise<void> {
    await this.cleaning;
    this.background();
    await this.cleaning;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.cleaner.stop();
    await this.cleaning;
    await this.saved;
    // A few at a time: their fsyncs still overlap in the thread pool, and the descriptors each
    // close holds (segment, checkpoint, marker, directory) stay far below any open-file limit.
    await forEachBounded([...this.logs.values()].flat(), CLOSE_CONCURRENCY, (p) => p.close());
    this.logs.clear();
  }
}
