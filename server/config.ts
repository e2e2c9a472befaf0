import { resolve } from "node:path";
import { z } from "zod";
import { parseProxyEntry } from "./control/web-access";

/**
 * Every setting in one table: its flag, its environment variable, its default and what it means.
 * The help text, the README's configuration reference and validation all come from here.
 * Precedence: flag, then environment, then default.
 */
interface OptionSpec<T> {
  flag: string;
  env?: string;
  describe: string;
  schema: z.ZodType<T>;
  default?: T;
  /** Shown in help instead of the default (for derived defaults). */
  defaultText?: string;
  /** Never printed back (passwords). */
  secret?: boolean;
}

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => v === true || v === "true" || v === "1" || v === "yes");

const opt = <T>(spec: OptionSpec<T>) => spec;

export const options = {
  httpPort: opt({ flag: "http-port", env: "TRIBUTARY_HTTP_PORT", schema: port, default: 3000, describe: "HTTP port of the console, tRPC API (/api/trpc) and /metrics" }),
  kafkaPort: opt({ flag: "kafka-port", env: "TRIBUTARY_KAFKA_PORT", schema: port, default: 9092, describe: "port of the Kafka protocol listener" }),
  bind: opt({ flag: "bind", env: "TRIBUTARY_BIND", schema: z.string().min(1), default: "127.0.0.1", describe: "address the HTTP server and the Kafka listener bind to" }),
  advertisedListener: opt({
    flag: "advertised-listener",
    env: "TRIBUTARY_ADVERTISED_LISTENER",
    schema: z.string().regex(/^[^:\s]+:\d+$/, "must be host:port"),
    defaultText: "<bind>:<kafka-port>",
    describe: "host:port the broker tells Kafka clients to connect to",
  }),
  publicUrl: opt({
    flag: "public-url",
    env: "TRIBUTARY_PUBLIC_URL",
    schema: z
      .string()
      .refine((v) => URL.canParse(v) && ["http:", "https:"].includes(new URL(v).protocol), "must be an http:// or https:// URL, e.g. https://tributary.example.com")
      .transform((v) => new URL(v).origin),
    defaultText: "none (the address each request was sent to)",
    describe: "URL browsers use to reach the console, e.g. https://tributary.example.com behind a TLS proxy: only pages from it may change anything, and with https session cookies are Secure",
  }),
  trustedProxies: opt({
    flag: "trusted-proxies",
    env: "TRIBUTARY_TRUSTED_PROXIES",
    schema: z
      .string()
      .transform((v) => v.split(",").map((p) => p.trim()).filter(Boolean))
      .refine((list) => list.every((p) => parseProxyEntry(p)), "must be addresses or CIDR ranges separated by commas, e.g. 127.0.0.1,10.0.0.0/8"),
    default: [],
    defaultText: "none",
    describe: "reverse proxies in front of the console (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host are believed",
  }),
  dataDir: opt({ flag: "data-dir", env: "TRIBUTARY_DATA_DIR", schema: z.string().min(1), default: "./data", describe: "where partition logs, agent channels and the embedded database live" }),
  databaseUrl: opt({ flag: "database-url", env: "DATABASE_URL", schema: z.string().regex(/^postgres(ql)?:\/\//, "must start with postgres://"), secret: true, defaultText: "embedded PGlite in <data-dir>/pg", describe: "Postgres server for configuration and audit, e.g. postgres://user:pass@host:5432/db" }),
  adminPassword: opt({ flag: "admin-password", env: "TRIBUTARY_ADMIN_PASSWORD", schema: z.string().min(8, "must be at least 8 characters"), secret: true, defaultText: "generated and printed once", describe: "password of the `admin` user created on first start" }),
  logLevel: opt({ flag: "log-level", env: "TRIBUTARY_LOG_LEVEL", schema: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]), default: "info", describe: "log level (logs are JSON lines on stdout)" }),
  autoCreateTopics: opt({ flag: "auto-create-topics", env: "TRIBUTARY_AUTO_CREATE_TOPICS", schema: bool, default: true, describe: "create a topic when a client asks for an unknown one (Kafka's auto.create.topics.enable)" }),
  numPartitions: opt({ flag: "num-partitions", env: "TRIBUTARY_NUM_PARTITIONS", schema: z.coerce.number().int().min(1).max(10000), default: 1, describe: "partitions of an auto-created topic (Kafka's num.partitions)" }),
  groupInitialRebalanceDelayMs: opt({ flag: "group-initial-rebalance-delay-ms", env: "TRIBUTARY_GROUP_INITIAL_REBALANCE_DELAY_MS", schema: z.coerce.number().int().min(0), default: 3000, describe: "how long a new group waits for more members before the first rebalance" }),
  socketRequestMaxBytes: opt({ flag: "socket-request-max-bytes", env: "TRIBUTARY_SOCKET_REQUEST_MAX_BYTES", schema: z.coerce.number().int().min(1024), default: 100 * 1024 * 1024, describe: "largest Kafka request accepted; a bigger one closes the connection before it is read (Kafka's socket.request.max.bytes)" }),
  queuedMaxRequestBytes: opt({
    flag: "queued-max-request-bytes",
    env: "TRIBUTARY_QUEUED_MAX_REQUEST_BYTES",
    schema: z.coerce.number().int().min(1024),
    default: 256 * 1024 * 1024,
    describe: "bytes of Kafka requests being read or waiting for their response, over all connections; a connection whose next request does not fit stops being read until memory frees (Kafka's queued.max.request.bytes; at least --socket-request-max-bytes)",
  }),
  maxPartitions: opt({ flag: "max-partitions", env: "TRIBUTARY_MAX_PARTITIONS", schema: z.coerce.number().int().min(1), default: 100_000, describe: "partitions the broker holds in all, over every topic; creating more is refused with POLICY_VIOLATION" }),
  connectionsMaxIdleMs: opt({ flag: "connections-max-idle-ms", env: "TRIBUTARY_CONNECTIONS_MAX_IDLE_MS", schema: z.coerce.number().int().min(1000), default: 600_000, describe: "close Kafka connections idle this long (Kafka's connections.max.idle.ms)" }),
  maxConnections: opt({ flag: "max-connections", env: "TRIBUTARY_MAX_CONNECTIONS", schema: z.coerce.number().int().min(1), default: 10_000, describe: "Kafka client connections accepted at once; further ones are closed (Kafka's max.connections)" }),
  transactionMaxTimeoutMs: opt({ flag: "transaction-max-timeout-ms", env: "TRIBUTARY_TRANSACTION_MAX_TIMEOUT_MS", schema: z.coerce.number().int().min(1), default: 900_000, describe: "the longest transaction.timeout.ms a transactional producer may ask for; InitProducerId asking for more gets INVALID_TRANSACTION_TIMEOUT (Kafka's transaction.max.timeout.ms)" }),
  offsetsRetentionMinutes: opt({ flag: "offsets-retention-minutes", env: "TRIBUTARY_OFFSETS_RETENTION_MINUTES", schema: z.coerce.number().int().min(1), default: 10_080, describe: "committed offsets of a group empty this long are deleted (Kafka's offsets.retention.minutes)" }),
  nodeId: opt({
    flag: "node-id",
    env: "TRIBUTARY_NODE_ID",
    schema: z.coerce.number().int().min(0).max(2_147_483_647),
    defaultText: "none (a single node, no cluster)",
    describe: "this broker's id in a cluster (Kafka's node.id); with it the broker joins the cluster coordinated in --database-url, which must be a Postgres server",
  }),
  rack: opt({ flag: "rack", env: "TRIBUTARY_RACK", schema: z.string().min(1).max(255), defaultText: "none", describe: "rack (or zone) of this broker; replicas of a partition are spread over racks (Kafka's broker.rack)" }),
  defaultReplicationFactor: opt({
    flag: "default-replication-factor",
    env: "TRIBUTARY_DEFAULT_REPLICATION_FACTOR",
    schema: z.coerce.number().int().min(1).max(32),
    defaultText: "1 alone; in a cluster 3, or every live broker when fewer",
    describe: "replicas of a topic created without a replication factor, auto-created ones included (Kafka's default.replication.factor)",
  }),
  minInsyncReplicas: opt({ flag: "min-insync-replicas", env: "TRIBUTARY_MIN_INSYNC_REPLICAS", schema: z.coerce.number().int().min(1).max(32), default: 1, describe: "default of the topic config min.insync.replicas: in-sync replicas an acks=all write needs" }),
  replicaLagTimeMaxMs: opt({ flag: "replica-lag-time-max-ms", env: "TRIBUTARY_REPLICA_LAG_TIME_MAX_MS", schema: z.coerce.number().int().min(100), default: 30_000, describe: "a follower not caught up for this long leaves the ISR (Kafka's replica.lag.time.max.ms)" }),
  uncleanLeaderElectionEnable: opt({ flag: "unclean-leader-election-enable", env: "TRIBUTARY_UNCLEAN_LEADER_ELECTION_ENABLE", schema: bool, default: false, describe: "when no in-sync replica is alive, elect an out-of-sync one (losing what it lacks) instead of leaving the partition offline (Kafka's unclean.leader.election.enable)" }),
  offsetsTopicReplicationFactor: opt({ flag: "offsets-topic-replication-factor", env: "TRIBUTARY_OFFSETS_TOPIC_REPLICATION_FACTOR", schema: z.coerce.number().int().min(1).max(32), default: 3, describe: "replicas of __consumer_offsets, capped by the live brokers when it is created (Kafka's offsets.topic.replication.factor)" }),
  offsetsTopicNumPartitions: opt({ flag: "offsets-topic-num-partitions", env: "TRIBUTARY_OFFSETS_TOPIC_NUM_PARTITIONS", schema: z.coerce.number().int().min(1).max(1000), default: 50, describe: "partitions of __consumer_offsets in a cluster, fixed when it is created (Kafka's offsets.topic.num.partitions); groups spread over their leaders. A single node keeps one" }),
  transactionStateLogReplicationFactor: opt({ flag: "transaction-state-log-replication-factor", env: "TRIBUTARY_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", schema: z.coerce.number().int().min(1).max(32), default: 3, describe: "replicas of __transaction_state in a cluster, capped by the live brokers when it is created (Kafka's transaction.state.log.replication.factor)" }),
  transactionStateLogNumPartitions: opt({ flag: "transaction-state-log-num-partitions", env: "TRIBUTARY_TRANSACTION_STATE_LOG_NUM_PARTITIONS", schema: z.coerce.number().int().min(1).max(1000), default: 50, describe: "partitions of __transaction_state in a cluster, fixed when it is created (Kafka's transaction.state.log.num.partitions); transactional ids spread over their leaders. A single node keeps one" }),
  brokerSessionTimeoutMs: opt({ flag: "broker-session-timeout-ms", env: "TRIBUTARY_BROKER_SESSION_TIMEOUT_MS", schema: z.coerce.number().int().min(1000).max(300_000), default: 6000, describe: "a broker whose lease in the database is not renewed for this long is dead and loses its leaderships (Kafka's broker.session.timeout.ms)" }),
  saslMechanisms: opt({
    flag: "sasl-mechanisms",
    env: "TRIBUTARY_SASL_MECHANISMS",
    schema: z
      .string()
      .transform((v) => v.split(",").map((m) => m.trim().toUpperCase()).filter(Boolean))
      .pipe(z.array(z.enum(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], { message: "mechanisms are PLAIN, SCRAM-SHA-256, SCRAM-SHA-512" }))),
    default: [],
    defaultText: "none (SASL off)",
    describe: "comma-separated SASL mechanisms the Kafka listener requires; when set, clients must authenticate",
  }),
  saslUsers: opt({
    flag: "sasl-users",
    env: "TRIBUTARY_SASL_USERS",
    schema: z
      .string()
      .regex(/^[^:,]+:[^,]+(,[^:,]+:[^,]+)*$/, "must be user:password[,user:password…]")
      .transform((v) => Object.fromEntries(v.split(",").map((pair) => [pair.slice(0, pair.indexOf(":")), pair.slice(pair.indexOf(":") + 1)]))),
    secret: true,
    defaultText: "none",
    describe: "Kafka client users for SASL, as user:password pairs separated by commas; stored as SCRAM credentials at first start, then managed with AlterUserScramCredentials",
  }),
  authorizer: opt({
    flag: "authorizer",
    env: "TRIBUTARY_AUTHORIZER",
    schema: z.enum(["none", "acl"], { message: "must be none or acl" }),
    default: "none",
    describe: "none lets every client do everything; acl checks Kafka's ACLs on every request (without SASL every client is User:ANONYMOUS)",
  }),
  superUsers: opt({
    flag: "super-users",
    env: "TRIBUTARY_SUPER_USERS",
    schema: z
      .string()
      .transform((v) => v.split(";").map((p) => p.trim()).filter(Boolean))
      .refine((list) => list.every((p) => /^User:.+$/.test(p)), "must be principals separated by semicolons, e.g. User:alice;User:bob"),
    default: [],
    defaultText: "none",
    describe: "principals allowed everything whatever the ACLs say, separated by semicolons, e.g. User:admin;User:ops (Kafka's super.users)",
  }),
  allowEveryoneIfNoAclFound: opt({
    flag: "allow-everyone-if-no-acl-found",
    env: "TRIBUTARY_ALLOW_EVERYONE_IF_NO_ACL_FOUND",
    schema: bool,
    default: false,
    describe: "with --authorizer acl, let everyone use a resource that no ACL names (Kafka's allow.everyone.if.no.acl.found)",
  }),
} as const;

type Options = typeof options;
type ValueOf<K extends keyof Options> = Options[K] extends OptionSpec<infer T> ? T : never;

export interface Config {
  httpPort: number;
  kafkaPort: number;
  bind: string;
  advertisedListener: { host: string; port: number };
  publicUrl?: string;
  trustedProxies: string[];
  dataDir: string;
  databaseUrl?: string;
  adminPassword?: string;
  logLevel: ValueOf<"logLevel">;
  autoCreateTopics: boolean;
  numPartitions: number;
  groupInitialRebalanceDelayMs: number;
  socketRequestMaxBytes: number;
  queuedMaxRequestBytes: number;
  maxPartitions: number;
  connectionsMaxIdleMs: number;
  maxConnections: number;
  offsetsRetentionMinutes: number;
  transactionMaxTimeoutMs: number;
  saslMechanisms: ("PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512")[];
  saslUsers?: Record<string, string>;
  authorizer: "none" | "acl";
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
  nodeId?: number;
  rack?: string;
  defaultReplicationFactor?: number;
  minInsyncReplicas: number;
  replicaLagTimeMaxMs: number;
  uncleanLeaderElectionEnable: boolean;
  offsetsTopicReplicationFactor: number;
  offsetsTopicNumPartitions: number;
  transactionStateLogReplicationFactor: number;
  transactionStateLogNumPartitions: number;
  brokerSessionTimeoutMs: number;
}

export class ConfigError extends Error {}

/** Builds the config from parsed flags (string values) and the environment; throws ConfigError naming the bad setting. */
export function loadConfig(flags: Record<string, string | boolean | undefined>, env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(options) as [keyof Options, OptionSpec<unknown>][]) {
    const fromFlag = flags[spec.flag];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    const value = fromFlag ?? (fromEnv === "" ? undefined : fromEnv);
    if (value === undefined) {
      raw[key] = spec.default;
      continue;
    }
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) {
      const source = fromFlag !== undefined ? `--${spec.flag}` : spec.env;
      const shown = spec.secret ? "(hidden)" : JSON.stringify(value);
      throw new ConfigError(`${source} ${shown}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    }
    raw[key] = parsed.data;
  }
  if ((raw.saslMechanisms as string[]).length && !raw.saslUsers) {
    throw new ConfigError("--sasl-mechanisms is set but no --sasl-users (TRIBUTARY_SASL_USERS): nobody could authenticate");
  }
  const [queued, largest] = [raw.queuedMaxRequestBytes as number, raw.socketRequestMaxBytes as number];
  if (queued < largest) {
    throw new ConfigError(`--queued-max-request-bytes ${queued} is smaller than --socket-request-max-bytes ${largest}: the largest request accepted could never be read; raise the first or lower the second`);
  }
  if (raw.nodeId !== undefined && !raw.databaseUrl) {
    throw new ConfigError("--node-id is set but no --database-url (DATABASE_URL): a cluster is coordinated in a Postgres server every broker reaches (the embedded PGlite is private to one process), e.g. --database-url postgres://user:pass@db:5432/tributary");
  }
  const kafkaPort = raw.kafkaPort as number;
  const bind = raw.bind as string;
  const advertised = (raw.advertisedListener as string | undefined) ?? `${bind === "0.0.0.0" || bind === "::" ? "127.0.0.1" : bind}:${kafkaPort}`;
  const sep = advertised.lastIndexOf(":");
  return {
    ...(raw as Omit<Config, "advertisedListener" | "dataDir">),
    dataDir: resolve(raw.dataDir as string),
    advertisedListener: { host: advertised.slice(0, sep), port: Number(advertised.slice(sep + 1)) },
  };
}

/** Help lines for every option: flag, env var, default, description. */
export function describeOptions(keys: (keyof Options)[] = Object.keys(options) as (keyof Options)[]): string {
  return keys
    .map((k) => {
      const s = options[k] as OptionSpec<unknown>;
      const def = s.defaultText ?? (s.default === undefined ? "unset" : JSON.stringify(s.default).replace(/^"(.*)"$/, "$1"));
      return `  --${s.flag} <value>\n      ${s.describe}\n      env ${s.env ?? "-"}; default ${def}`;
    })
    .join("\n");
}
