import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, KafkaError } from "../../kafka/errors";
import { logger } from "../../log";
import { writeFileAtomic } from "./atomic";
import { forEachBounded } from "./bounded";
import { LogCleaner } from "./cleaner";
import { effectiveConfigs, logSettings, TOPIC_CONFIGS, validateConfigs, validateTopicName, type TopicConfigs } from "./configs";
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

/** Partitions closed at once at shutdown. */
const CLOSE_CONCURRENCY = 16;
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
  ) {
    this.handles = new FileHandles(maxOpenSegments);
    this.cleaner = new LogCleaner(clock);
    this.logDir = join(dataDir, "log");
    mkdirSync(this.logDir, { recursive: true });
    const path = join(this.logDir, "topics.json");
    this.meta = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : { clusterId: randomBytes(16).toString("base64url").slice(0, 22), nextProducerId: 1000, topics: {} };
  }

  static open(opts: { dataDir: string; defaults?: TopicConfigs; clock?: () => number; backgroundIntervalMs?: number; maxOpenSegments?: number }): LogManager {
    const m = new LogManager(opts.dataDir, validateConfigs(opts.defaults ?? {}), opts.clock ?? Date.now, opts.maxOpenSegments ?? DEFAULT_MAX_OPEN_SEGMENTS);
    for (const name of Object.keys(m.meta.topics)) m.openTopic(name);
    m.persist();
    m.timer = setInterval(() => m.background(), opts.backgroundIntervalMs ?? 1000);
    m.timer.unref();
    return m;
  }

  get clusterId(): string {
    return this.meta.clusterId;
  }

  private persist(): void {
    writeFileAtomic(join(this.logDir, "topics.json"), JSON.stringify(this.meta, null, 1));
  }

  private settingsOf(name: string) {
    return logSettings(effectiveConfigs(this.meta.topics[name].configs, this.defaults));
  }

  private openTopic(name: string): void {
    const t = this.meta.topics[name];
    const settings = this.settingsOf(name);
    const logs: PartitionLog[] = [];
    for (let p = 0; p < t.partitions; p++) logs.push(PartitionLog.open(join(this.logDir, `${name}-${p}`), name, p, settings, this.clock, this.handles));
    this.logs.set(name, logs);
  }

  topics(): TopicInfo[] {
    return Object.entries(this.meta.topics).map(([name, t]) => ({ name, ...t }));
  }

  topic(name: string): TopicInfo | undefined {
    const t = this.meta.topics[name];
    return t && { name, ...t };
  }

  topicById(id: string): TopicInfo | undefined {
    return this.topics().find((t) => t.topicId === id);
  }

  partition(topic: string, partition: number): PartitionLog {
    const p = this.logs.get(topic)?.[partition];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition: ${topic}-${partition}`);
    return p;
  }

  partitions(topic: string): PartitionLog[] {
    return this.logs.get(topic) ?? [];
  }

  createTopic(name: string, opts: { partitions: number; configs?: Record<string, string | null>; validateOnly?: boolean }): TopicInfo {
    validateTopicName(name);
    if (this.meta.topics[name]) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    // Kafka forbids names that collide once '.' and '_' are treated alike (metric names would clash).
    const norm = name.replace(/\./g, "_");
    const clash = Object.keys(this.meta.topics).find((t) => t.replace(/\./g, "_") === norm);
    if (clash) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${clash}`);
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 10000) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and 10000, got ${opts.partitions}`);
    }
    const configs = validateConfigs(opts.configs ?? {});
    const info = { name, topicId: randomUUID(), partitions: opts.partitions, configs };
    if (opts.validateOnly) return info;
    this.meta.topics[name] = { topicId: info.topicId, partitions: info.partitions, configs };
    this.persist();
    this.openTopic(name);
    log.info({ topic: name, partitions: opts.partitions }, "topic created");
    return info;
  }

  private require(name: string) {
    const t = this.meta.topics[name];
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist`);
    return t;
  }

  deleteTopic(name: string): void {
    this.require(name);
    delete this.meta.topics[name];
    this.persist();
    for (const p of this.logs.get(name) ?? []) p.destroy();
    this.logs.delete(name);
    log.info({ topic: name }, "topic deleted");
  }

  createPartitions(name: string, total: number, validateOnly = false): void {
    const t = this.require(name);
    if (total <= t.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${t.partitions} partitions, which is higher than or equal to the requested ${total}.`);
    if (total > 10000) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, "at most 10000 partitions per topic");
    if (validateOnly) return;
    const settings = this.settingsOf(name);
    const logs = this.logs.get(name)!;
    for (let p = t.partitions; p < total; p++) logs.push(PartitionLog.open(join(this.logDir, `${name}-${p}`), name, p, settings, this.clock, this.handles));
    t.partitions = total;
    this.persist();
  }

  /** AlterConfigs semantics: the given set replaces every override. */
  alterConfigs(name: string, configs: Record<string, string | null>, validateOnly = false): void {
    const t = this.require(name);
    const next = validateConfigs(configs);
    if (validateOnly) return;
    t.configs = next;
    this.applyConfigs(name);
  }

  /** IncrementalAlterConfigs: set / delete (back to default) / append / subtract for list configs. */
  incrementalAlterConfigs(name: string, ops: AlterOp[], validateOnly = false): void {
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
    this.applyConfigs(name);
  }

  private applyConfigs(name: string): void {
    this.persist();
    const settings = this.settingsOf(name);
    for (const p of this.logs.get(name) ?? []) p.updateSettings(settings);
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

  /** A new producer id for InitProducerId, persisted so ids are never reused after a restart. */
  initProducerId(): { producerId: number; producerEpoch: number } {
    const producerId = this.meta.nextProducerId++;
    this.persist();
    return { producerId, producerEpoch: 0 };
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
    // A few at a time: their fsyncs still overlap in the thread pool, and the descriptors each
    // close holds (segment, checkpoint, marker, directory) stay far below any open-file limit.
    await forEachBounded([...this.logs.values()].flat(), CLOSE_CONCURRENCY, (p) => p.close());
    this.logs.clear();
  }
}
