import { codeOf, ErrorCode, errorName, KafkaError } from "../../kafka/errors";
import type { GroupCoordinator } from "../groups/coordinator";
import type { LogManager } from "../log/log-manager";
import { logger } from "../../log";

export const log = logger("broker.api");

/** What the handlers share: the broker's logs and groups, and how it presents itself to clients. */
export interface BrokerContext {
  logs: LogManager;
  groups: GroupCoordinator;
  nodeId: number;
  advertisedHost: string;
  advertisedPort: () => number;
  autoCreateTopics: boolean;
  numPartitions: number;
}

/** One broker, never a leader change: every partition stays at leader epoch 0. */
export const LEADER_EPOCH = 0;

/**
 * Topics one request may create (CreateTopics, or auto-creation by Metadata and Produce): each
 * request's work stays bounded, and so does the time others wait for the topic metadata write.
 */
export const MAX_TOPICS_CREATED_PER_REQUEST = 1000;

export const TRANSACTIONS_UNSUPPORTED = "transactions are not supported yet: use an idempotent producer without a transactional.id";

/** The text for a response's errorMessage: a Kafka error's own, or what failed unexpectedly. */
export function errorMessage(err: unknown): string | null {
  return err instanceof KafkaError ? err.message : err instanceof Error ? `${errorName(ErrorCode.UNKNOWN_SERVER_ERROR)}: ${err.message}` : null;
}

/** The error code for a failure; unexpected ones are logged, Kafka errors are part of normal operation. */
export function note(err: unknown, what: string): number {
  if (!(err instanceof KafkaError)) log.error({ err }, `${what} failed`);
  return codeOf(err);
}

/** The broker itself, as Metadata, FindCoordinator and DescribeCluster name it. */
export function self(b: BrokerContext): { nodeId: number; host: string; port: number } {
  return { nodeId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort() };
}

/**
 * The topics of a request that are not there (after waiting for any being created), each with
 * its error. Unknown ones are auto-created in one batch when allowed (auto.create.topics.enable),
 * at most MAX_TOPICS_CREATED_PER_REQUEST of them; the rest get LEADER_NOT_AVAILABLE, which
 * clients retry, so each retry creates the next batch, as Kafka answers while it creates a topic.
 */
export async function ensureTopics(b: BrokerContext, names: string[], allowCreate: boolean): Promise<Map<string, KafkaError>> {
  // Only when some are being created: without a wait, this request's own creations are under
  // way before the next request on the connection is looked at, so that one waits for them.
  const pending = names.map((n) => b.logs.creation(n)).filter((p) => p !== undefined);
  if (pending.length) await Promise.all(pending);
  const unknown = [...new Set(names.filter((n) => !b.logs.topic(n)))];
  const missing = new Map<string, KafkaError>();
  if (!allowCreate || !b.autoCreateTopics) {
    for (const n of unknown) missing.set(n, new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${n}' does not exist`));
    return missing;
  }
  const now = unknown.slice(0, MAX_TOPICS_CREATED_PER_REQUEST);
  for (const n of unknown.slice(MAX_TOPICS_CREATED_PER_REQUEST)) missing.set(n, new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `at most ${MAX_TOPICS_CREATED_PER_REQUEST} topics are auto-created per request; retry for the rest`));
  const results = await b.logs.createTopics(now.map((name) => ({ name, partitions: b.numPartitions })));
  results.forEach((r, i) => {
    // Another request may have created it meanwhile: then it is there.
    if (r instanceof KafkaError && r.code !== ErrorCode.TOPIC_ALREADY_EXISTS) missing.set(now[i], r);
  });
  return missing;
}
