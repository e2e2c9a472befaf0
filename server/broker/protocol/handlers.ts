import { codeOf, ErrorCode, errorName, KafkaError } from "../../kafka/errors";
import type { GroupCoordinator } from "../groups/coordinator";
import type { LogManager } from "../log/log-manager";
import { InvalidRecordsError, type PartitionLog } from "../log/partition-log";
import { OFFSETS_TOPIC } from "../groups/offsets-store";
import { TOPIC_CONFIGS } from "../log/configs";
import { forgetTopic, partitionCounters } from "../metrics";
import { forEachBatch } from "../../kafka/records/batch";
import { logger } from "../../log";

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
}

export interface RequestInfo {
  apiVersion: number;
  clientId: string;
  clientHost: string;
  /** Aborted when the connection closes, so a long poll stops waiting. */
  signal: AbortSignal;
}

const RESOURCE_TOPIC = 2;
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
    "default.replication.factor": "1",
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

  private ensureTopic(name: string, allowCreate: boolean): boolean {
    if (this.b.logs.topic(name)) return true;
    if (!allowCreate || !this.b.autoCreateTopics) return false;
    this.b.logs.createTopic(name, { partitions: this.b.numPartitions });
    return true;
  }

  // ---- Metadata ----
  metadata(req: Body, info: RequestInfo): Body {
    const v = info.apiVersion;
    const wanted = req.topics as Body[] | null;
    const all = wanted === null || (v === 0 && wanted.length === 0);
    const allowCreate = v < 4 || req.allowAutoTopicCreation !== false;
    const describe = (name: string) => {
      const t = this.b.logs.topic(name)!;
      return {
        errorCode: ErrorCode.NONE,
        name,
        topicId: t.topicId,
        isInternal: name === OFFSETS_TOPIC,
        partitions: Array.from({ length: t.partitions }, (_, p) => ({ errorCode: 0, partitionIndex: p, leaderId: this.b.nodeId, leaderEpoch: LEADER_EPOCH, replicaNodes: [this.b.nodeId], isrNodes: [this.b.nodeId], offlineReplicas: [] })),
      };
    };
    const topics = all
      ? this.b.logs.topics().map((t) => describe(t.name))
      : wanted!.map((w) => {
          let name: string | null = w.name;
          if (!name && w.topicId) name = this.b.logs.topicById(w.topicId)?.name ?? null;
          if (!name) return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: w.topicId, partitions: [] };
          try {
            if (this.ensureTopic(name, allowCreate)) return describe(name);
          } catch (err) {
            return { errorCode: note(err, "auto-create"), name, partitions: [] };
          }
          return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
        });
    return {
      brokers: [{ nodeId: this.b.nodeId, host: this.b.advertisedHost, port: this.b.advertisedPort(), rack: null }],
      clusterId: this.b.logs.clusterId,
      controllerId: this.b.nodeId,
      topics,
    };
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
    const responses = await Promise.all(
      (req.topicData as Body[]).map(async (t) => {
        let exists = false;
        let topicError: unknown;
        try {
          // Clients must not write the broker's own offsets topic: a foreign record there would make
          // committed offsets unreadable on the next start. Kafka refuses it the same way.
          if (t.name === OFFSETS_TOPIC) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${OFFSETS_TOPIC} is internal: the broker writes it; commit offsets with OffsetCommit`);
          exists = this.ensureTopic(t.name, true);
        } catch (err) {
          topicError = err;
        }
        const partitionResponses = await Promise.all(
          (t.partitionData as Body[]).map(async (p) => {
            if (topicError || !exists) return { index: p.index, errorCode: topicError ? codeOf(topicError) : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, errorMessage: errorMessage(topicError) };
            try {
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
    let bytes = 0;
    let failed = false;
    const logs: PartitionLog[] = [];
    const responses = [];
    for (const t of req.topics as Body[]) {
      const partitions = [];
      for (const p of t.partitions as Body[]) {
        let pl: PartitionLog;
        try {
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
    const topics = [];
    for (const t of req.topics as Body[]) {
      const partitions = [];
      for (const p of t.partitions as Body[]) {
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
  createTopics(req: Body, _info: RequestInfo): Body {
    return {
      topics: (req.topics as Body[]).map((t) => {
        try {
          if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && (t.assignments as Body[]).length === 0) {
            throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${t.replicationFactor} larger than available brokers: 1.`);
          }
          const assignments = t.assignments as Body[];
          if (assignments.length > 0 && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
            throw new KafkaError(ErrorCode.INVALID_REQUEST, "give either replica assignments or numPartitions and replicationFactor, not both (set the latter to -1)");
          }
          assignments.forEach((a, i) => {
            const ids = a.brokerIds as number[];
            if (a.partitionIndex !== i) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments must name partitions 0 to ${assignments.length - 1} in order`);
            if (ids.length !== 1 || ids[0] !== this.b.nodeId) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${i} is assigned to brokers [${ids.join(", ")}]; this cluster has only broker ${this.b.nodeId}`);
          });
          const partitions = assignments.length || (t.numPartitions === -1 ? this.b.numPartitions : t.numPartitions);
          const configs = Object.fromEntries((t.configs as Body[]).map((c) => [c.name, c.value]));
          const created = this.b.logs.createTopic(t.name, { partitions, configs, validateOnly: req.validateOnly });
          return {
            name: t.name,
            topicId: created.topicId,
            errorCode: 0,
            errorMessage: null,
            numPartitions: partitions,
            replicationFactor: 1,
            configs: Object.entries(created.configs).map(([name, value]) => ({ name, value, readOnly: false, configSource: 1, isSensitive: false })),
          };
        } catch (err) {
          return { name: t.name, errorCode: note(err, "create topic"), errorMessage: errorMessage(err), configs: null };
        }
      }),
    };
  }

  deleteTopics(req: Body, info: RequestInfo): Body {
    const targets: { name: string | null; topicId?: string }[] = info.apiVersion >= 6 ? (req.topics as Body[]).map((t) => ({ name: t.name, topicId: t.topicId })) : (req.topicNames as string[]).map((name) => ({ name }));
    return {
      responses: targets.map((t) => {
        const name = t.name ?? (t.topicId ? this.b.logs.topicById(t.topicId)?.name : undefined) ?? null;
        try {
          if (!name) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, "no topic with this id");
          if (name === OFFSETS_TOPIC) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${OFFSETS_TOPIC} is internal and holds every group's committed offsets; delete groups with DeleteGroups instead`);
          this.b.logs.deleteTopic(name);
          forgetTopic(name);
          return { name, topicId: t.topicId, errorCode: 0, errorMessage: null };
        } catch (err) {
          return { name, topicId: t.topicId, errorCode: note(err, "delete topic"), errorMessage: errorMessage(err) };
        }
      }),
    };
  }

  createPartitions(req: Body, _info: RequestInfo): Body {
    return {
      results: (req.topics as Body[]).map((t) => {
        try {
          this.b.logs.createPartitions(t.name, t.count, req.validateOnly);
          return { name: t.name, errorCode: 0, errorMessage: null };
        } catch (err) {
          return { name: t.name, errorCode: note(err, "create partitions"), errorMessage: errorMessage(err) };
        }
      }),
    };
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
  describeConfigs(req: Body, _info: RequestInfo): Body {
    return {
      results: (req.resources as Body[]).map((r) => {
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

  private alter(req: Body, apply: (r: Body) => void): Body {
    return {
      responses: (req.resources as Body[]).map((r) => {
        try {
          if (r.resourceType !== RESOURCE_TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, "only topic configs can be altered on this broker");
          apply(r);
          return { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
        } catch (err) {
          return { errorCode: note(err, "alter configs"), errorMessage: errorMessage(err), resourceType: r.resourceType, resourceName: r.resourceName };
        }
      }),
    };
  }

  alterConfigs(req: Body, _info: RequestInfo): Body {
    return this.alter(req, (r) => this.b.logs.alterConfigs(r.resourceName, Object.fromEntries((r.configs as Body[]).map((c) => [c.name, c.value])), req.validateOnly));
  }

  incrementalAlterConfigs(req: Body, _info: RequestInfo): Body {
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
  initProducerId(req: Body, info: RequestInfo): Body {
    if (req.transactionalId != null) {
      log.warn({ clientId: info.clientId, client: info.clientHost, transactionalId: req.transactionalId }, TRANSACTIONS_UNSUPPORTED);
      return { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 };
    }
    return { errorCode: 0, ...this.b.logs.initProducerId() };
  }

  describeCluster(_req: Body, _info: RequestInfo): Body {
    return {
      errorCode: 0,
      clusterId: this.b.logs.clusterId,
      controllerId: this.b.nodeId,
      brokers: [{ brokerId: this.b.nodeId, host: this.b.advertisedHost, port: this.b.advertisedPort(), rack: null }],
    };
  }
}

