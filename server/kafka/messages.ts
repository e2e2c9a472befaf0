import { parseFields, parseRange, type MessageSchema } from "./schema";

/**
 * Every API this broker speaks: key, the versions it advertises, flexible versions, and the
 * request and response fields (see schema.ts for the notation). Field names are Kafka's, in
 * camelCase. Advertised ranges cover both non-flexible clients (kafkajs) and current ones
 * (librdkafka 2.x, Java 3.x/4.x, franz-go).
 */
export interface ApiSpec {
  key: number;
  name: string;
  /** Lowest version advertised in ApiVersions. */
  minVersion: number;
  /** Lowest version actually served; below it (but at or above minVersion) requests close the connection. */
  servedMinVersion: number;
  maxVersion: number;
  request: MessageSchema;
  response: MessageSchema;
}

function api(key: number, name: string, versions: string, flexible: string, request: string, response: string, servedMin?: number): ApiSpec {
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

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  OffsetDelete: 47,
  DescribeCluster: 60,
} as const;

const SPECS: ApiSpec[] = [
  api(0, "Produce", "0-11", "9+", `
transactionalId string 3+ null
acks int16
timeoutMs int32
topicData []
  name string
  partitionData []
    index int32
    records records null
`, `
responses []
  name string
  partitionResponses []
    index int32
    errorCode int16
    baseOffset int64
    logAppendTimeMs int64 2+ default=-1
    logStartOffset int64 5+ default=-1
    recordErrors [] 8+
      batchIndex int32
      batchIndexErrorMessage string null
    errorMessage string 8+ null default=null
throttleTimeMs int32 1+
`, PRODUCE_SERVED_MIN),
  api(1, "Fetch", "4-12", "12+", `
clusterId string 12+ null tag=0 default=null
replicaId int32 default=-1
maxWaitMs int32
minBytes int32
maxBytes int32 3+ default=2147483647
isolationLevel int8 4+
sessionId int32 7+
sessionEpoch int32 7+ default=-1
topics []
  topic string
  partitions []
    partition int32
    currentLeaderEpoch int32 9+ default=-1
    fetchOffset int64
    lastFetchedEpoch int32 12+ default=-1
    logStartOffset int64 5+ default=-1
    partitionMaxBytes int32
forgottenTopicsData [] 7+
  topic string
  partitions []int32
rackId string 11+
`, `
throttleTimeMs int32 1+
errorCode int16 7+
sessionId int32 7+
responses []
  topic string
  partitions []
    partitionIndex int32
    errorCode int16
    highWatermark int64
    lastStableOffset int64 4+ default=-1
    logStartOffset int64 5+ default=-1
    abortedTransactions [] 4+ null
      producerId int64
      firstOffset int64
    preferredReadReplica int32 11+ default=-1
    records records null
`),
  api(2, "ListOffsets", "0-7", "6+", `
replicaId int32
isolationLevel int8 2+
topics []
  name string
  partitions []
    partitionIndex int32
    currentLeaderEpoch int32 4+ default=-1
    timestamp int64
    maxNumOffsets int32 0 default=1
`, `
throttleTimeMs int32 2+
topics []
  name string
  partitions []
    partitionIndex int32
    errorCode int16
    oldStyleOffsets []int64 0
    timestamp int64 1+ default=-1
    offset int64 1+ default=-1
    leaderEpoch int32 4+ default=-1
`),
  api(3, "Metadata", "0-12", "9+", `
topics [] null=1+
  topicId uuid 10+
  name string null=10+
allowAutoTopicCreation bool 4+ default=true
includeClusterAuthorizedOperations bool 8-10
includeTopicAuthorizedOperations bool 8+
`, `
throttleTimeMs int32 3+
brokers []
  nodeId int32
  host string
  port int32
  rack string 1+ null default=null
clusterId string 2+ null default=null
controllerId int32 1+ default=-1
topics []
  errorCode int16
  name string null=12+
  topicId uuid 10+
  isInternal bool 1+
  partitions []
    errorCode int16
    partitionIndex int32
    leaderId int32
    leaderEpoch int32 7+ default=-1
    replicaNodes []int32
    isrNodes []int32
    offlineReplicas []int32 5+
  topicAuthorizedOperations int32 8+ default=-2147483648
clusterAuthorizedOperations int32 8-10 default=-2147483648
`),
  api(8, "OffsetCommit", "0-8", "8+", `
groupId string
generationIdOrMemberEpoch int32 1+ default=-1
memberId string 1+
groupInstanceId string 7+ null default=null
retentionTimeMs int64 2-4 default=-1
topics []
  name string
  partitions []
    partitionIndex int32
    committedOffset int64
    committedLeaderEpoch int32 6+ default=-1
    commitTimestamp int64 1 default=-1
    committedMetadata string null
`, `
throttleTimeMs int32 3+
topics []
  name string
  partitions []
    partitionIndex int32
    errorCode int16
`),
  api(9, "OffsetFetch", "0-8", "6+", `
groupId string 0-7
topics [] 0-7 null=2-7
  name string
  partitionIndexes []int32
groups [] 8+
  groupId string
  topics [] null
    name string
    partitionIndexes []int32
requireStable bool 7+
`, `
throttleTimeMs int32 3+
topics [] 0-7
  name string
  partitions []
    partitionIndex int32
    committedOffset int64
    committedLeaderEpoch int32 5+ default=-1
    metadata string null
    errorCode int16
errorCode int16 2-7
groups [] 8+
  groupId string
  topics []
    name string
    partitions []
      partitionIndex int32
      committedOffset int64
      committedLeaderEpoch int32 default=-1
      metadata string null
      errorCode int16
  errorCode int16
`),
  api(10, "FindCoordinator", "0-4", "3+", `
key string 0-3
keyType int8 1+
coordinatorKeys []string 4+
`, `
throttleTimeMs int32 1+
errorCode int16 0-3
errorMessage string 1-3 null default=null
nodeId int32 0-3
host string 0-3
port int32 0-3
coordinators [] 4+
  key string
  nodeId int32
  host string
  port int32
  errorCode int16
  errorMessage string null default=null
`),
  api(11, "JoinGroup", "0-9", "6+", `
groupId string
sessionTimeoutMs int32
rebalanceTimeoutMs int32 1+ default=-1
memberId string
groupInstanceId string 5+ null default=null
protocolType string
protocols []
  name string
  metadata bytes
reason string 8+ null default=null
`, `
throttleTimeMs int32 2+
errorCode int16
generationId int32 default=-1
protocolType string 7+ null default=null
protocolName string null=7+
leader string
skipAssignment bool 9+
memberId string
members []
  memberId string
  groupInstanceId string 5+ null default=null
  metadata bytes
`),
  api(12, "Heartbeat", "0-4", "4+", `
groupId string
generationId int32
memberId string
groupInstanceId string 3+ null default=null
`, `
throttleTimeMs int32 1+
errorCode int16
`),
  api(13, "LeaveGroup", "0-5", "4+", `
groupId string
memberId string 0-2
members [] 3+
  memberId string
  groupInstanceId string null default=null
  reason string 5+ null default=null
`, `
throttleTimeMs int32 1+
errorCode int16
members [] 3+
  memberId string
  groupInstanceId string null
  errorCode int16
`),
  api(14, "SyncGroup", "0-5", "4+", `
groupId string
generationId int32
memberId string
groupInstanceId string 3+ null default=null
protocolType string 5+ null default=null
protocolName string 5+ null default=null
assignments []
  memberId string
  assignment bytes
`, `
throttleTimeMs int32 1+
errorCode int16
protocolType string 5+ null default=null
protocolName string 5+ null default=null
assignment bytes
`),
  api(15, "DescribeGroups", "0-5", "5+", `
groups []string
includeAuthorizedOperations bool 3+
`, `
throttleTimeMs int32 1+
groups []
  errorCode int16
  groupId string
  groupState string
  protocolType string
  protocolData string
  members []
    memberId string
    groupInstanceId string 4+ null default=null
    clientId string
    clientHost string
    memberMetadata bytes
    memberAssignment bytes
  authorizedOperations int32 3+ default=-2147483648
`),
  api(16, "ListGroups", "0-4", "3+", `
statesFilter []string 4+
`, `
throttleTimeMs int32 1+
errorCode int16
groups []
  groupId string
  protocolType string
  groupState string 4+
`),
  api(17, "SaslHandshake", "0-1", "none", `
mechanism string
`, `
errorCode int16
mechanisms []string
`),
  api(18, "ApiVersions", "0-4", "3+", `
clientSoftwareName string 3+
clientSoftwareVersion string 3+
`, `
errorCode int16
apiKeys []
  apiKey int16
  minVersion int16
  maxVersion int16
throttleTimeMs int32 1+
`),
  api(19, "CreateTopics", "0-7", "5+", `
topics []
  name string
  numPartitions int32
  replicationFactor int16
  assignments []
    partitionIndex int32
    brokerIds []int32
  configs []
    name string
    value string null
timeoutMs int32 default=60000
validateOnly bool 1+
`, `
throttleTimeMs int32 2+
topics []
  name string
  topicId uuid 7+
  errorCode int16
  errorMessage string 1+ null default=null
  topicConfigErrorCode int16 5+ tag=0
  numPartitions int32 5+ default=-1
  replicationFactor int16 5+ default=-1
  configs [] 5+ null
    name string
    value string null
    readOnly bool
    configSource int8 default=-1
    isSensitive bool
`),
  api(20, "DeleteTopics", "0-6", "4+", `
topics [] 6+
  name string null default=null
  topicId uuid
topicNames []string 0-5
timeoutMs int32
`, `
throttleTimeMs int32 1+
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
    offset int64
timeoutMs int32
`, `
throttleTimeMs int32
topics []
  name string
  partitions []
    partitionIndex int32
    lowWatermark int64
    errorCode int16
`),
  api(22, "InitProducerId", "0-4", "2+", `
transactionalId string null
transactionTimeoutMs int32
producerId int64 3+ default=-1
producerEpoch int16 3+ default=-1
`, `
throttleTimeMs int32
errorCode int16
producerId int64 default=-1
producerEpoch int16
`),
  api(23, "OffsetForLeaderEpoch", "0-4", "4+", `
replicaId int32 3+ default=-2
topics []
  topic string
  partitions []
    partition int32
    currentLeaderEpoch int32 2+ default=-1
    leaderEpoch int32
`, `
throttleTimeMs int32 2+
topics []
  topic string
  partitions []
    errorCode int16
    partition int32
    leaderEpoch int32 1+ default=-1
    endOffset int64
`),
  api(32, "DescribeConfigs", "0-4", "4+", `
resources []
  resourceType int8
  resourceName string
  configurationKeys []string null
includeSynonyms bool 1+
includeDocumentation bool 3+
`, `
throttleTimeMs int32
results []
  errorCode int16
  errorMessage string null
  resourceType int8
  resourceName string
  configs []
    name string
    value string null
    readOnly bool
    isDefault bool 0
    configSource int8 1+ default=-1
    isSensitive bool
    synonyms [] 1+
      name string
      value string null
      source int8
    configType int8 3+
    documentation string 3+ null
`),
  api(33, "AlterConfigs", "0-2", "2+", `
resources []
  resourceType int8
  resourceName string
  configs []
    name string
    value string null
validateOnly bool
`, `
throttleTimeMs int32
responses []
  errorCode int16
  errorMessage string null
  resourceType int8
  resourceName string
`),
  api(36, "SaslAuthenticate", "0-2", "2+", `
authBytes bytes
`, `
errorCode int16
errorMessage string null
authBytes bytes
sessionLifetimeMs int64 1+
`),
  api(37, "CreatePartitions", "0-3", "2+", `
topics []
  name string
  count int32
  assignments [] null
    brokerIds []int32
timeoutMs int32
validateOnly bool
`, `
throttleTimeMs int32
results []
  name string
  errorCode int16
  errorMessage string null default=null
`),
  api(42, "DeleteGroups", "0-2", "2+", `
groupsNames []string
`, `
throttleTimeMs int32
results []
  groupId string
  errorCode int16
`),
  api(44, "IncrementalAlterConfigs", "0-1", "1+", `
resources []
  resourceType int8
  resourceName string
  configs []
    name string
    configOperation int8
    value string null
validateOnly bool
`, `
throttleTimeMs int32
responses []
  errorCode int16
  errorMessage string null
  resourceType int8
  resourceName string
`),
  api(47, "OffsetDelete", "0", "none", `
groupId string
topics []
  name string
  partitions []
    partitionIndex int32
`, `
errorCode int16
throttleTimeMs int32
topics []
  name string
  partitions []
    partitionIndex int32
    errorCode int16
`),
  api(60, "DescribeCluster", "0-1", "0+", `
includeClusterAuthorizedOperations bool
endpointType int8 1+ default=1
`, `
throttleTimeMs int32
errorCode int16
errorMessage string null default=null
endpointType int8 1+ default=1
clusterId string
controllerId int32 default=-1
brokers []
  brokerId int32
  host string
  port int32
  rack string null default=null
clusterAuthorizedOperations int32 default=-2147483648
`),
];

export const APIS = new Map(SPECS.map((s) => [s.key, s]));
