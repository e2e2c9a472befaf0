import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * Configuration and audit live here; records, offsets and metrics do not (see docs/architecture.md).
 */

export const roles = ["admin", "operator", "viewer"] as const;
export type Role = (typeof roles)[number];

export const users = pgTable("users", {
  id: serial("id").primaryKey(),
  username: text("username").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role", { enum: roles }).notNull(),
  disabled: boolean("disabled").notNull().default(false),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A session row is keyed by the SHA-256 of the cookie token, so a database leak reveals no usable cookie. */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    clientAddress: text("client_address"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const auditOutcomes = ["ok", "denied", "error"] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/** Append-only: nothing in the code updates or deletes these rows. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    targetKind: text("target_kind"),
    target: text("target"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    outcome: text("outcome", { enum: auditOutcomes }).notNull(),
    requestId: text("request_id").notNull(),
    clientAddress: text("client_address"),
  },
  (t) => [
    index("audit_at_idx").on(t.at),
    index("audit_actor_idx").on(t.actor),
    index("audit_action_idx").on(t.action),
  ],
);

export const clusters = pgTable("clusters", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  bootstrapServers: text("bootstrap_servers").notNull(),
  saslMechanism: text("sasl_mechanism", { enum: ["plain", "scram-sha-256", "scram-sha-512"] }),
  saslUsername: text("sasl_username"),
  /** Never sent to the browser; the API returns only whether one is set. */
  saslPassword: text("sasl_password"),
  tls: boolean("tls").notNull().default(false),
  embedded: boolean("embedded").notNull().default(false),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const flows = pgTable("flows", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const flowVersions = pgTable(
  "flow_versions",
  {
    id: serial("id").primaryKey(),
    flowId: integer("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    definition: jsonb("definition").$type<unknown>().notNull(),
    message: text("message").notNull().default(""),
    author: text("author").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("flow_versions_flow_version_idx").on(t.flowId, t.version)],
);

export const agentStates = ["online", "offline", "revoked"] as const;

/** Registered agents; the embedded one is registered at start like any other. */
export const agents = pgTable("agents", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  host: text("host"),
  version: text("version"),
  /** SHA-256 of the agent's token. */
  tokenHash: text("token_hash"),
  embedded: boolean("embedded").notNull().default(false),
  state: text("state", { enum: agentStates }).notNull().default("offline"),
  lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true }),
  /** Last reported status: flows running, component states, event rates. */
  status: jsonb("status").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").$type<unknown>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Metric history for the dashboard's 1 h / 24 h / 7 d ranges: one row per series per minute,
 * rolled up from the per-second rings (server/metrics/rollups.ts) or, for other clusters, from the
 * console's samples of them (server/metrics/cluster-rates.ts). Live data never comes from here.
 */
export const metricRollups = pgTable(
  "metric_rollups",
  {
    /** The cluster measured: the embedded broker's own metrics are "embedded". */
    cluster: text("cluster").notNull().default("embedded"),
    metric: text("metric").notNull(),
    /** The series' labels as `k=v,k=v` (sorted), or "" for the sum over all members. */
    labels: text("labels").notNull(),
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    avg: doublePrecision("avg").notNull(),
    max: doublePrecision("max").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.metric, t.labels, t.minute] }), index("metric_rollups_minute_idx").on(t.minute)],
);

/**
 * Consumer lag history, so lag charts survive a restart: one row per group per minute per cluster
 * (server/metrics/lag.ts), the group's lag at the minute's last sample and the most it was behind.
 */
export const lagRollups = pgTable(
  "lag_rollups",
  {
    cluster: text("cluster").notNull(),
    /** The consumer group, or "" for the total over the cluster's groups. */
    groupId: text("group_id").notNull(),
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    last: doublePrecision("last").notNull(),
    max: doublePrecision("max").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.groupId, t.minute] }), index("lag_rollups_minute_idx").on(t.minute)],
);

// --- Agent fleet: registration tokens and deployments -------------------------------------------

/** A registration token lets one standalone agent heartbeat; only its SHA-256 is kept. */
export const agentTokens = pgTable("agent_tokens", {
  id: serial("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  /** First characters of the token, so a person can tell tokens apart in the list. */
  prefix: text("prefix").notNull(),
  label: text("label").notNull().default(""),
  createdBy: text("created_by").notNull(),
  /** The agent the token registered with its first heartbeat; from then on it serves only that agent. */
  agentId: integer("agent_id").references(() => agents.id, { onDelete: "set null" }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const deploymentStates = ["running", "stopped"] as const;

/** Which version of a flow should run on which agent; the agent's heartbeat reports whether it does. */
export const deployments = pgTable(
  "deployments",
  {
    id: serial("id").primaryKey(),
    flowId: integer("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    agentId: integer("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** Desired state: a stopped deployment stays listed so it can be started again. */
    desired: text("desired", { enum: deploymentStates }).notNull().default("running"),
    deployedBy: text("deployed_by").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("deployments_flow_agent_idx").on(t.flowId, t.agentId)],
);

/**
 * Cluster coordination (brokers started with --node-id). Every change is a conditional update in a
 * transaction (compare-and-set on an epoch or incarnation); times are the database's clock, so the
 * brokers' clocks never decide who is alive. See docs/architecture.md, "Cluster mode".
 */
export const clusterBrokers = pgTable("cluster_brokers", {
  nodeId: integer("node_id").primaryKey(),
  host: text("host").notNull(),
  port: integer("port").notNull(),
  rack: text("rack"),
  /** Bumped by every registration: a process whose renewal names an older one has been replaced. */
  incarnation: bigint("incarnation", { mode: "number" }).notNull().default(1),
  leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }).notNull(),
  registeredAt: timestamp("registered_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Blocks of producer ids for InitProducerId, as Kafka's controller hands them out
 * (AllocateProducerIds): block n holds ids n × 1,000 … n × 1,000 + 999, so ids are unique across
 * the brokers of a cluster and never reused. Block 0 is skipped, as a single broker's ids start at 1,000.
 */
export const clusterProducerIdBlocks = pgSequence("cluster_producer_id_blocks", { startWith: 1, minValue: 1 });

/**
 * One row: the cluster's id, who controls it under which epoch (the fence every controller write
 * checks) until when, and the metadata version. Every metadata write updates this row first, so
 * writes are serialized and a deposed controller's transaction finds its epoch gone.
 */
export const clusterController = pgTable(
  "cluster_controller",
  {
    id: integer("id").primaryKey().default(1),
    clusterId: text("cluster_id").notNull(),
    nodeId: integer("node_id"),
    epoch: bigint("epoch", { mode: "number" }).notNull().default(0),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    /** Bumped with every change of topics, configs or partitions, so brokers re-read those only when it moved. */
    metadataVersion: bigint("metadata_version", { mode: "number" }).notNull().default(0),
  },
  (t) => [check("cluster_controller_single_row", sql`${t.id} = 1`)],
);

export const clusterTopics = pgTable("cluster_topics", {
  name: text("name").primaryKey(),
  topicId: text("topic_id").notNull().unique(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Topic config overrides (defaults are each broker's flags). */
export const clusterTopicConfigs = pgTable(
  "cluster_topic_configs",
  {
    topic: text("topic")
      .notNull()
      .references(() => clusterTopics.name, { onDelete: "cascade" }),
    name: text("name").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.topic, t.name] })],
);

export const clusterPartitions = pgTable(
  "cluster_partitions",
  {
    topic: text("topic")
      .notNull()
      .references(() => clusterTopics.name, { onDelete: "cascade" }),
    partition: integer("partition").notNull(),
    /** Replica node ids, the preferred leader first. */
    replicas: integer("replicas").array().notNull(),
    /** -1 while no replica can lead (offline). */
    leader: integer("leader").notNull(),
    leaderEpoch: integer("leader_epoch").notNull().default(0),
    isr: integer("isr").array().notNull(),
    /** Bumped by every change of the row (leader, ISR, replicas): the compare-and-set token. */
    partitionEpoch: integer("partition_epoch").notNull().default(0),
    /** A reassignment in progress: replicas added (catching up) and to be removed once every target replica is in the ISR. */
    addingReplicas: integer("adding_replicas").array().notNull().default([]),
    removingReplicas: integer("removing_replicas").array().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.topic, t.partition] })],
);

/**
 * The cluster's security metadata (brokers started with --node-id): ACLs, SCRAM credentials and
 * client quotas, the same state a single node keeps in <data dir>/security.json. Every change
 * locks and bumps `cluster_security.version` first, so changes from different brokers apply one at
 * a time and each broker re-reads only when the version moved.
 */
export const clusterSecurity = pgTable(
  "cluster_security",
  {
    id: integer("id").primaryKey().default(1),
    version: bigint("version", { mode: "number" }).notNull().default(0),
    /** `--sasl-users` has been stored once; later starts of any broker never seed again. */
    seeded: boolean("seeded").notNull().default(false),
  },
  (t) => [check("cluster_security_single_row", sql`${t.id} = 1`)],
);

/** One Kafka ACL binding; codes are Kafka's (resource, pattern, operation and permission types). */
export const clusterAcls = pgTable(
  "cluster_acls",
  {
    resourceType: integer("resource_type").notNull(),
    resourceName: text("resource_name").notNull(),
    patternType: integer("pattern_type").notNull(),
    principal: text("principal").notNull(),
    host: text("host").notNull(),
    operation: integer("operation").notNull(),
    permission: integer("permission").notNull(),
  },
  (t) => [primaryKey({ name: "cluster_acls_pk", columns: [t.resourceType, t.resourceName, t.patternType, t.principal, t.host, t.operation, t.permission] })],
);

/** Salt, iterations and keys (base64), never a password. */
export const clusterScramCredentials = pgTable(
  "cluster_scram_credentials",
  {
    username: text("username").notNull(),
    mechanism: text("mechanism").notNull(),
    salt: text("salt").notNull(),
    iterations: integer("iterations").notNull(),
    storedKey: text("stored_key").notNull(),
    serverKey: text("server_key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.username, t.mechanism] })],
);

/**
 * A quota entity ({"user": "alice"}, {"user": null} for the default user, {"user": …, "clientId": …})
 * with its values ({"producer_byte_rate": 1048576}); whether a key is present is part of the entity.
 */
export const clusterClientQuotas = pgTable("cluster_client_quotas", {
  entity: jsonb("entity").$type<{ user?: string | null; clientId?: string | null }>().primaryKey(),
  values: jsonb("values").$type<Record<string, number>>().notNull(),
});

/**
 * Each broker's internal user (its console, lag sampler and embedded agents connect to every
 * broker), replaced at each start: SCRAM credentials by mechanism, never the password.
 */
export const clusterInternalUsers = pgTable("cluster_internal_users", {
  nodeId: integer("node_id").primaryKey(),
  username: text("username").notNull().unique(),
  credentials: jsonb("credentials").$type<Record<string, { salt: string; iterations: number; storedKey: string; serverKey: string }>>().notNull(),
});
