import type { ApiName, KafkaMessages } from "./messages.types";
import { parseFields, parseRange, type MessageSchema } from "./schema";

/**
 * Every API this broker speaks: key, the versions it advertises, flexible versions, and the
 * request and response fields (see schema.ts for the notation). Field names are Kafka's, in
 * camelCase. Advertised ranges cover both non-flexible clients (kafkajs) and current ones
 * (librdkafka 2.x, Java 3.x/4.x, franz-go). The TypeScript shapes of these messages are generated
 * from the declarations below into messages.types.ts (`npm run gen:kafka-types`).
 */
export interface ApiSpec<N extends ApiName = ApiName> {
  key: KafkaMessages[N]["key"];
  name: N;
  /** Lowest version advertised in ApiVersions. */
  minVersion: number;
  /** Lowest version actually served; below it (but at or above minVersion) requests close the connection. */
  servedMinVersion: number;
  maxVersion: number;
  request: MessageSchema;
  response: MessageSchema;
}

function api<N extends ApiName>(key: KafkaMessages[N]["key"], name: N, versions: string, flexible: string, request: string, response: string, servedMin?: number): ApiSpec<N> {
  const v = parseRange(versions);
  const flex = parseRange(flexible);
  return {
    key,
    name,
    minVersion: v.min,
    servedMinVersion: servedMin ?? v.min,
    maxVersion: v.max,
    request: { fields: parseFields(request), flexible: flex },
    response: { fields: parseFields(response), flexible: flex },
  };
}

/**
 * Produce v0-2 carry the old message formats (v0/v1), which this broker does not store. Kafka 4
 * still advertises them (KAFKA-18659): librdkafka before 2.8 enables gzip/snappy/lz4 only when
 * the broker's Produce range includes v0-2, and clients use the highest common version anyway.
 */
const PRODUCE_SERVED_MIN = 3;

const SPECS = [
  api(0, "Produce", "0-11", "9+", `
transactionalId string 3+ null # The producer's transactional id, or null when it is not transactional.
acks int16 # Replicas that must have the records before the broker answers: 1 the leader, -1 all in-sync replicas, 0 none and no answer at all (see Acks).
timeoutMs int32 # How long the broker may wait for the replicas that acks asks for.
topicData []
  name string
  partitionData []
    index int32 # The partition index.
    records records null # The record batches to append.
`, `
responses []
  name string
  partitionResponses []
    index int32 # The partition index.
    errorCode int16
    baseOffset int64 # The offset given to the first appended record, or -1 on error.
    logAppendTimeMs int64 2+ default=-1 # The broker's append time when the topic uses LogAppendTime, else -1.
    logStartOffset int64 5+ default=-1 # The partition's first offset after the append.
    recordErrors [] 8+ # The records that made the batch fail.
      batchIndex int32 # The failing record's position in its batch.
      batchIndexErrorMessage string null
    errorMessage string 8+ null default=null # Why the batch failed, in words.
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
`, PRODUCE_SERVED_MIN),
  api(1, "Fetch", "4-12", "12+", `
clusterId string 12+ null tag=0 default=null # The cluster the sender thinks it fetches from (followers); null from consumers.
replicaId int32 default=-1 # The follower's broker id, or -1 from a consumer.
maxWaitMs int32 # How long to wait for minBytes before answering with what there is.
minBytes int32 # The least data worth answering with; less waits up to maxWaitMs.
maxBytes int32 3+ default=2147483647 # The most data in the response; a first batch larger than that is still returned, so the consumer progresses.
isolationLevel int8 4+ # 0 read uncommitted; 1 read committed: stop at the last stable offset and list aborted transactions (see IsolationLevel).
sessionId int32 7+ # The incremental fetch session (KIP-227) to continue, or 0.
sessionEpoch int32 7+ default=-1 # -1 a full fetch outside sessions, 0 a full fetch that opens a session, above 0 the next step of the session.
topics []
  topic string
  partitions []
    partition int32
    currentLeaderEpoch int32 9+ default=-1 # The leader epoch the fetcher knows, so a stale leader is refused; -1 when unknown.
    fetchOffset int64 # The offset to read from.
    lastFetchedEpoch int32 12+ default=-1 # The epoch of the last record the follower has, to detect a diverged log.
    logStartOffset int64 5+ default=-1 # The follower's first offset; -1 from consumers.
    partitionMaxBytes int32 # The most data to return for this partition.
forgottenTopicsData [] 7+ # Partitions to remove from the fetch session.
  topic string
  partitions []int32
rackId string 11+ # The consumer's rack, so the broker can point it at a replica near it (KIP-392).
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16 7+ # An error of the whole fetch, such as FETCH_SESSION_ID_NOT_FOUND; partition errors are per partition.
sessionId int32 7+ # The fetch session opened or continued, or 0.
responses []
  topic string
  partitions []
    partitionIndex int32
    errorCode int16
    highWatermark int64 # The offset after the last record every in-sync replica has: consumers read up to it.
    lastStableOffset int64 4+ default=-1 # The offset below which no transaction is open: read committed stops there.
    logStartOffset int64 5+ default=-1 # The partition's first offset.
    abortedTransactions [] 4+ null # Transactions aborted in the returned range, for read-committed consumers to skip.
      producerId int64
      firstOffset int64 # The offset of the transaction's first record.
    preferredReadReplica int32 11+ default=-1 # A replica the consumer should fetch from instead, or -1.
    records records null # The record batches read.
`),
  api(2, "ListOffsets", "0-7", "6+", `
replicaId int32 # The follower's broker id, or -1 from a consumer.
isolationLevel int8 2+ # 0 read uncommitted; 1 read committed, where LATEST is the last stable offset (see IsolationLevel).
topics []
  name string
  partitions []
    partitionIndex int32
    currentLeaderEpoch int32 4+ default=-1 # The leader epoch the client knows, so a stale leader is refused; -1 when unknown.
    timestamp int64 # Find the first offset with a record at or after this time, or: -1 LATEST, -2 EARLIEST, -3 MAX_TIMESTAMP (see ListOffsetsTimestamp).
    maxNumOffsets int32 0 default=1 # v0: how many offsets before the timestamp to return (the broker returns at most one).
`, `
throttleTimeMs int32 2+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics []
  name string
  partitions []
    partitionIndex int32
    errorCode int16
    oldStyleOffsets []int64 0 # v0: the offsets found, newest first.
    timestamp int64 1+ default=-1 # The found record's timestamp, or -1 for LATEST and EARLIEST.
    offset int64 1+ default=-1 # The offset found, or -1 when no record is that recent.
    leaderEpoch int32 4+ default=-1 # The leader epoch of the offset found.
`),
  api(3, "Metadata", "0-12", "9+", `
topics [] null=1+ # The topics to describe: null (v1+) or empty (v0) for all of them.
  topicId uuid 10+ # The topic's id, when asking by id with a null name.
  name string null=10+
allowAutoTopicCreation bool 4+ default=true # Create the topics asked for that do not exist, if the broker allows it.
includeClusterAuthorizedOperations bool 8-10 # Also return what the caller may do on the cluster.
includeTopicAuthorizedOperations bool 8+ # Also return what the caller may do on each topic.
`, `
throttleTimeMs int32 3+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
brokers []
  nodeId int32 # The broker's id.
  host string
  port int32
  rack string 1+ null default=null # The broker's rack, or null.
clusterId string 2+ null default=null
controllerId int32 1+ default=-1 # The controller's broker id, or -1.
topics []
  errorCode int16
  name string null=12+
  topicId uuid 10+
  isInternal bool 1+ # The topic is the cluster's own, like __consumer_offsets.
  partitions []
    errorCode int16
    partitionIndex int32
    leaderId int32 # The leader's broker id, or -1 when there is none.
    leaderEpoch int32 7+ default=-1 # The leader epoch: it grows with each leader change.
    replicaNodes []int32 # The broker ids of all replicas.
    isrNodes []int32 # The broker ids of the in-sync replicas.
    offlineReplicas []int32 5+ # The replicas whose log directory is offline.
  topicAuthorizedOperations int32 8+ default=-2147483648 # A bit set of the operations the caller may do on the topic; -2147483648 when not asked for.
clusterAuthorizedOperations int32 8-10 default=-2147483648 # A bit set of the operations the caller may do on the cluster; -2147483648 when not asked for.
`),
  api(8, "OffsetCommit", "0-8", "8+", `
groupId string
generationIdOrMemberEpoch int32 1+ default=-1 # The group generation (classic protocol) or member epoch (consumer protocol); -1 for a commit from outside any group.
memberId string 1+ # The member's id; empty for a commit from outside any group.
groupInstanceId string 7+ null default=null # The static member's group.instance.id, or null.
retentionTimeMs int64 2-4 default=-1 # How long to keep the offsets, or -1 for the broker's offsets.retention.minutes.
topics []
  name string
  partitions []
    partitionIndex int32
    committedOffset int64 # The next offset the group will consume.
    committedLeaderEpoch int32 6+ default=-1 # The leader epoch of the last consumed record, or -1.
    commitTimestamp int64 1 default=-1 # When the commit was made (v1 only), or -1 for the broker's time.
    committedMetadata string null # Text the client stores with the offset.
`, `
throttleTimeMs int32 3+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics []
  name string
  partitions []
    partitionIndex int32
    errorCode int16
`),
  api(9, "OffsetFetch", "0-8", "6+", `
groupId string 0-7
topics [] 0-7 null=2-7 # The partitions to fetch offsets of; null (v2+) for every partition the group committed.
  name string
  partitionIndexes []int32
groups [] 8+ # The groups to fetch offsets of, in one request.
  groupId string
  topics [] null # The partitions to fetch offsets of; null for every partition the group committed.
    name string
    partitionIndexes []int32
requireStable bool 7+ # Answer UNSTABLE_OFFSET_COMMIT for a partition with a pending transactional commit instead of its older offset.
`, `
throttleTimeMs int32 3+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics [] 0-7
  name string
  partitions []
    partitionIndex int32
    committedOffset int64 # The committed offset, or -1 when there is none.
    committedLeaderEpoch int32 5+ default=-1 # The leader epoch stored with the offset, or -1.
    metadata string null # Text the client stored with the offset.
    errorCode int16
errorCode int16 2-7 # An error of the whole group, such as NOT_COORDINATOR.
groups [] 8+
  groupId string
  topics []
    name string
    partitions []
      partitionIndex int32
      committedOffset int64 # The committed offset, or -1 when there is none.
      committedLeaderEpoch int32 default=-1 # The leader epoch stored with the offset, or -1.
      metadata string null # Text the client stored with the offset.
      errorCode int16
  errorCode int16 # An error of the whole group, such as NOT_COORDINATOR.
`),
  api(10, "FindCoordinator", "0-4", "3+", `
key string 0-3 # The group id or transactional id whose coordinator is wanted.
keyType int8 1+ # 0 group, 1 transaction (see CoordinatorType).
coordinatorKeys []string 4+ # The group ids or transactional ids whose coordinators are wanted.
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16 0-3
errorMessage string 1-3 null default=null
nodeId int32 0-3 # The coordinator's broker id.
host string 0-3 # The coordinator's host.
port int32 0-3 # The coordinator's port.
coordinators [] 4+
  key string # The id that was looked up.
  nodeId int32 # The coordinator's broker id.
  host string
  port int32
  errorCode int16
  errorMessage string null default=null
`),
  api(11, "JoinGroup", "0-9", "6+", `
groupId string
sessionTimeoutMs int32 # The member leaves the group when no heartbeat arrives for this long.
rebalanceTimeoutMs int32 1+ default=-1 # How long the coordinator waits for every member to rejoin in a rebalance; -1 (v0) means sessionTimeoutMs.
memberId string # The id the coordinator gave this member; empty on its first join.
groupInstanceId string 5+ null default=null # The static member's group.instance.id, or null.
protocolType string # The kind of group, such as consumer or connect.
protocols [] # The assignors the member supports, preferred first.
  name string # The assignor's name, such as range or cooperative-sticky.
  metadata bytes # The member's subscription in the assignor's format.
reason string 8+ null default=null # Why the member (re)joins, for the broker's log.
`, `
throttleTimeMs int32 2+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
generationId int32 default=-1 # The generation the rebalance created.
protocolType string 7+ null default=null
protocolName string null=7+ # The assignor the group chose.
leader string # The member id of the leader, which computes the assignment.
skipAssignment bool 9+ # The leader must not compute an assignment: the coordinator has one.
memberId string # This member's id.
members [] # Every member with its subscription; sent to the leader only.
  memberId string
  groupInstanceId string 5+ null default=null
  metadata bytes # The member's subscription in the assignor's format.
`),
  api(12, "Heartbeat", "0-4", "4+", `
groupId string
generationId int32 # The generation the member belongs to.
memberId string
groupInstanceId string 3+ null default=null # The static member's group.instance.id, or null.
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
`),
  api(13, "LeaveGroup", "0-5", "4+", `
groupId string
memberId string 0-2
members [] 3+ # The members leaving.
  memberId string
  groupInstanceId string null default=null # The static member's group.instance.id, or null.
  reason string 5+ null default=null # Why the member leaves, for the broker's log.
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
members [] 3+
  memberId string
  groupInstanceId string null
  errorCode int16
`),
  api(14, "SyncGroup", "0-5", "4+", `
groupId string
generationId int32 # The generation the member belongs to.
memberId string
groupInstanceId string 3+ null default=null # The static member's group.instance.id, or null.
protocolType string 5+ null default=null # The kind of group; checked against the group's.
protocolName string 5+ null default=null # The chosen assignor; checked against the group's.
assignments [] # The leader's assignment of every member; empty from the other members.
  memberId string
  assignment bytes # The member's assignment in the assignor's format.
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
protocolType string 5+ null default=null
protocolName string 5+ null default=null
assignment bytes # This member's assignment in the assignor's format.
`),
  api(15, "DescribeGroups", "0-5", "5+", `
groups []string # The group ids.
includeAuthorizedOperations bool 3+ # Also return what the caller may do on each group.
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
groups []
  errorCode int16
  groupId string
  groupState string # Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.
  protocolType string # The kind of group, such as consumer; empty for a group with no members.
  protocolData string # The assignor the group chose, once it is stable.
  members []
    memberId string
    groupInstanceId string 4+ null default=null
    clientId string
    clientHost string # The address the member connected from.
    memberMetadata bytes # The member's subscription in the assignor's format.
    memberAssignment bytes # The member's assignment in the assignor's format.
  authorizedOperations int32 3+ default=-2147483648 # A bit set of the operations the caller may do on the group; -2147483648 when not asked for.
`),
  api(16, "ListGroups", "0-4", "3+", `
statesFilter []string 4+ # Only groups in these states; empty for all.
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
groups []
  groupId string
  protocolType string
  groupState string 4+ # Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.
`),
  api(17, "SaslHandshake", "0-1", "none", `
mechanism string # The SASL mechanism the client wants, such as PLAIN or SCRAM-SHA-256.
`, `
errorCode int16
mechanisms []string # The mechanisms the broker enables.
`),
  api(18, "ApiVersions", "0-4", "3+", `
clientSoftwareName string 3+
clientSoftwareVersion string 3+
`, `
errorCode int16
apiKeys [] # Every API the broker serves, with the versions it speaks.
  apiKey int16
  minVersion int16
  maxVersion int16
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
`),
  api(19, "CreateTopics", "0-7", "5+", `
topics []
  name string
  numPartitions int32 # The partition count, or -1 for the broker's num.partitions (or when assignments are given).
  replicationFactor int16 # Replicas per partition, or -1 for the broker's default (or when assignments are given).
  assignments [] # Replicas chosen by hand for each partition; empty to let the broker place them.
    partitionIndex int32
    brokerIds []int32 # The brokers holding the partition's replicas, preferred leader first.
  configs [] # Topic configs to set.
    name string
    value string null
timeoutMs int32 default=60000 # How long to wait for the topic to exist on every broker.
validateOnly bool 1+ # Check the request without creating anything.
`, `
throttleTimeMs int32 2+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics []
  name string
  topicId uuid 7+
  errorCode int16
  errorMessage string 1+ null default=null
  topicConfigErrorCode int16 5+ tag=0 # Why the configs could not be returned, when they could not.
  numPartitions int32 5+ default=-1
  replicationFactor int16 5+ default=-1
  configs [] 5+ null # The configs the topic was created with; null when not returned.
    name string
    value string null
    readOnly bool # The config cannot be altered.
    configSource int8 default=-1 # Where the value comes from (see ConfigSource).
    isSensitive bool # The value is a secret and is not shown.
`),
  api(20, "DeleteTopics", "0-6", "4+", `
topics [] 6+ # The topics to delete, by name or by id.
  name string null default=null
  topicId uuid
topicNames []string 0-5 # The names of the topics to delete.
timeoutMs int32 # How long to wait for the deletion to reach every broker.
`, `
throttleTimeMs int32 1+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
responses []
  name string null=6+
  topicId uuid 6+
  errorCode int16
  errorMessage string 5+ null default=null
`),
  api(21, "DeleteRecords", "0-2", "2+", `
topics []
  name string
  partitions []
    partitionIndex int32
    offset int64 # Delete every record before this offset; -1 for the high watermark.
timeoutMs int32 # How long to wait for the deletion to reach every replica.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics []
  name string
  partitions []
    partitionIndex int32
    lowWatermark int64 # The partition's first offset after the deletion.
    errorCode int16
`),
  api(22, "InitProducerId", "0-5", "2+", `
transactionalId string null # The producer's transactional id, or null for an idempotent producer without transactions.
transactionTimeoutMs int32 # How long a transaction may stay open before the coordinator aborts it (at most the broker's transaction.max.timeout.ms).
producerId int64 3+ default=-1 # The id the producer has, to bump its epoch; -1 for a new producer.
producerEpoch int16 3+ default=-1 # The epoch the producer has, to bump it; -1 for a new producer.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
producerId int64 default=-1 # The producer id to put in record batches.
producerEpoch int16 # The epoch to put in record batches.
`),
  api(23, "OffsetForLeaderEpoch", "0-4", "4+", `
replicaId int32 3+ default=-2 # The follower's broker id, or -1 from a consumer.
topics []
  topic string
  partitions []
    partition int32
    currentLeaderEpoch int32 2+ default=-1 # The leader epoch the client knows, so a stale leader is refused; -1 when unknown.
    leaderEpoch int32 # The epoch whose end offset is wanted.
`, `
throttleTimeMs int32 2+ default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics []
  topic string
  partitions []
    errorCode int16
    partition int32
    leaderEpoch int32 1+ default=-1 # The highest epoch at or below the one asked for, or -1.
    endOffset int64 # The offset after the last record of that epoch, or -1.
`),
  api(24, "AddPartitionsToTxn", "0-3", "3+", `
transactionalId string # The transaction to add the partitions to (Kafka's V3AndBelowTransactionalId; v4+ batches transactions for brokers).
producerId int64 # The producer id the transactional id has.
producerEpoch int16 # The producer's epoch; an older one is fenced.
topics []
  name string
  partitions []int32 # The partitions the producer is about to write to in this transaction.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
resultsByTopic []
  name string
  resultsByPartition []
    partitionIndex int32
    partitionErrorCode int16
`),
  api(25, "AddOffsetsToTxn", "0-4", "3+", `
transactionalId string
producerId int64
producerEpoch int16
groupId string # The group whose offsets the transaction will commit (TxnOffsetCommit follows).
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
`),
  api(26, "EndTxn", "0-4", "3+", `
transactionalId string
producerId int64
producerEpoch int16
committed bool # true commits the transaction, false aborts it.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
`),
  api(27, "WriteTxnMarkers", "0-1", "1+", `
markers []
  producerId int64
  producerEpoch int16 # The epoch the marker carries; a partition refuses markers older than its producer's epoch.
  transactionResult bool # true a COMMIT marker, false an ABORT marker.
  topics []
    name string
    partitionIndexes []int32
  coordinatorEpoch int32 # The epoch of the coordinator that writes the markers.
`, `
markers []
  producerId int64
  topics []
    name string
    partitions []
      partitionIndex int32
      errorCode int16
`),
  api(28, "TxnOffsetCommit", "0-4", "3+", `
transactionalId string
groupId string
producerId int64
producerEpoch int16
generationId int32 3+ default=-1 # The consumer's generation, or -1 for a commit from outside the group's generations.
memberId string 3+ default= # The member's id, or empty.
groupInstanceId string 3+ null default=null # The static member's group.instance.id, or null.
topics []
  name string
  partitions []
    partitionIndex int32
    committedOffset int64 # The next offset the group will consume, visible to the group once the transaction commits.
    committedLeaderEpoch int32 2+ default=-1 # The leader epoch of the last consumed record, or -1.
    committedMetadata string null # Text the client stores with the offset.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics []
  name string
  partitions []
    partitionIndex int32
    errorCode int16
`),
  api(29, "DescribeAcls", "0-3", "2+", `
resourceTypeFilter int8 # The resource type to match: 1 any, 2 topic, 3 group, 4 cluster, 5 transactional id (see AclResourceType).
resourceNameFilter string null # The resource name to match, or null for any.
patternTypeFilter int8 1+ default=3 # How names match: 1 any, 2 match (what applies to the name), 3 literal, 4 prefixed (see PatternType).
principalFilter string null # The principal to match, such as User:alice, or null for any.
hostFilter string null # The host to match, or null for any.
operation int8 # The operation to match, 1 any (see AclOperation).
permissionType int8 # The permission to match: 1 any, 2 deny, 3 allow (see AclPermissionType).
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
errorMessage string null default=null
resources [] # Every resource pattern that has matching ACLs, with those ACLs.
  resourceType int8
  resourceName string
  patternType int8 1+ default=3
  acls []
    principal string
    host string
    operation int8
    permissionType int8
`),
  api(30, "CreateAcls", "0-3", "2+", `
creations [] # The ACLs to create.
  resourceType int8 # 2 topic, 3 group, 4 cluster, 5 transactional id (see AclResourceType).
  resourceName string # The resource's name, or kafka-cluster for the cluster; * for every resource of the type.
  resourcePatternType int8 1+ default=3 # 3 literal, 4 prefixed (see PatternType).
  principal string # Whom the ACL is for: User:<name>, or User:* for everyone.
  host string # The client address the ACL applies to, or * for any.
  operation int8 # See AclOperation.
  permissionType int8 # 2 deny, 3 allow (see AclPermissionType).
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
results [] # One per creation, in order.
  errorCode int16
  errorMessage string null default=null
`),
  api(31, "DeleteAcls", "0-3", "2+", `
filters [] # Every ACL matching one of these filters is deleted.
  resourceTypeFilter int8 # See AclResourceType; 1 any.
  resourceNameFilter string null # The resource name to match, or null for any.
  patternTypeFilter int8 1+ default=3 # See PatternType; 1 any, 2 match.
  principalFilter string null # The principal to match, or null for any.
  hostFilter string null # The host to match, or null for any.
  operation int8 # See AclOperation; 1 any.
  permissionType int8 # See AclPermissionType; 1 any.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
filterResults [] # One per filter, in order.
  errorCode int16
  errorMessage string null default=null
  matchingAcls [] # The ACLs the filter matched and deleted.
    errorCode int16
    errorMessage string null default=null
    resourceType int8
    resourceName string
    patternType int8 1+ default=3
    principal string
    host string
    operation int8
    permissionType int8
`),
  api(32, "DescribeConfigs", "0-4", "4+", `
resources []
  resourceType int8 # The kind of resource: 2 topic, 4 broker, … (see ConfigResourceType).
  resourceName string # The topic's name, or the broker's id as text.
  configurationKeys []string null # The configs to describe; null for all.
includeSynonyms bool 1+ # Also list every source a config's value could come from, by precedence.
includeDocumentation bool 3+ # Also return each config's documentation.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
results []
  errorCode int16
  errorMessage string null
  resourceType int8
  resourceName string
  configs []
    name string
    value string null
    readOnly bool # The config cannot be altered.
    isDefault bool 0 # The value is the default (v0; later versions say configSource).
    configSource int8 1+ default=-1 # Where the value comes from (see ConfigSource).
    isSensitive bool # The value is a secret and is not shown.
    synonyms [] 1+ # The sources the value could come from, by precedence, when asked for.
      name string
      value string null
      source int8 # Where this value is set (see ConfigSource).
    configType int8 3+ # The value's type (see ConfigType).
    documentation string 3+ null
`),
  api(33, "AlterConfigs", "0-2", "2+", `
resources []
  resourceType int8 # The kind of resource: 2 topic, 4 broker, … (see ConfigResourceType).
  resourceName string # The topic's name, or the broker's id as text.
  configs [] # The resource's whole set of configs: those left out return to their defaults.
    name string
    value string null
validateOnly bool # Check the request without changing anything.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
responses []
  errorCode int16
  errorMessage string null
  resourceType int8
  resourceName string
`),
  api(35, "DescribeLogDirs", "1-4", "2+", `
topics [] null # The topics to describe, or null for all.
  topic string
  partitions []int32
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16 3+
results [] # One per log directory.
  errorCode int16
  logDir string # The directory's absolute path.
  topics []
    name string
    partitions []
      partitionIndex int32
      partitionSize int64 # Bytes of the partition's segments in this directory.
      offsetLag int64 # How far this replica's log end is behind the high watermark.
      isFutureKey bool # A log being moved here by AlterReplicaLogDirs, not yet the current one.
  totalBytes int64 4+ default=-1 # The directory's volume size, -1 when unknown.
  usableBytes int64 4+ default=-1 # Bytes free for this directory's use, -1 when unknown.
`),
  api(36, "SaslAuthenticate", "0-2", "2+", `
authBytes bytes # The client's next token of the SASL exchange.
`, `
errorCode int16
errorMessage string null
authBytes bytes # The broker's next token of the SASL exchange.
sessionLifetimeMs int64 1+ # How long the authenticated session lasts, in ms; 0 when it does not expire.
`),
  api(37, "CreatePartitions", "0-3", "2+", `
topics []
  name string
  count int32 # The partition count to grow the topic to.
  assignments [] null # Replicas chosen by hand for each new partition; null to let the broker place them.
    brokerIds []int32
timeoutMs int32 # How long to wait for the partitions to exist on every broker.
validateOnly bool # Check the request without changing anything.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
results []
  name string
  errorCode int16
  errorMessage string null default=null
`),
  api(42, "DeleteGroups", "0-2", "2+", `
groupsNames []string # The group ids.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
results []
  groupId string
  errorCode int16
`),
  api(43, "ElectLeaders", "0-2", "2+", `
electionType int8 1+ # 0 preferred (the first replica leads again), 1 unclean (a live replica out of the ISR leads when no ISR member is alive); see ElectionType. v0 is preferred.
topicPartitions [] null # The partitions to elect leaders of; null for every partition.
  topic string
  partitions []int32
timeoutMs int32 default=60000 # How long to wait for the elections.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16 1+ # An error of the whole request, such as CLUSTER_AUTHORIZATION_FAILED.
replicaElectionResults []
  topic string
  partitionResult []
    partitionId int32
    errorCode int16 # ELECTION_NOT_NEEDED when the wanted leader already leads, ELIGIBLE_LEADERS_NOT_AVAILABLE when none can.
    errorMessage string null
`),
  api(44, "IncrementalAlterConfigs", "0-1", "1+", `
resources []
  resourceType int8 # The kind of resource: 2 topic, 4 broker, … (see ConfigResourceType).
  resourceName string # The topic's name, or the broker's id as text.
  configs []
    name string
    configOperation int8 # 0 set, 1 delete, 2 append, 3 subtract (see ConfigOperation).
    value string null # The value to set, append or subtract; null to delete.
validateOnly bool # Check the request without changing anything.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
responses []
  errorCode int16
  errorMessage string null
  resourceType int8
  resourceName string
`),
  api(45, "AlterPartitionReassignments", "0", "0+", `
timeoutMs int32 default=60000 # How long to wait for the request to complete.
topics []
  name string
  partitions []
    partitionIndex int32
    replicas []int32 null # The target replicas, the preferred leader first; null to cancel the reassignment in progress.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16 # An error of the whole request, such as CLUSTER_AUTHORIZATION_FAILED.
errorMessage string null
responses []
  name string
  partitions []
    partitionIndex int32
    errorCode int16 # INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION, NO_REASSIGNMENT_IN_PROGRESS on a cancel of none.
    errorMessage string null
`),
  api(46, "ListPartitionReassignments", "0", "0+", `
timeoutMs int32 default=60000 # How long to wait for the request to complete.
topics [] null # The partitions to list; null for every reassignment in progress.
  name string
  partitionIndexes []int32
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
errorMessage string null
topics []
  name string
  partitions []
    partitionIndex int32
    replicas []int32 # The current replicas: the target ones and those still to be removed.
    addingReplicas []int32 # Replicas being added (catching up).
    removingReplicas []int32 # Replicas to drop once every target replica is in the ISR.
`),
  api(47, "OffsetDelete", "0", "none", `
groupId string
topics []
  name string
  partitions []
    partitionIndex int32
`, `
errorCode int16
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
topics []
  name string
  partitions []
    partitionIndex int32
    errorCode int16
`),
  api(48, "DescribeClientQuotas", "0-1", "1+", `
components [] # Which quota entities to describe; all components must match.
  entityType string # user or client-id.
  matchType int8 # 0 exactly the name in match, 1 the default entity, 2 any named entity (see QuotaMatchType).
  match string null # The name to match (matchType 0), else null.
strict bool # Only entities with exactly these entity types, not those that also name others.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
errorMessage string null default=null
entries [] null # The matching entities with their quotas.
  entity []
    entityType string # user or client-id.
    entityName string null # The name, or null for the default entity.
  values []
    key string # producer_byte_rate, consumer_byte_rate or request_percentage.
    value float64
`),
  api(49, "AlterClientQuotas", "0-1", "1+", `
entries [] # The quota entities to change.
  entity []
    entityType string # user or client-id.
    entityName string null # The name, or null for the default entity.
  ops []
    key string # producer_byte_rate, consumer_byte_rate or request_percentage.
    value float64 # The value to set; ignored when removing.
    remove bool # Remove the quota instead of setting it.
validateOnly bool # Check the request without changing anything.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
entries [] # One per entry, in order.
  errorCode int16
  errorMessage string null default=null
  entity []
    entityType string
    entityName string null
`),
  api(50, "DescribeUserScramCredentials", "0", "0+", `
users [] null # The users to describe, or null or empty for all of them.
  name string
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
errorMessage string null default=null
results [] # One per user.
  user string
  errorCode int16 # RESOURCE_NOT_FOUND for a user with no SCRAM credential.
  errorMessage string null default=null
  credentialInfos [] # The user's credentials, one per mechanism; never the secret itself.
    mechanism int8 # 1 SCRAM-SHA-256, 2 SCRAM-SHA-512 (see ScramMechanism).
    iterations int32
`),
  api(51, "AlterUserScramCredentials", "0", "0+", `
deletions [] # The credentials to remove.
  name string # The user name.
  mechanism int8 # 1 SCRAM-SHA-256, 2 SCRAM-SHA-512 (see ScramMechanism).
upsertions [] # The credentials to create or replace: the client salts and hashes, the password never travels.
  name string # The user name.
  mechanism int8 # 1 SCRAM-SHA-256, 2 SCRAM-SHA-512 (see ScramMechanism).
  iterations int32 # PBKDF2 iterations the salted password was made with (4096 to 16384).
  salt bytes # The random salt the client chose.
  saltedPassword bytes # PBKDF2(password, salt, iterations) with the mechanism's hash.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
results [] # One per user named in the request.
  user string
  errorCode int16
  errorMessage string null default=null
`),
  api(60, "DescribeCluster", "0-1", "0+", `
includeClusterAuthorizedOperations bool # Also return what the caller may do on the cluster.
endpointType int8 1+ default=1 # Describe 1 the brokers or 2 the controllers (KIP-919).
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
errorMessage string null default=null
endpointType int8 1+ default=1 # Which endpoints are described: 1 brokers, 2 controllers.
clusterId string
controllerId int32 default=-1 # The controller's broker id, or -1.
brokers []
  brokerId int32
  host string
  port int32
  rack string null default=null
clusterAuthorizedOperations int32 default=-2147483648 # A bit set of the operations the caller may do on the cluster; -2147483648 when not asked for.
`),
  api(65, "DescribeTransactions", "0", "0+", `
transactionalIds []string
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
transactionStates []
  errorCode int16
  transactionalId string
  transactionState string # Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence.
  transactionTimeoutMs int32
  transactionStartTimeMs int64 # When the open transaction began, or -1.
  producerId int64
  producerEpoch int16
  topics [] # The partitions in the transaction.
    topic string
    partitions []int32
`),
  api(66, "ListTransactions", "0-1", "0+", `
stateFilters []string # Only transactions in these states; empty for all.
producerIdFilters []int64 # Only transactions of these producer ids; empty for all.
durationFilter int64 1+ default=-1 # Only transactions open longer than this many milliseconds; -1 for all.
`, `
throttleTimeMs int32 default=0 # How long the client should wait before its next request because a quota was exceeded; 0 when not throttled.
errorCode int16
unknownStateFilters []string # The filters that name no state.
transactionStates []
  transactionalId string
  producerId int64
  transactionState string
`),
];

export const APIS = new Map<number, ApiSpec>(SPECS.map((s) => [s.key, s]));

/** The typed handle of each API, by Kafka's name: `decodeRequest(Apis.Fetch, …)` returns a FetchRequest. */
export const Apis = Object.fromEntries(SPECS.map((s) => [s.name, s])) as { readonly [N in ApiName]: ApiSpec<N> };

/** Each API's key, by Kafka's name. */
export const ApiKey = Object.fromEntries(SPECS.map((s) => [s.name, s.key])) as { readonly [N in ApiName]: KafkaMessages[N]["key"] };
