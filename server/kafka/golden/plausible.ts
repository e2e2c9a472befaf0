import { ErrorCode } from "../errors";
import type { Field } from "../schema";

/**
 * Round trips cannot catch two fields of one type declared in the wrong order: they decode and
 * encode alike. What the captures do pin down is what those fields held — an acks of 500 or an
 * error code of 30000 means a spec read the neighbouring field. These are the ranges the capture
 * scenarios stay within (one broker, node 0, a few small partitions, current timestamps).
 */
type Check = (v: unknown) => boolean;

const int = (lo: number, hi: number): Check => (v) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
const oneOf = (...allowed: number[]): Check => (v) => allowed.includes(v as number);
const either = (...checks: Check[]): Check => (v) => checks.some((c) => c(v));

const KNOWN_ERRORS = new Set<number>(Object.values(ErrorCode));
const NOW_MS = int(1_500_000_000_000, 4_100_000_000_000);
const OFFSET = int(-2, 1_000_000);
const EPOCH = int(-1, 1_000);
const NODE = int(-1, 0);
const PARTITION = int(0, 63);
const DURATION_MS = int(-1, 3_600_000);

const RULES: Record<string, Check> = {
  errorCode: (v) => KNOWN_ERRORS.has(v as number),
  topicConfigErrorCode: (v) => KNOWN_ERRORS.has(v as number),
  acks: oneOf(-1, 0, 1),
  isolationLevel: oneOf(0, 1),
  replicaId: oneOf(-1, -2), // a consumer, or Kafka's debugging replica (OffsetForLeaderEpoch's default)
  keyType: oneOf(0, 1),
  resourceType: oneOf(2, 4),
  configOperation: int(0, 3),
  configSource: int(-1, 8),
  source: int(-1, 8),
  configType: int(0, 9),
  partitionIndex: PARTITION,
  partition: PARTITION,
  index: PARTITION,
  batchIndex: int(0, 1_000),
  nodeId: NODE,
  leaderId: NODE,
  brokerId: NODE,
  controllerId: NODE,
  preferredReadReplica: NODE,
  port: int(1, 65_535),
  numPartitions: int(-1, 64),
  count: int(1, 64),
  replicationFactor: int(-1, 1),
  throttleTimeMs: int(0, 60_000),
  timeoutMs: DURATION_MS,
  maxWaitMs: DURATION_MS,
  sessionTimeoutMs: DURATION_MS,
  rebalanceTimeoutMs: DURATION_MS,
  transactionTimeoutMs: DURATION_MS,
  retentionTimeMs: either(oneOf(-1), int(0, 30 * 86_400_000)),
  sessionLifetimeMs: int(0, 86_400_000),
  timestamp: either(int(-3, -1), int(0, 0), NOW_MS),
  commitTimestamp: either(oneOf(-1), NOW_MS),
  logAppendTimeMs: either(oneOf(-1), NOW_MS),
  fetchOffset: OFFSET,
  committedOffset: OFFSET,
  offset: OFFSET,
  highWatermark: OFFSET,
  lastStableOffset: OFFSET,
  logStartOffset: OFFSET,
  lowWatermark: OFFSET,
  baseOffset: OFFSET,
  endOffset: OFFSET,
  firstOffset: OFFSET,
  leaderEpoch: EPOCH,
  currentLeaderEpoch: EPOCH,
  committedLeaderEpoch: EPOCH,
  lastFetchedEpoch: EPOCH,
  generationId: int(-1, 1_000_000),
  generationIdOrMemberEpoch: int(-1, 1_000_000),
  producerId: int(-1, 2 ** 53),
  producerEpoch: int(-1, 32_767),
  apiKey: int(0, 100),
  minVersion: int(0, 20),
  maxVersion: int(0, 20),
};

/** Strings the protocol carries (names, ids, hosts, messages) are text; a misread length makes them binary. */
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Paths (as field.sub[i].field) whose value is outside what its field name allows; only fields the version carries are read. */
export function implausible(fields: Field[], decoded: object, version: number, path = ""): string[] {
  const body = decoded as Record<string, unknown>;
  const out: string[] = [];
  for (const f of fields) {
    if (version < f.versions.min || version > f.versions.max) continue;
    const at = path ? `${path}.${f.name}` : f.name;
    const values = f.array && Array.isArray(body[f.name]) ? (body[f.name] as unknown[]) : [body[f.name]];
    values.forEach((v, i) => {
      const where = f.array ? `${at}[${i}]` : at;
      if (f.type === "struct") {
        if (v) out.push(...implausible(f.fields, v, version, where));
        return;
      }
      const rule = RULES[f.name];
      if (rule && !rule(v)) out.push(`${where} = ${JSON.stringify(v)}`);
      if (typeof v === "string" && !PRINTABLE.test(v)) out.push(`${where} = ${JSON.stringify(v)} is not text`);
    });
  }
  return out;
}
