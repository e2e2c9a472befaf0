/**
 * Floods a broker with malformed frames from several connections at once. Most frames are valid
 * requests of many APIs with a few bytes flipped (so they get past framing into the decoders and
 * handlers, as a fuzzer's do); the rest are random bytes under a random API key. Each connection
 * sends frames until the broker closes it, then reconnects. Usage: fuzz-child.ts <bootstrap>
 * <connections> <seconds>. Prints the number of frames sent as one JSON line at the end.
 */
import { connect } from "node:net";
import { Acks, CONSUMER_REPLICA_ID, ConfigResourceType, CoordinatorType, FetchSession, IsolationLevel, ListOffsetsTimestamp } from "../../kafka/constants";
import { Apis, type ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import { requestFrame, type RequestInputOf } from "../../kafka/protocol";
import { encodeRecordBatch } from "../../kafka/records/batch";

const [bootstrap, connections, seconds] = process.argv.slice(2);
const [host, port] = bootstrap.split(":");
const until = Date.now() + Number(seconds) * 1000;
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];

/** A valid request (header and body, without the size) to mutate. */
function template<N extends ApiName>(api: ApiSpec<N>, version: number, body: NoInfer<RequestInputOf<N>>): Buffer {
  return Buffer.concat(requestFrame(api, version, Math.floor(random() * 1e6), "fuzz", body).slice(1));
}

const records = encodeRecordBatch([{ key: Buffer.from("k"), value: Buffer.from("fuzz") }]);
const templates = [
  template(Apis.ApiVersions, 3, { clientSoftwareName: "fuzz", clientSoftwareVersion: "1" }),
  template(Apis.Metadata, 9, { topics: [{ name: "fuzzed" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }),
  template(Apis.Metadata, 1, { topics: [{ name: "fuzzed-old" }] }),
  template(Apis.Produce, 9, { transactionalId: null, acks: Acks.LEADER, timeoutMs: 1000, topicData: [{ name: "fuzzed", partitionData: [{ index: 0, records }] }] }),
  template(Apis.Fetch, 12, { replicaId: CONSUMER_REPLICA_ID, maxWaitMs: 10, minBytes: 1, maxBytes: 1 << 20, isolationLevel: IsolationLevel.READ_UNCOMMITTED, sessionId: FetchSession.NO_SESSION_ID, sessionEpoch: FetchSession.FINAL_EPOCH, topics: [{ topic: "fuzzed", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" }),
  template(Apis.ListOffsets, 7, { replicaId: CONSUMER_REPLICA_ID, isolationLevel: IsolationLevel.READ_UNCOMMITTED, topics: [{ name: "fuzzed", partitions: [{ partitionIndex: 0, timestamp: ListOffsetsTimestamp.LATEST }] }] }),
  template(Apis.CreateTopics, 7, { topics: [{ name: "fuzz-created", numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false }),
  template(Apis.FindCoordinator, 4, { keyType: CoordinatorType.GROUP, coordinatorKeys: ["fuzz-group"] }),
  template(Apis.JoinGroup, 9, { groupId: "fuzz-group", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("m") }], reason: null }),
  template(Apis.OffsetCommit, 8, { groupId: "fuzz-group", generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "fuzzed", partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
  template(Apis.DescribeConfigs, 4, { resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: "fuzzed", configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
];

function frame(): Buffer {
  let body: Buffer;
  if (random() < 0.8) {
    body = Buffer.from(pick(templates));
    // Flip a few bytes after the API key and version, so the frame stays routed to its decoder.
    for (let i = 0, n = 1 + Math.floor(random() * 3); i < n; i++) body[4 + Math.floor(random() * (body.length - 4))] = Math.floor(random() * 256);
  } else {
    body = Buffer.from(Array.from({ length: 8 + Math.floor(random() * 120) }, () => Math.floor(random() * 256)));
    body.writeInt16BE(Math.floor(random() * 65536) - 32768, 0);
  }
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

let sent = 0;
function session(): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(Number(port), host, () => {
      // Keep sending on this connection until the broker closes it (most frames do).
      const next = () => {
        if (s.destroyed || Date.now() > until) return s.destroy();
        s.write(frame());
        sent++;
      };
      s.on("data", next);
      next();
    });
    s.on("error", () => undefined);
    s.on("close", () => resolve());
    s.setTimeout(1000, () => s.destroy());
  });
}

await Promise.all(
  Array.from({ length: Number(connections) }, async () => {
    while (Date.now() < until) await session();
  }),
);
process.stdout.write(`${JSON.stringify({ sent })}\n`);
