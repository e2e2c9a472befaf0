import { TRPCError } from "@trpc/server";
import { KafkaClientError, KafkaProduceError } from "../kafka/client";
import { ErrorCode } from "../kafka/errors";
import { BrowseInputError, RecordDecodeError } from "./browse";
import { UnknownCluster } from "./clusters";
import { GroupBusyError, GroupError, StalePreviewError } from "./groups";
import { ResetError } from "./offset-reset";
import { ReassignError, StaleMoveError } from "./reassign";
import { TopicNotFound } from "./topics";
import { TransactionNotOpen } from "./transactions";

type Code = TRPCError["code"];

/** What the console does with each answer a cluster can give: its tRPC code. */
const BY_KAFKA_CODE = new Map<number, Code>([
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "NOT_FOUND"],
  [ErrorCode.UNKNOWN_TOPIC_ID, "NOT_FOUND"],
  [ErrorCode.GROUP_ID_NOT_FOUND, "NOT_FOUND"],
  [ErrorCode.TOPIC_ALREADY_EXISTS, "CONFLICT"],
  [ErrorCode.NON_EMPTY_GROUP, "CONFLICT"],
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, "CONFLICT"],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, "FORBIDDEN"],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED, "FORBIDDEN"],
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "FORBIDDEN"],
]);
const UNREACHABLE = new Set<number>([ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT]);
const LOGIN = new Set<number>([ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.UNSUPPORTED_SASL_MECHANISM, ErrorCode.ILLEGAL_SASL_STATE]);

/** The console's own failures, each the user's to act on, by class. */
const OURS: [new (...args: never[]) => Error, Code][] = [
  [UnknownCluster, "NOT_FOUND"],
  [TopicNotFound, "NOT_FOUND"],
  [BrowseInputError, "BAD_REQUEST"],
  [StalePreviewError, "CONFLICT"],
  [ResetError, "BAD_REQUEST"],
  [StaleMoveError, "CONFLICT"],
  [ReassignError, "BAD_REQUEST"],
  [GroupBusyError, "CONFLICT"],
  [GroupError, "NOT_FOUND"],
  [TransactionNotOpen, "CONFLICT"],
  [RecordDecodeError, "INTERNAL_SERVER_ERROR"],
];

function fromClient(e: KafkaClientError, cluster: string): TRPCError {
  // The client's message says what failed and, where it can, what to do; the console adds where.
  if (UNREACHABLE.has(e.code)) {
    return new TRPCError({ code: "PRECONDITION_FAILED", message: `Cluster ${cluster} did not answer (${e.message}). Check that it runs, or fix its settings on the Clusters page.`, cause: e });
  }
  if (LOGIN.has(e.code)) {
    return new TRPCError({ code: "PRECONDITION_FAILED", message: `Cluster ${cluster} refused the console's login (${e.message}). Fix the SASL settings on the Clusters page.`, cause: e });
  }
  const code = BY_KAFKA_CODE.get(e.code);
  if (code) return new TRPCError({ code, message: `Cluster ${cluster}: ${e.message}.`, cause: e });
  if (e.retriable) {
    // Still failing after the client's retries: a leader or coordinator that is moving or loading.
    return new TRPCError({ code: "PRECONDITION_FAILED", message: `Cluster ${cluster} is not ready (${e.message}). Try again in a moment, or check the cluster's health.`, cause: e });
  }
  return new TRPCError({ code: "BAD_REQUEST", message: `Cluster ${cluster}: ${e.message}.`, cause: e });
}

/**
 * Turns a failure of a console request into an error the console can show: a cluster that cannot
 * be reached says so and where to fix it; a cluster's answer (bad config, unknown topic) names what
 * to correct; the console's own failures (a filter, a batch it cannot decode) say they are the
 * console's. Anything else is a bug and is rethrown untouched.
 */
export function asUserError(err: unknown, cluster: string): unknown {
  if (err instanceof TRPCError) return err;
  // A send in which the cluster refused records fails as its first refusal.
  if (err instanceof KafkaProduceError) return asUserError(err.failures[0].error, cluster);
  if (err instanceof KafkaClientError) return fromClient(err, cluster);
  for (const [type, code] of OURS) if (err instanceof type) return new TRPCError({ code, message: err.message, cause: err });
  return err;
}

/** Runs a Kafka call for `cluster`, with its failures turned into errors the user can act on. */
export async function onCluster<T>(cluster: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asUserError(err, cluster);
  }
}
