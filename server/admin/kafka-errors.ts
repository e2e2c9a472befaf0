import { TRPCError } from "@trpc/server";
import kafkajs from "kafkajs";
import { UnknownCluster } from "./clusters";
import { KafkaRequestError } from "./kafka-requests";

const { KafkaJSError } = kafkajs;

const UNREACHABLE = new Set(["KafkaJSConnectionError", "KafkaJSConnectionClosedError", "KafkaJSRequestTimeoutError", "KafkaJSBrokerNotFound", "KafkaJSSASLAuthenticationError"]);

function rootCause(err: Error): Error {
  // kafkajs wraps the real failure in "number of retries exceeded"; the user needs the real one.
  let e: Error = err;
  while (e.name === "KafkaJSNumberOfRetriesExceeded" && (e as { cause?: Error }).cause) e = (e as { cause?: Error }).cause as Error;
  return e;
}

/**
 * Turns a Kafka client failure into an error the console can show: a cluster that cannot be
 * reached says so and where to fix it; a broker's refusal (bad config, unknown topic) is the
 * user's to correct. Anything else is ours and is rethrown untouched.
 */
export function asUserError(err: unknown, cluster: string): unknown {
  if (err instanceof TRPCError) return err;
  if (err instanceof UnknownCluster) return new TRPCError({ code: "NOT_FOUND", message: err.message, cause: err });
  if (err instanceof KafkaRequestError) return new TRPCError({ code: "NOT_FOUND", message: err.message, cause: err });
  if (err instanceof Error && err.name === "KafkaJSAggregateError") {
    // One error per topic of a CreateTopics request; the console sends one topic at a time.
    const errors = ((err as { errors?: Error[] }).errors ?? []).map((e) => asUserError(e, cluster));
    const first = errors.find((e): e is TRPCError => e instanceof TRPCError);
    return first ?? err;
  }
  if (!(err instanceof KafkaJSError)) return err;
  const e = rootCause(err);
  if (UNREACHABLE.has(e.name)) {
    return new TRPCError({
      code: "PRECONDITION_FAILED",
      message: `Cluster ${cluster} did not answer (${e.message}). Check that it runs, or fix its settings on the Clusters page.`,
      cause: err,
    });
  }
  const type = (e as { type?: string }).type;
  if (type === "UNKNOWN_TOPIC_OR_PARTITION") return new TRPCError({ code: "NOT_FOUND", message: `${e.message} Pick a topic from the Topics page.`, cause: err });
  if (type === "TOPIC_ALREADY_EXISTS") return new TRPCError({ code: "CONFLICT", message: "A topic with this name exists; pick another name.", cause: err });
  const nested = (e as { errors?: Error[] }).errors;
  const detail = nested?.length ? nested.map((x) => x.message).join("; ") : e.message;
  const hint = type === "INVALID_CONFIG" ? " Check the config names and values." : type === "INVALID_PARTITIONS" ? " Use at least one partition." : "";
  return new TRPCError({ code: "BAD_REQUEST", message: `The cluster refused: ${detail}.${hint}`, cause: err });
}

/** Runs a Kafka call for `cluster`, with its failures turned into errors the user can act on. */
export async function onCluster<T>(cluster: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asUserError(err, cluster);
  }
}
