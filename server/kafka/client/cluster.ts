import { setTimeout as sleep } from "node:timers/promises";
import { CoordinatorType } from "../constants";
import { ErrorCode } from "../errors";
import { ApiKey, Apis } from "../messages";
import { logger } from "../../log";
import { BrokerConnection, type TlsOptions } from "./connection";
import { KafkaClientError, isRetriableError } from "./errors";
import type { ResolvedClientOptions } from "./options";
import { call } from "./protocol";

const log = logger("kafka.client");

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  internal: boolean;
  /** Indexed by partition number. */
  partitions: PartitionInfo[];
}

export interface MetadataSnapshot {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
}

/**
 * Connections are per broker and lane. A broker answers one connection's requests in order, so
 * requests that wait on the broker — a long-polling Fetch, a JoinGroup held until the group
 * rejoins — get lanes of their own: each consumer has its own group and fetch lanes, and
 * everything else shares "default".
 */
export type Lane = string;
export const DEFAULT_LANE = "default";

/** Codes after which cached leaders are stale: look them up again before retrying. */
export const STALE_LEADER = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  9, // REPLICA_NOT_AVAILABLE
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);
/** Codes after which a cached coordinator is stale. */
export const STALE_COORDINATOR = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NETWORK_EXCEPTION]);


/**
 * What every part of the client shares: connections per broker (opened on first use, reopened
 * after a back-off when lost), the metadata cache with partition leaders and leader epochs, the
 * coordinator cache, and retries of retriable failures. Nothing here assumes a single broker.
 */
export class Cluster {
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  private readonly failures = new Map<string, { count: number; until: number }>();
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, { info: TopicInfo; at: number }>();
  private readonly coordinators = new Map<string, number>();
  private readonly closedLanes = new Set<string>();
  /** Metadata reads of one topic under way: concurrent users of a stale topic share one. */
  private readonly reading = new Map<string, Promise<MetadataSnapshot>>();
  private clusterId: string | null = null;
  private controllerId = -1;
  private closed = false;

  constructor(readonly opts: ResolvedClientOptions) {}

  // ---- connections ----

  private tls(): TlsOptions | undefined {
    const t = this.opts.tls;
    return t === false ? undefined : t === true ? {} : t;
  }

  /**
   * A connection to the address on the lane: the open one, or a new one. `wait: false` refuses at
   * once while the address is backing off from its last failed connect, for a caller with
   * somewhere else to go (another broker, or a leader that may move meanwhile) rather than sleep.
   */
  private async open(host: string, port: number, lane: Lane, wait = true): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    const key = `${address}/${lane}`;
    const backingOff = this.backingOff(address);
    if (!wait && backingOff > 0) {
      throw new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, `connection to ${address}`, { detail: `its last connect failed; next attempt in ${backingOff} ms`, retriable: true });
    }
    const existing = this.connections.get(key);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c && !c.closed) return c;
      if (this.connections.get(key) === existing) this.connections.delete(key);
    }
    if (this.closed || [...this.closedLanes].some((p) => lane.startsWith(p))) {
      throw new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, `connection to ${address}`, { retriable: false, detail: this.closed ? "the client is closed" : "its consumer is closed" });
    }
    const opening = this.connectWithBackoff(host, port);
    this.connections.set(key, opening);
    opening.then(
      (c) =>
        c.onClose(() => {
          if (this.connections.get(key) === opening) this.connections.delete(key);
        }),
      () => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
      },
    );
    return opening;
  }

  /** A reconnect waits out the back-off of the last failure to that address, so a broker that is down is not hammered. */
  private async connectWithBackoff(host: string, port: number): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    const f = this.failures.get(address);
    const backingOff = this.backingOff(address);
    if (backingOff > 0) await sleep(backingOff);
    try {
      const c = await BrokerConnection.open({
        host,
        port,
        clientId: this.opts.clientId,
        tls: this.tls(),
        sasl: this.opts.sasl,
        connectTimeoutMs: this.opts.connectTimeoutMs,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        maxInFlight: this.opts.maxInFlight,
        maxResponseBytes: this.opts.maxResponseBytes,
      });
      this.failures.delete(address);
      return c;
    } catch (err) {
      const count = (f?.count ?? 0) + 1;
      this.failures.set(address, { count, until: Date.now() + this.backoff(count) });
      throw err;
    }
  }

  /** Milliseconds until the address may be connected to again (0: now). */
  private backingOff(address: string): number {
    return Math.max(0, (this.failures.get(address)?.until ?? 0) - Date.now());
  }

  /** Exponential back-off with ±20 % jitter, so clients that lost the same broker do not return in step. */
  backoff(attempt: number): number {
    const base = Math.min(this.opts.retryBackoffMaxMs, this.opts.retryBackoffMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** A connection to the broker with this node id (from metadata). */
  async broker(nodeId: number, lane: Lane = DEFAULT_LANE, wait = true): Promise<BrokerConnection> {
    let b = this.brokers.get(nodeId);
    if (!b) {
      await this.refreshMetadata([]);
      b = this.brokers.get(nodeId);
    }
    if (!b) throw new KafkaClientError(ErrorCode.LEADER_NOT_AVAILABLE, `broker ${nodeId}`, { detail: "not in the cluster's metadata" });
    return this.open(b.host, b.port, lane, wait);
  }

  /** Any reachable broker: an open connection if there is one, else the known brokers and the bootstrap list in turn. */
  async any(): Promise<BrokerConnection> {
    for (const [key, p] of this.connections) {
      if (!key.endsWith(`/${DEFAULT_LANE}`)) continue;
      const c = await p.catch(() => null);
      if (c && !c.closed) return c;
    }
    const known = [...[...this.brokers.values()].map((b) => ({ host: b.host, port: b.port })), ...this.opts.bootstrap.map(splitHostPort)];
    // A broker backing off (one that just died) is tried last, so it delays nothing while another answers.
    const ready = known.filter((c) => this.backingOff(`${c.host}:${c.port}`) === 0);
    const candidates = [...ready, ...known.filter((c) => !ready.includes(c))];
    let last: unknown;
    for (const { host, port } of candidates) {
      try {
        return await this.open(host, port, DEFAULT_LANE);
      } catch (err) {
        // A refusal that another broker would repeat (bad credentials, no common version) is final.
        if (err instanceof KafkaClientError && !err.retriable) throw err;
        last = err;
      }
    }
    throw new KafkaClientError(ErrorCode.NETWORK_EXCEPTION, `cannot reach any broker of ${this.opts.bootstrap.join(",")}`, { cause: last, detail: last instanceof KafkaClientError ? last.summary : last instanceof Error ? last.message : null });
  }

  /**
   * The controller (admin requests that change topics), or any broker when it is unknown. A retry
   * (`attempt` > 0) reads metadata again first: the controller that failed may have moved.
   */
  async controller(attempt = 0): Promise<BrokerConnection> {
    if (attempt > 0 || this.controllerId < 0) await this.refreshMetadata([]);
    return this.controllerId >= 0 && this.brokers.has(this.controllerId) ? this.broker(this.controllerId) : this.any();
  }

  // ---- metadata ----

  /**
   * Reads metadata of the named topics (every topic for null) into the cache and returns it.
   * `autoCreate` lets the broker create missing topics, as a producer's first send does.
   */
  async refreshMetadata(topics: string[] | null, autoCreate = false): Promise<MetadataSnapshot> {
    const res = await this.withRetry("Metadata", async () => {
      const conn = await this.any();
      return call(conn, Apis.Metadata, {
        topics: topics === null ? null : topics.map((name) => ({ name })),
        allowAutoTopicCreation: autoCreate,
        includeTopicAuthorizedOperations: false,
      });
    });
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    // The answer names every live broker: one that left must drop out, or requests sent to every
    // broker (DescribeLogDirs, ListGroups) keep failing on it.
    this.brokers.clear();
    for (const b of res.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    const now = Date.now();
    const out: TopicInfo[] = [];
    for (const t of res.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== ErrorCode.NONE) {
        this.topics.delete(t.name);
        if (topics !== null && t.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && t.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) throw new KafkaClientError(t.errorCode, `metadata of topic ${t.name}`);
        continue;
      }
      const cached = this.topics.get(t.name)?.info;
      const partitions: PartitionInfo[] = [];
      for (const p of t.partitions) {
        const old = cached?.topicId === t.topicId ? cached.partitions[p.partitionIndex] : undefined;
        // A broker that has not heard of the latest leader election answers with an older epoch: keep the newer leader.
        partitions[p.partitionIndex] =
          old && p.leaderEpoch >= 0 && old.leaderEpoch > p.leaderEpoch
            ? old
            : { partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas, errorCode: p.errorCode };
      }
      const info: TopicInfo = { name: t.name, topicId: t.topicId, internal: t.isInternal, partitions };
      this.topics.set(t.name, { info, at: now });
      out.push(info);
    }
    return { clusterId: this.clusterId, controllerId: this.controllerId, brokers: [...this.brokers.values()], topics: out };
  }

  /** A topic's cached metadata (read when missing or older than metadataMaxAgeMs); undefined when the cluster has no such topic. */
  async topic(name: string, autoCreate = false): Promise<TopicInfo | undefined> {
    const cached = this.topics.get(name);
    if (cached && Date.now() - cached.at < this.opts.metadataMaxAgeMs) return cached.info;
    const key = `${autoCreate}:${name}`;
    let read = this.reading.get(key);
    if (!read) {
      read = this.refreshMetadata([name], autoCreate).finally(() => this.reading.delete(key));
      this.reading.set(key, read);
    }
    await read;
    return this.topics.get(name)?.info;
  }

  /** Like topic(), but a missing topic is an UNKNOWN_TOPIC_OR_PARTITION error that says so. */
  async requireTopic(name: string, autoCreate = false): Promise<TopicInfo> {
    const t = await this.topic(name, autoCreate);
    if (!t) throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name}`, { retriable: autoCreate, detail: "the cluster has no such topic" });
    return t;
  }

  /** Forgets a topic's leaders, so the next use reads them again. */
  invalidate(topic: string): void {
    this.topics.delete(topic);
  }

  /** The leader of a partition, or LEADER_NOT_AVAILABLE (retriable) while there is none. */
  async leader(topic: string, partition: number): Promise<PartitionInfo> {
    const t = await this.requireTopic(topic);
    const p = t.partitions[partition];
    if (!p) throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${topic}-${partition}`, { retriable: false, detail: `the topic has ${t.partitions.length} partitions` });
    if (p.leader < 0) {
      this.invalidate(topic);
      throw new KafkaClientError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${topic}-${partition}`);
    }
    return p;
  }

  /** Groups topic-partitions by their leader's node id: requests that go to leaders go once per leader. */
  async byLeader<T extends { topic: string; partition: number }>(items: T[]): Promise<Map<number, T[]>> {
    const out = new Map<number, T[]>();
    for (const it of items) {
      const { leader } = await this.leader(it.topic, it.partition);
      const list = out.get(leader);
      if (list) list.push(it);
      else out.set(leader, [it]);
    }
    return out;
  }

  // ---- coordinators ----

  /** The coordinator of a group (or transactional id): FindCoordinator, cached until it says otherwise. */
  async coordinator(key: string, type: number = CoordinatorType.GROUP, lane: Lane = DEFAULT_LANE): Promise<BrokerConnection> {
    const cacheKey = `${type}:${key}`;
    const known = this.coordinators.get(cacheKey);
    // A coordinator that cannot be reached (or left the cluster's metadata) is looked up again on the retry.
    if (known !== undefined) {
      return this.broker(known, lane).catch((err: unknown) => {
        this.forgetCoordinator(key, type);
        throw err;
      });
    }
    const nodeId = await this.withRetry(`FindCoordinator ${key}`, async () => {
      const conn = await this.any();
      const batched = conn.version(ApiKey.FindCoordinator) >= 4;
      const res = await call(conn, Apis.FindCoordinator, { key, keyType: type, coordinatorKeys: [key] });
      const c = batched ? res.coordinators[0] : { ...res, key };
      if (!c) throw new KafkaClientError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator ${key}`, { detail: "empty answer" });
      if (c.errorCode !== ErrorCode.NONE) throw new KafkaClientError(c.errorCode, `FindCoordinator ${key}`, { detail: c.errorMessage });
      this.brokers.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: this.brokers.get(c.nodeId)?.rack ?? null });
      return c.nodeId;
    });
    this.coordinators.set(cacheKey, nodeId);
    return this.broker(nodeId, lane);
  }

  forgetCoordinator(key: string, type: number = CoordinatorType.GROUP): void {
    this.coordinators.delete(`${type}:${key}`);
  }

  /**
   * Runs fn against the coordinator of a group (or, with CoordinatorType.TRANSACTION, of a
   * transactional id), finding it again (and retrying) when it moved or is loading.
   */
  onCoordinator<T>(key: string, what: string, fn: (conn: BrokerConnection) => Promise<T>, lane: Lane = DEFAULT_LANE, type: number = CoordinatorType.GROUP): Promise<T> {
    return this.withRetry(what, async () => fn(await this.coordinator(key, type, lane)), (err) => {
      if (STALE_COORDINATOR.has(err.code)) this.forgetCoordinator(key, type);
    });
  }

  /**
   * Sends per-partition requests to each partition's leader (one request per leader), retrying
   * the partitions whose leader moved. `fn` returns the items that failed and the error for them.
   */
  async onLeaders<T extends { topic: string; partition: number }>(what: string, items: T[], fn: (conn: BrokerConnection, items: T[]) => Promise<{ failed: T[]; error?: KafkaClientError }>): Promise<void> {
    let todo = items;
    await this.withRetry(
      what,
      async () => {
        const byLeader = await this.byLeader(todo);
        const results = await Promise.all([...byLeader].map(async ([node, list]) => {
          try {
            return await fn(await this.broker(node), list);
          } catch (err) {
            if (!(err instanceof KafkaClientError)) throw err;
            return { failed: list, error: err };
          }
        }));
        todo = results.flatMap((r) => r.failed);
        const error = results.find((r) => r.error && !r.error.retriable)?.error ?? results.find((r) => r.error)?.error;
        if (error) {
          for (const t of new Set(todo.map((x) => x.topic))) if (STALE_LEADER.has(error.code)) this.invalidate(t);
          throw error;
        }
      },
    );
  }

  /**
   * Runs fn, retrying retriable failures after a back-off up to `retries` times; `onRetriable`
   * runs before each retry (to drop a stale leader or coordinator).
   */
  async withRetry<T>(what: string, fn: (attempt: number) => Promise<T>, onRetriable?: (err: KafkaClientError) => void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        if (!isRetriableError(err) || attempt >= this.opts.retries || this.closed) throw err;
        onRetriable?.(err as KafkaClientError);
        const wait = this.backoff(attempt + 1);
        log.debug({ err, what, attempt, wait }, "retrying a Kafka request");
        await sleep(wait);
      }
    }
  }

  /**
   * Closes the connections of lanes starting with prefix ("consumer-3/") for good (a consumer's own, when it
   * closes): requests waiting on them fail at once, and none are opened again.
   */
  async closeLanes(prefix: string): Promise<void> {
    this.closedLanes.add(prefix);
    for (const [key, p] of [...this.connections]) {
      if (!key.slice(key.indexOf("/") + 1).startsWith(prefix)) continue;
      this.connections.delete(key);
      (await p.catch(() => null))?.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const p of all) {
      // A connect that failed already reported to the caller that started it.
      const c = await p.catch(() => null);
      c?.close();
    }
  }
}

export function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port: Number(s.slice(i + 1)) };
}
