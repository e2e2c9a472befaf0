import { codeOf, ErrorCode, errorName, KafkaError } from "../../kafka/errors";
import type { GroupCoordinator } from "../groups/coordinator";
import type { LogManager } from "../log/log-manager";
import { InvalidRecordsError, type PartitionLog } from "../log/partition-log";
import { OFFSETS_TOPIC } from "../groups/offsets-store";
import { TOPIC_CONFIGS } from "../log/configs";
import { forgetTopic, partitionCounters } from "../metrics";
import { forEachBatch } from "../../kafka/records/batch";
import { mapInSlices, Slices } from "./slices";
import { logger } from "../../log";
import type { ClusterMember, ReplicatedTopicRequest } from "../../cluster/member";

const log = logger("broker.api");

type Body = Record<string, any>;

export interface BrokerContext {
  logs: LogManager;
  groups: GroupCoordinator;
  nodeId: number;
  advertisedHost: string;
  advertisedPort: () => number;
  autoCreateTopics: boolean;
  numPartitions: number;
  /** Cluster mode: brokers, controller, leaders and topic creation come from the cluster. */
  cluster?: ClusterMember;
}

export interface RequestInfo {
  apiVersion: number;
  clientId: string;
  clientHost: string;
  /** Aborted when the connection closes, so a long poll stops waiting. */
  signal: AbortSignal;
}

/** A CreateTopics request's topic entry. */
interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

const RESOURCE_TOPIC = 2;
/**
 * Topics one request may create (CreateTopics, or auto-creation by Metadata and Produce): each
 * request's work stays bounded, and so does the time others wait for the topic metadata write.
 */
export const MAX_TOPICS_CREATED_PER_REQUEST = 1000;
const TRANSACTIONS_UNSUPPORTED = "transactions are not supported yet: use an idempotent producer without a transactional.id";
/** DescribeConfigs v3+ config types (Kafka's ConfigType ids) by our config kinds. */
const CONFIG_TYPES: Record<string, number> = { boolean: 1, string: 2, int: 3, long: 5, double: 6 };
/**
 * What an errored Fetch partition carries: empty records, not null, as Kafka answers; librdkafka
 * 2.x rejects a whole response with a null record set and so never sees the partition's error.
 */
const NO_RECORDS = Buffer.alloc(0);
/** One broker, never a leader change: every partition stays at leader epoch 0. */
const LEADER_EPOCH = 0;
const RESOURCE_BROKER = 4;

/** The broker's configs as DescribeConfigs shows them for the broker resource (read-only here). */
function brokerConfigs(b: BrokerContext): Record<string, string> {
  return {
    "broker.id": String(b.nodeId),
    "auto.create.topics.enable": String(b.autoCreateTopics),
    "num.partitions": String(b.numPartitions),
    "default.replication.factor": String(b.cluster?.defaultReplicationFactor() ?? 1),
    "offsets.topic.replication.factor": "1",
    "advertised.listeners": `PLAINTEXT://${b.advertisedHost}:${b.advertisedPort()}`,
  };
}

function errorMessage(err: unknown): string | null {
  return err instanceof KafkaError ? err.message : err instanceof Error ? `${errorName(ErrorCode.UNKNOWN_SERVER_ERROR)}: ${err.message}` : null;
}

/** Logs unexpected failures; Kafka errors are part of normal operation. */
function note(err: unknown, what: string): number {
  if (!(err instanceof KafkaError)) log.error({ err }, `${what} failed`);
  return codeOf(err);
}

export class Handlers {
  constructor(private b: BrokerContext) {}

  /**
   * The topics of a request that are not there (after waiting for any being created), each with
   * its error. Unknown ones are auto-created in one batch when allowed (auto.create.topics.enable),
   * at most MAX_TOPICS_CREATED_PER_REQUEST of them; the rest get LEADER_NOT_AVAILABLE, which
   * clients retry, so each retry creates the next batch, as Kafka answers while it creates a topic.
   */
  private async ensureTopics(names: string[], allowCreate: boolean): Promise<Map<string, KafkaError>> {
    // Only when some are being created: without a wait, this request's own creations are under
    // way before the next request on the connection is looked at, so that one waits for them.
    const pending = names.map((n) => this.b.logs.creation(n)).filter((p) => p !== undefined);
    if (pending.length) await Promise.all(pending);
    const unknown = [...new Set(names.filter((n) => !this.b.logs.topic(n)))];
    const missing = new Map<string, KafkaError>();
    if (!allowCreate || !this.b.autoCreateTopics) {
      for (const n of unknown) missing.set(n, new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${n}' does not exist`));
      return missing;
    }
    const now = unknown.slice(0, MAX_TOPICS_CREATED_PER_REQUEST);
    for (const n of unknown.slice(MAX_TOPICS_CREATED_PER_REQUEST)) missing.set(n, new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `at most ${MAX_TOPICS_CREATED_PER_REQUEST} topics are auto-created per request; retry for the rest`));
    const results = await this.createTopicsHere(now.map((name) => ({ name, partitions: this.b.numPartitions })));
    results.forEach((r, i) => {
      // Another request may have created it meanwhile: then it is there.
      if (r instanceof KafkaError && r.code !== ErrorCode.TOPIC_ALREADY_EXISTS) missing.set(now[i], r);
    });
    return missing;
  }

  /** Topics are created through the cluster when there is one, so every broker agrees on them. */
  private createTopicsHere(requests: ReplicatedTopicRequest[], opts: { validateOnly?: boolean } = {}) {
    return this.b.cluster ? this.b.cluster.createTopics(requests, opts) : this.b.logs.createTopics(requests, opts);
  }

  /** The brokers, controller and cluster id clients are told about: the cluster's, or this broker alone. */
  private clusterView() {
    const me = { nodeId: this.b.nodeId, host: this.b.advertisedHost, port: this.b.advertisedPort(), rack: null };
    const m = this.b.cluster?.metadata();
    return m ? { clusterId: m.clusterId, controllerId: m.controllerId, brokers: m.brokers, topics: m.topics } : { clusterId: this.b.logs.clusterId, controllerId: this.b.nodeId, brokers: [me], topics: undefined };
  }

  /** In a cluster only the partition's leader takes produce and consumer fetches; clients refresh metadata on this error. */
  private notLeader(topic: string, partition: number): KafkaError | undefined {
    const p = this.b.cluster?.metadata().topics.get(topic)?.partitions[partition];
    if (!p || p.leader === this.b.nodeId) return undefined;
    return new KafkaError(p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NOT_LEADER_OR_FOLLOWER, p.leader === -1 ? `no live in-sync replica of ${topic}-${partition} can lead` : `broker ${p.leader} leads ${topic}-${partition}, not this broker`);
  }

  // ---- Metadata ----
  async metadata(req: Body, info: RequestInfo): Promise<Body> {
    const v = info.apiVersion;
    const wanted = req.topics as Body[] | null;
    const all = wanted === null || (v === 0 && wanted.length === 0);
    const allowCreate = v < 4 || req.allowAutoTopicCreation !== false;
    const names = all ? [] : wanted.map((w) => (w.name as string | null) || (w.topicId ? (this.b.logs.topicById(w.topicId)?.name ?? null) : null));
    const missing = await this.ensureTopics(names.filter((n): n is string => n !== null), allowCreate);
    const view = this.clusterView();
    const live = new Set(view.brokers.map((b) => b.nodeId));
    const describe = (name: string) => {
      const t = this.b.logs.topic(name)!;
      const replicated = view.topics?.get(name)?.partitions;
      return {
        errorCode: ErrorCode.NONE,
        name,
        topicId: t.topicId,
        isInternal: name === OFFSETS_TOPIC,
        partitions: replicated
          ? replicated.map((p) => ({ errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : 0, partitionIndex: p.partition, leaderId: p.leader, leaderEpoch: p.leaderEpoch, replicaNodes: p.replicas, isrNodes: p.isr, offlineReplicas: p.replicas.filter((id) => !live.has(id)) }))
          : Array.from({ length: t.partitions }, (_, p) => ({ errorCode: 0, partitionIndex: p, leaderId: this.b.nodeId, leaderEpoch: LEADER_EPOCH, replicaNodes: [this.b.nodeId], isrNodes: [this.b.nodeId], offlineReplicas: [] })),
      };
    };
    const topics = all
      ? await mapInSlices(this.b.logs.topics(), (t) => describe(t.name))
      : await mapInSlices(wanted, (w, i) => {
          const name = names[i];
          if (!name) return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: w.topicId, partitions: [] };
          const err = missing.get(name);
          return err ? { errorCode: note(err, "auto-create"), name, partitions: [] } : describe(name);
        });
    return { brokers: view.brokers, clusterId: view.clusterId, controllerId: view.controllerId, topics };
  }

  // ---- Produce ----
  async produce(req: Body, _info: RequestInfo): Promise<Body | null> {
    const acks = req.acks as number;
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      return { responses: (req.topicData as Body[]).map((t) => ({ name: t.name, partitionResponses: (t.partitionData as Body[]).map((p) => ({ index: p.index, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1 })) })) };
    }
    if (req.transactionalId != null) {
      return { responses: (req.topicData as Body[]).map((t) => ({ name: t.name, partitionResponses: (t.partitionData as Body[]).map((p) => ({ index: p.index, errorCode: ErrorCode.INVALID_REQUEST, baseOffset: -1, errorMessage: TRANSACTIONS_UNSUPPORTED })) })) };
    }
    const missing = await this.ensureTopics((req.topicData as Body[]).map((t) => t.name as string).filter((n) => n !== OFFSETS_TOPIC), true);
    const responses = await Promise.all(
      (req.topicData as Body[]).map(async (t) => {
        // Clients must not write the broker's own offsets topic: a foreign record there would make
        // committed offsets unreadable on the next start. Kafka refuses it the same way.
        const topicError = t.name === OFFSETS_TOPIC ? new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${OFFSETS_TOPIC} is internal: the broker writes it; commit offsets with OffsetCommit`) : missing.get(t.name);
        const partitionResponses = await Promise.all(
          (t.partitionData as Body[]).map(async (p) => {
            if (topicError) return { index: p.index, errorCode: topicError.code, baseOffset: -1, errorMessage: topicError.message };
            try {
              const notLeader = this.notLeader(t.name as string, p.index as number);
              if (notLeader) throw notLeader;
              const records = p.records as Buffer | null;
              if (!records || records.length === 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, "empty record set");
              const r = await this.b.logs.partition(t.name, p.index).append(records);
              const c = partitionCounters(t.name, p.index);
              c.recordsIn.inc(r.lastOffset - r.baseOffset + 1);
              c.bytesIn.inc(records.length);
              return { index: p.index, errorCode: 0, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset };
            } catch (err) {
              const code = note(err, "produce");
              if (code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) log.warn({ topic: t.name, partition: p.index, error: errorName(code), reason: (err as Error).message }, "produce rejected");
              const recordErrors = err instanceof InvalidRecordsError ? err.recordIndexes.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: InvalidRecordsError.RECORD_MESSAGE })) : [];
              return { index: p.index, errorCode: code, baseOffset: -1, errorMessage: errorMessage(err), recordErrors };
            }
          }),
        );
        return { name: t.name, partitionResponses };
      }),
    );
    return acks === 0 ? null : { responses };
  }

  // ---- Fetch ----
  async fetch(req: Body, info: RequestInfo): Promise<Body> {
    // This broker keeps no fetch sessions (KIP-227): every fetch is a full one and answers with
    // session id 0, which tells the client not to send incremental fetches. An incremental fetch
    // (epoch > 0) names a session we never created, so it gets FETCH_SESSION_ID_NOT_FOUND and the
    // client starts over with a full fetch, as it would after a Kafka broker evicted its session.
    if (info.apiVersion >= 7 && (req.sessionEpoch as number) > 0) {
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const deadline = Date.now() + Math.max(0, req.maxWaitMs as number);
    const minBytes = Math.max(0, req.minBytes as number);
    const maxBytes = req.maxBytes > 0 ? (req.maxBytes as number) : 0x7fffffff;
    for (;;) {
      const { response, bytes, logs, failed } = await this.readFetch(req, maxBytes);
      const remaining = deadline - Date.now();
      // A partition error (offset out of range, unknown partition) is answered at once, as Kafka
      // does, so the client can reset or refresh metadata without waiting out max.wait.ms.
      if (bytes >= Math.max(minBytes, 1) || failed || remaining <= 0 || info.signal.aborted || logs.length === 0 || (bytes > 0 && bytes >= minBytes)) return response;
      // Long poll: wake on the first append to any partition asked for, or at max.wait.ms.
      await new Promise<void>((resolve) => {
        const offs: (() => void)[] = [];
        const done = () => {
          clearTimeout(timer);
          info.signal.removeEventListener("abort", done);
          offs.forEach((off) => off());
          resolve();
        };
        const timer = setTimeout(done, remaining);
        info.signal.addEventListener("abort", done);
        for (const l of logs) offs.push(l.onAppend(done));
      });
    }
  }

  private async readFetch(req: Body, maxBytes: number) {
    const slices = new Slices();
    let bytes = 0;
    let failed = false;
    const logs: PartitionLog[] = [];
    const responses = [];
    for (const t of req.topics as Body[]) {
      const partitions = [];
      for (const p of t.partitions as Body[]) {
        if (slices.due) await slices.next();
        let pl: PartitionLog;
        try {
          const notLeader = this.notLeader(t.topic as string, p.partition as number);
          if (notLeader) throw notLeader;
          pl = this.b.logs.partition(t.topic, p.partition);
        } catch (err) {
          failed = true;
          partitions.push({ partitionIndex: p.partition, errorCode: codeOf(err), highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: NO_RECORDS });
          continue;
        }
        logs.push(pl);
        try {
          const limit = Math.min(p.partitionMaxBytes as number, Math.max(0, maxBytes - bytes));
          const r = await pl.read(p.fetchOffset, limit, bytes === 0);
          bytes += r.records.length;
          if (r.records.length) {
            const c = partitionCounters(t.topic, p.partition);
            c.bytesOut.inc(r.records.length);
            let n = 0;
            forEachBatch(r.records, (h) => (n += h.recordCount));
            c.recordsOut.inc(n);
          }
          partitions.push({ partitionIndex: p.partition, errorCode: 0, highWatermark: r.highWatermark, lastStableOffset: r.lastStableOffset, logStartOffset: r.logStartOffset, abortedTransactions: null, records: r.records });
        } catch (err) {
          failed = true;
          partitions.push({ partitionIndex: p.partition, errorCode: note(err, "fetch"), highWatermark: pl.highWatermark, lastStableOffset: pl.highWatermark, logStartOffset: pl.logStartOffset, records: NO_RECORDS });
        }
      }
      responses.push({ topic: t.topic, partitions });
    }
    return { response: { errorCode: 0, sessionId: 0, responses }, bytes, logs, failed };
  }

  // ---- ListOffsets ----
  async listOffsets(req: Body, info: RequestInfo): Promise<Body> {
    const slices = new Slices();
    const topics = [];
    for (const t of req.topics as Body[]) {
      const partitions = [];
      for (const p of t.partitions as Body[]) {
        if (slices.due) await slices.next();
        try {
          const pl = this.b.logs.partition(t.name, p.partitionIndex);
          const ts = p.timestamp as number;
          if (info.apiVersion === 0) {
            partitions.push({ partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: pl.offsetsBefore(ts, p.maxNumOffsets) });
            continue;
          }
          let found: { offset: number; timestamp: number } | null;
          if (ts === -1) found = { offset: pl.highWatermark, timestamp: -1 };
          else if (ts === -2) found = { offset: pl.logStartOffset, timestamp: -1 };
          else if (ts === -3) found = pl.maxTimestamp() ?? { offset: -1, timestamp: -1 };
          else found = (await pl.offsetForTimestamp(ts)) ?? { offset: -1, timestamp: -1 };
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: 0, timestamp: found.timestamp, offset: found.offset, leaderEpoch: LEADER_EPOCH });
        } catch (err) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: note(err, "list offsets"), oldStyleOffsets: [], timestamp: -1, offset: -1 });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { topics };
  }

  // ---- OffsetForLeaderEpoch ----
  /**
   * Every partition has had one leader (this broker) at epoch 0, so epoch 0 ends at the log end
   * offset and a later epoch is unknown. Clients call this after a Metadata response carries
   * leader epochs, to check that their position is not past a truncation.
   */
  offsetForLeaderEpoch(req: Body, _info: RequestInfo): Body {
    return {
      topics: (req.topics as Body[]).map((t) => ({
        topic: t.topic,
        partitions: (t.partitions as Body[]).map((p) => {
          try {
            const pl = this.b.logs.partition(t.topic, p.partition);
            if ((p.currentLeaderEpoch as number) > LEADER_EPOCH) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, `leader epoch ${p.currentLeaderEpoch} is newer than ${LEADER_EPOCH}`);
            if ((p.leaderEpoch as number) > LEADER_EPOCH) return { errorCode: 0, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
            return { errorCode: 0, partition: p.partition, leaderEpoch: LEADER_EPOCH, endOffset: pl.logEndOffset };
          } catch (err) {
            return { errorCode: note(err, "offset for leader epoch"), partition: p.partition, leaderEpoch: -1, endOffset: -1 };
          }
        }),
      })),
    };
  }

  // ---- coordinator lookup ----
  findCoordinator(req: Body, info: RequestInfo): Body {
    const me = { nodeId: this.b.nodeId, host: this.b.advertisedHost, port: this.b.advertisedPort() };
    if (info.apiVersion >= 4) return { coordinators: (req.coordinatorKeys as string[]).map((key) => ({ key, ...me, errorCode: 0, errorMessage: null })) };
    return { errorCode: 0, errorMessage: null, ...me };
  }

  // ---- topics ----
  /**
   * Topics past the first MAX_TOPICS_CREATED_PER_REQUEST get THROTTLING_QUOTA_EXCEEDED, as Kafka
   * answers the topics over its controller mutation quota: Java's admin client creates them in
   * a retry by itself; other clients show the message.
   */
  async createTopics(req: Body, _info: RequestInfo): Promise<Body> {
    const all = req.topics as Body[];
    const checked = all.map((t, i) => (i < MAX_TOPICS_CREATED_PER_REQUEST ? this.topicRequest(t) : new KafkaError(ErrorCode.THROTTLING_QUOTA_EXCEEDED, `at most ${MAX_TOPICS_CREATED_PER_REQUEST} topics are created per request; send the rest again`)));
    const valid = checked.filter((c): c is ReplicatedTopicRequest => !(c instanceof KafkaError));
    const created = await this.createTopicsHere(valid, { validateOnly: req.validateOnly });
    let next = 0;
    return {
      topics: all.map((t, i) => {
        const c = checked[i] instanceof KafkaError ? checked[i] : created[next++];
        if (c instanceof KafkaError) return { name: t.name, errorCode: note(c, "create topic"), errorMessage: c.message, configs: null };
        return {
          name: t.name,
          topicId: c.topicId,
          errorCode: 0,
          errorMessage: null,
          numPartitions: c.partitions,
          replicationFactor: this.b.cluster?.metadata().topics.get(c.name)?.partitions[0]?.replicas.length ?? 1,
          configs: Object.entries(c.configs).map(([name, value]) => ({ name, value, readOnly: false, configSource: 1, isSensitive: false })),
        };
      }),
    };
  }

  /** A CreateTopics entry as a topic to create, after the checks only a request can fail (replication, assignments). */
  private topicRequest(t: Body): ReplicatedTopicRequest | KafkaError {
    const assignments = t.assignments as Body[];
    if (this.b.cluster) return this.replicatedTopicRequest(t as CreatableTopic);
    if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && assignments.length === 0) {
      return new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${t.replicationFactor} larger than available brokers: 1.`);
    }
    if (assignments.length > 0 && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
      return new KafkaError(ErrorCode.INVALID_REQUEST, "give either replica assignments or numPartitions and replicationFactor, not both (set the latter to -1)");
    }
    for (const [i, a] of assignments.entries()) {
      const ids = a.brokerIds as number[];
      if (a.partitionIndex !== i) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments must name partitions 0 to ${assignments.length - 1} in order`);
      if (ids.length !== 1 || ids[0] !== this.b.nodeId) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${i} is assigned to brokers [${ids.join(", ")}]; this cluster has only broker ${this.b.nodeId}`);
    }
    const partitions = assignments.length || (t.numPartitions === -1 ? this.b.numPartitions : t.numPartitions);
    return { name: t.name, partitions, configs: Object.fromEntries((t.configs as Body[]).map((c) => [c.name, c.value])) };
  }

  /** In a cluster the replicas are the cluster's to check (live brokers); here only the request's shape. */
  private replicatedTopicRequest(t: CreatableTopic): ReplicatedTopicRequest | KafkaError {
    const { assignments } = t;
    if (assignments.length > 0 && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
      return new KafkaError(ErrorCode.INVALID_REQUEST, "give either replica assignments or numPartitions and replicationFactor, not both (set the latter to -1)");
    }
    if (assignments.some((a, i) => a.partitionIndex !== i)) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments must name partitions 0 to ${assignments.length - 1} in order`);
    if (t.replicationFactor !== -1 && t.replicationFactor < 1) return new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be at least 1, got ${t.replicationFactor}`);
    const configs = Object.fromEntries(t.configs.map((c) => [c.name, c.value]));
    if (assignments.length) return { name: t.name, partitions: assignments.length, configs, assignment: assignments.map((a) => a.brokerIds) };
    return { name: t.name, partitions: t.numPartitions === -1 ? this.b.numPartitions : t.numPartitions, configs, replicationFactor: t.replicationFactor === -1 ? undefined : t.replicationFactor };
  }

  async deleteTopics(req: Body, info: RequestInfo): Promise<Body> {
    const targets: { name: string | null; topicId?: string }[] = info.apiVersion >= 6 ? (req.topics as Body[]).map((t) => ({ name: t.name, topicId: t.topicId })) : (req.topicNames as string[]).map((name) => ({ name }));
    const responses = [];
    for (const t of targets) {
      const name = t.name ?? (t.topicId ? this.b.logs.topicById(t.topicId)?.name : undefined) ?? null;
      try {
        if (!name) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, "no topic with this id");
        if (name === OFFSETS_TOPIC) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${OFFSETS_TOPIC} is internal and holds every group's committed offsets; delete groups with DeleteGroups instead`);
        await this.b.logs.deleteTopic(name);
        forgetTopic(name);
        responses.push({ name, topicId: t.topicId, errorCode: 0, errorMessage: null });
      } catch (err) {
        responses.push({ name, topicId: t.topicId, errorCode: note(err, "delete topic"), errorMessage: errorMessage(err) });
      }
    }
    return { responses };
  }

  async createPartitions(req: Body, _info: RequestInfo): Promise<Body> {
    const results = [];
    for (const t of req.topics as Body[]) {
      try {
        await this.b.logs.createPartitions(t.name, t.count, req.validateOnly);
        results.push({ name: t.name, errorCode: 0, errorMessage: null });
      } catch (err) {
        results.push({ name: t.name, errorCode: note(err, "create partitions"), errorMessage: errorMessage(err) });
      }
    }
    return { results };
  }

  deleteRecords(req: Body, _info: RequestInfo): Body {
    return {
      topics: (req.topics as Body[]).map((t) => ({
        name: t.name,
        partitions: (t.partitions as Body[]).map((p) => {
          try {
            const low = this.b.logs.partition(t.name, p.partitionIndex).deleteRecordsBefore(p.offset);
            return { partitionIndex: p.partitionIndex, lowWatermark: low, errorCode: 0 };
          } catch (err) {
            return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: note(err, "delete records") };
          }
        }),
      })),
    };
  }

  // ---- configs ----
  async describeConfigs(req: Body, _info: RequestInfo): Promise<Body> {
    return {
      results: await mapInSlices(req.resources as Body[], (r) => {
        const keys = r.configurationKeys as string[] | null;
        const pick = (name: string) => !keys || keys.length === 0 || keys.includes(name);
        try {
          let configs;
          if (r.resourceType === RESOURCE_TOPIC) {
            configs = this.b.logs
              .describeConfigs(r.resourceName)
              .filter((c) => pick(c.name))
              .map((c) => ({
                name: c.name,
                value: c.value,
                readOnly: c.readOnly,
                isDefault: c.isDefault,
                configSource: c.isDefault ? 5 : 1,
                isSensitive: false,
                synonyms: req.includeSynonyms ? [{ name: c.name, value: c.value, source: c.isDefault ? 5 : 1 }] : [],
                configType: CONFIG_TYPES[TOPIC_CONFIGS[c.name]?.kind] ?? 0,
                documentation: req.includeDocumentation ? c.doc : null,
              }));
          } else if (r.resourceType === RESOURCE_BROKER) {
            configs = Object.entries(brokerConfigs(this.b))
              .filter(([name]) => pick(name))
              .map(([name, value]) => ({ name, value, readOnly: true, isDefault: false, configSource: 4, isSensitive: false, synonyms: [], configType: 0, documentation: null }));
          } else {
            throw new KafkaError(ErrorCode.INVALID_REQUEST, `resource type ${r.resourceType} is not supported`);
          }
          return { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs };
        } catch (err) {
          return { errorCode: note(err, "describe configs"), errorMessage: errorMessage(err), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
        }
      }),
    };
  }

  private async alter(req: Body, apply: (r: Body) => Promise<void>): Promise<Body> {
    const responses = [];
    for (const r of req.resources as Body[]) {
      try {
        if (r.resourceType !== RESOURCE_TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, "only topic configs can be altered on this broker");
        await apply(r);
        responses.push({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
      } catch (err) {
        responses.push({ errorCode: note(err, "alter configs"), errorMessage: errorMessage(err), resourceType: r.resourceType, resourceName: r.resourceName });
      }
    }
    return { responses };
  }

  alterConfigs(req: Body, _info: RequestInfo): Promise<Body> {
    return this.alter(req, (r) => this.b.logs.alterConfigs(r.resourceName, Object.fromEntries((r.configs as Body[]).map((c) => [c.name, c.value])), req.validateOnly));
  }

  incrementalAlterConfigs(req: Body, _info: RequestInfo): Promise<Body> {
    const ops = ["set", "delete", "append", "subtract"] as const;
    return this.alter(req, (r) =>
      this.b.logs.incrementalAlterConfigs(
        r.resourceName,
        (r.configs as Body[]).map((c) => {
          const op = ops[c.configOperation as number];
          if (!op) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown config operation ${c.configOperation}`);
          return { name: c.name, op, value: c.value };
        }),
        req.validateOnly,
      ),
    );
  }

  /**
   * Transactions do not exist yet. InitProducerId has no error message field, so the code is
   * chosen for what clients print: INVALID_REQUEST reads "…sent to an incompatible broker. See
   * the broker logs for more details." (Java, kafkajs) and fails at once, and the log says why.
   */
  async initProducerId(req: Body, info: RequestInfo): Promise<Body> {
    if (req.transactionalId != null) {
      log.warn({ clientId: info.clientId, client: info.clientHost, transactionalId: req.transactionalId }, TRANSACTIONS_UNSUPPORTED);
      return { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 };
    }
    try {
      return { errorCode: 0, ...(await this.b.logs.initProducerId()) };
    } catch (err) {
      return { errorCode: note(err, "init producer id"), producerId: -1, producerEpoch: -1 };
    }
  }

  /** The one log directory and the bytes of every (asked) partition in it; a single node has no replica lag. */
  describeLogDirs(req: Body, _info: RequestInfo): Body {
    const wanted = req.topics as { topic: string; partitions: number[] }[] | null;
    const logs = this.b.logs;
    const topics = (wanted ?? logs.topics().map((t) => ({ topic: t.name, partitions: logs.partitions(t.name).map((p) => p.partition) })))
      .filter((t) => logs.topic(t.topic))
      .map((t) => ({
        name: t.topic,
        partitions: logs.partitions(t.topic).filter((p) => t.partitions.includes(p.partition)).map((p) => ({ partitionIndex: p.partition, partitionSize: p.sizeBytes, offsetLag: 0, isFutureKey: false })),
      }));
    return { errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: logs.logDir, topics }] };
  }

  describeCluster(_req: Body, _info: RequestInfo): Body {
    const view = this.clusterView();
    return { errorCode: 0, clusterId: view.clusterId, controllerId: view.controllerId, brokers: view.brokers.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })) };
  }
}

