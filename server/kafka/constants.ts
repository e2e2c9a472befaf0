/**
 * Kafka's magic numbers, by the names Kafka's own code gives them. The message declarations'
 * about lines point here (e.g. "see ConfigSource").
 */

/** Produce's acks: how many replicas must have the records before the broker answers. */
export const Acks = {
  /** No answer at all: the producer does not learn whether the records arrived. */
  NONE: 0,
  LEADER: 1,
  /** Every in-sync replica (the producer's acks=all). */
  ALL: -1,
} as const;

/** ListOffsets' special timestamps: the offset wanted instead of one for a time. */
export const ListOffsetsTimestamp = {
  /** The high watermark (the last stable offset for read committed): where new records will go. */
  LATEST: -1,
  /** The log start offset. */
  EARLIEST: -2,
  /** The offset of the record with the largest timestamp (KIP-734). */
  MAX_TIMESTAMP: -3,
} as const;

/** Fetch's and ListOffsets' isolationLevel. */
export const IsolationLevel = {
  READ_UNCOMMITTED: 0,
  /** Read up to the last stable offset, and skip the records of aborted transactions. */
  READ_COMMITTED: 1,
} as const;

/** FindCoordinator's keyType. */
export const CoordinatorType = {
  GROUP: 0,
  TRANSACTION: 1,
} as const;

/** ElectLeaders' electionType. */
export const ElectionType = {
  PREFERRED: 0,
  UNCLEAN: 1,
} as const;

/** The resourceType of DescribeConfigs, AlterConfigs and IncrementalAlterConfigs (Kafka's ConfigResource.Type). */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  /** A broker's configs; the resource name is the broker id as text, or empty for the cluster default. */
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

/** Where a described config's value comes from (DescribeConfigs' configSource and synonyms' source). */
export const ConfigSource = {
  UNKNOWN: 0,
  /** Set on the topic. */
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  /** The broker's properties file (or, here, its command line). */
  STATIC_BROKER_CONFIG: 4,
  /** Nobody set it: the built-in default. */
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

/** A described config value's type (DescribeConfigs v3+ configType). */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

/** IncrementalAlterConfigs' configOperation. */
export const ConfigOperation = {
  SET: 0,
  /** Return the config to its default. */
  DELETE: 1,
  /** Add to a list config. */
  APPEND: 2,
  /** Remove from a list config. */
  SUBTRACT: 3,
} as const;

/** A producer without an id: non-idempotent batches carry it, and InitProducerId asks for a new id with it. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** The base sequence of a batch from a non-idempotent producer. */
export const NO_SEQUENCE = -1;

/** A leader epoch the sender does not know (or a partition without a leader's epoch). */
export const NO_LEADER_EPOCH = -1;

/** The replicaId of a request from a consumer rather than a follower broker. */
export const CONSUMER_REPLICA_ID = -1;

/** The authorizedOperations of a response that was not asked for them. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Fetch sessions (KIP-227): sessionId 0 is none; epoch 0 opens a session, -1 fetches outside one. */
export const FetchSession = {
  NO_SESSION_ID: 0,
  INITIAL_EPOCH: 0,
  FINAL_EPOCH: -1,
} as const;

/**
 * An offset the broker has none to give for: ListOffsets finding no record, a failed produce's
 * baseOffset, a partition error's watermarks (Kafka's UNKNOWN_OFFSET and INVALID_OFFSET, both -1).
 */
export const UNKNOWN_OFFSET = -1;

/** No timestamp: ListOffsets' answer for the special timestamps, a CreateTime topic's logAppendTime (Kafka's UNKNOWN_TIMESTAMP, RecordBatch.NO_TIMESTAMP). */
export const UNKNOWN_TIMESTAMP = -1;

/** CreateTopics' numPartitions and replicationFactor when the broker's defaults (num.partitions, default.replication.factor) or the replica assignments decide. */
export const NO_NUM_PARTITIONS = -1;
export const NO_REPLICATION_FACTOR = -1;

/** DeleteRecords' offset that means "up to the high watermark" (Kafka's DeleteRecordsRequest.HIGH_WATERMARK). */
export const DELETE_TO_HIGH_WATERMARK = -1;
/** The resource types of ACLs (Kafka's ResourceType); ANY only in filters. */
export const AclResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  /** The cluster itself; its one resource is named kafka-cluster. */
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

/** How an ACL's resource name matches (Kafka's PatternType); ANY and MATCH only in filters. */
export const PatternType = {
  UNKNOWN: 0,
  /** Filters: any pattern type, with the exact name. */
  ANY: 1,
  /** Filters: every pattern that applies to the named resource (literal, wildcard and prefixes). */
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;

/** What an ACL allows or denies (Kafka's AclOperation); ANY only in filters. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

/** An ACL's permission (Kafka's AclPermissionType); ANY only in filters. */
export const AclPermissionType = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;

/** The mechanisms of DescribeUserScramCredentials and AlterUserScramCredentials. */
export const ScramMechanism = {
  UNKNOWN: 0,
  SCRAM_SHA_256: 1,
  SCRAM_SHA_512: 2,
} as const;

/** DescribeClientQuotas' matchType. */
export const QuotaMatchType = {
  /** The entity with exactly the name given. */
  EXACT: 0,
  /** The default entity of the type. */
  DEFAULT: 1,
  /** Any entity of the type with a name (not the default). */
  SPECIFIED: 2,
} as const;
