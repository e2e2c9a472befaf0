import { ErrorCode } from "../errors";
import { APIS, ApiKey } from "../messages";
import { KafkaClientError } from "./errors";

/**
 * The lowest version of each API this client sends, where our specs reach further down than the
 * client's needs: record batches v2 need Produce ≥ 3 and Fetch ≥ 4; ListOffsets v0 answers with
 * offset lists; Metadata v0 cannot ask for all topics; OffsetFetch below 2 cannot either.
 */
const CLIENT_MIN: Partial<Record<number, number>> = {
  [ApiKey.Produce]: 3,
  [ApiKey.Fetch]: 4,
  [ApiKey.ListOffsets]: 1,
  [ApiKey.Metadata]: 1,
  [ApiKey.OffsetFetch]: 2,
  [ApiKey.SaslHandshake]: 1,
};

export interface VersionRange {
  min: number;
  max: number;
}

/** What a broker advertised in ApiVersions, by API key. */
export type BrokerVersions = Map<number, VersionRange>;

/**
 * The highest version both sides speak: ours (the spec's range, raised to the client's minimum)
 * intersected with what the broker advertised. Brokers drop old versions (Kafka 4, KIP-896) and
 * add new ones; only the overlap is safe.
 */
export function pickVersion(apiKey: number, broker: BrokerVersions, where: string): number {
  const spec = APIS.get(apiKey);
  if (!spec) throw new Error(`no spec for API key ${apiKey}`);
  const theirs = broker.get(apiKey);
  const min = Math.max(spec.minVersion, CLIENT_MIN[apiKey] ?? 0, theirs?.min ?? Infinity);
  const max = Math.min(spec.maxVersion, theirs?.max ?? -1);
  if (min > max) {
    const advertised = theirs ? `v${theirs.min}-${theirs.max}` : "not at all";
    throw new KafkaClientError(ErrorCode.UNSUPPORTED_VERSION, `${spec.name} to ${where}`, {
      retriable: false,
      detail: `the broker offers it ${advertised}, this client speaks v${Math.max(spec.minVersion, CLIENT_MIN[apiKey] ?? 0)}-${spec.maxVersion}`,
    });
  }
  return max;
}
