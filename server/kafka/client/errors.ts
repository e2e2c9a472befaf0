import { ErrorCode, errorName } from "../errors";

/**
 * Codes a request may succeed after: the leader moved, a coordinator is loading, a connection
 * dropped. Kafka's own RetriableException subclasses, by code.
 */
const RETRIABLE = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  9, // REPLICA_NOT_AVAILABLE
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.NOT_CONTROLLER,
  51, // CONCURRENT_TRANSACTIONS
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  ErrorCode.INVALID_FETCH_SESSION_EPOCH,
  72, // LISTENER_NOT_FOUND
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  80, // PREFERRED_LEADER_NOT_AVAILABLE
  ErrorCode.UNSTABLE_OFFSET_COMMIT,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

/** Names errors.ts does not carry (codes a single-node broker never sends, but clusters do). */
const MORE_NAMES: Record<number, string> = {
  9: "REPLICA_NOT_AVAILABLE",
  19: "NOT_ENOUGH_REPLICAS",
  20: "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  51: "CONCURRENT_TRANSACTIONS",
  72: "LISTENER_NOT_FOUND",
  80: "PREFERRED_LEADER_NOT_AVAILABLE",
  81: "GROUP_MAX_SIZE_REACHED",
  90: "PRODUCER_FENCED",
};

/** What a person can do about an error the cluster returned, appended to its message. */
const HINTS: Record<number, string> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: "create the topic or check its name and partition",
  [ErrorCode.TOPIC_ALREADY_EXISTS]: "pick another topic name",
  [ErrorCode.INVALID_PARTITIONS]: "use at least one partition, and more than the topic has when adding",
  [ErrorCode.INVALID_REPLICATION_FACTOR]: "use a replication factor no larger than the number of brokers",
  [ErrorCode.INVALID_CONFIG]: "check the config names and values",
  [ErrorCode.MESSAGE_TOO_LARGE]: "send smaller records or raise the topic's max.message.bytes",
  [ErrorCode.SASL_AUTHENTICATION_FAILED]: "check the SASL username, password and mechanism",
  [ErrorCode.UNSUPPORTED_SASL_MECHANISM]: "pick a SASL mechanism the broker enables",
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED]: "grant this user access to the topic",
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: "grant this user access to the group",
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]: "grant this user cluster access",
  [ErrorCode.NON_EMPTY_GROUP]: "stop the group's consumers first",
  [ErrorCode.GROUP_ID_NOT_FOUND]: "check the group id",
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]: "stop the consumers subscribed to the topic first",
  [ErrorCode.UNSUPPORTED_VERSION]: "upgrade the broker, or use a client that speaks its versions",
  [ErrorCode.NETWORK_EXCEPTION]: "check that the broker runs and is reachable at the advertised address",
  [ErrorCode.REQUEST_TIMED_OUT]: "check the broker's health, or raise the request timeout",
  [ErrorCode.OFFSET_OUT_OF_RANGE]: "start from the earliest or latest offset instead",
  [ErrorCode.INVALID_RECORD]: "check the records sent (keys of a compacted topic must not be null)",
  [ErrorCode.POLICY_VIOLATION]: "the cluster's policy forbids this change; ask its operator",
};

function errorType(code: number): string {
  return MORE_NAMES[code] ?? errorName(code);
}

function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}

/**
 * Every failure the client reports: a Kafka error code (a broker's answer, or NETWORK_EXCEPTION /
 * REQUEST_TIMED_OUT / UNSUPPORTED_VERSION / SASL_AUTHENTICATION_FAILED for what happened on the
 * way), its name, whether retrying can help, and a message that says what to do.
 */
export class KafkaClientError extends Error {
  readonly type: string;
  readonly retriable: boolean;
  // Private, so loggers that print an error's own fields do not print the message twice.
  readonly #summary: string;

  constructor(
    readonly code: number,
    what: string,
    opts: { retriable?: boolean; cause?: unknown; detail?: string | null } = {},
  ) {
    const type = errorType(code);
    const hint = HINTS[code];
    const summary = `${what}: ${type}${opts.detail ? ` (${opts.detail})` : ""}`;
    super(`${summary}${hint ? `; ${hint}` : ""}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.#summary = summary;
    this.name = "KafkaClientError";
    this.type = type;
    this.retriable = opts.retriable ?? isRetriable(code);
  }

  /** The message without its hint, for an error that wraps this one and gives the hint itself. */
  get summary(): string {
    return this.#summary;
  }
}

/** Throws a KafkaClientError for a non-zero error code in a response. */
export function check(code: number, what: string, detail?: string | null): void {
  if (code !== ErrorCode.NONE) throw new KafkaClientError(code, what, { detail });
}

export function isRetriableError(err: unknown): boolean {
  return err instanceof KafkaClientError && err.retriable;
}
