import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { GroupCoordinator } from "./groups/coordinator";
import { followCoordinatorLeadership } from "./groups/cluster-coordinators";
import { OFFSETS_TOPIC } from "./groups/offsets-store";
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator } from "./transactions/coordinator";
import { TxnMarkerSender } from "./transactions/cluster";
import { LogManager } from "./log/log-manager";
import type { TopicConfigs } from "./log/configs";
import { connectionsTotal } from "./metrics";
import { brokerHandlers } from "./handlers";
import type { HandlerRegistry } from "./handlers/registry";
import { Connection } from "./protocol/connection";
import { RequestMemoryPool } from "./protocol/request-memory";
import { SaslAuthenticator, type Mechanism } from "./protocol/sasl";
import { BrokerSecurity } from "./security/security";
import { FileSecurityStore, type SecurityStore } from "./security/store";
import { logger } from "../log";
import type { SecurityOptions } from "./security/security";
import type { ClusterMember } from "../cluster/member";
import { ReplicaManager } from "../cluster/replication/manager";
import { metrics } from "../metrics/registry";

const log = logger("broker");
/**
 * Requests handled at once per connection. Clients pipeline (librdkafka without limit), and
 * produce requests in flight together share one fsync; beyond this the socket is not read, which
 * also bounds what a client that stops reading its responses can make us buffer.
 */
const MAX_IN_FLIGHT_PER_CONNECTION = 16;
const CONNECTIONS_GAUGE = "tributary_broker_connections";
const REQUEST_MEMORY_GAUGE = "tributary_broker_request_memory_bytes";
const MEMORY_WAITERS_GAUGE = "tributary_broker_connections_waiting_for_memory";
export const DEFAULT_SOCKET_REQUEST_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_QUEUED_MAX_REQUEST_BYTES = 256 * 1024 * 1024;
const GROUPS_GAUGE = "tributary_broker_groups";
/** Kafka's replica.lag.time.max.ms default. */
const DEFAULT_REPLICA_LAG_TIME_MAX_MS = 30_000;
/** Kafka's offsets.commit.timeout.ms: how long a commit waits for the offsets partition's replicas. */
const OFFSETS_COMMIT_TIMEOUT_MS = 5_000;
/** How long a __transaction_state write waits for its in-sync replicas (Kafka's request.timeout.ms for the log append). */
const TRANSACTION_STATE_WRITE_TIMEOUT_MS = 5_000;

export interface BrokerOptions {
  dataDir: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  advertisedHost?: string;
  /** Defaults to the bound port. */
  advertisedPort?: number;
  nodeId?: number;
  autoCreateTopics?: boolean;
  numPartitions?: number;
  groupInitialRebalanceDelayMs?: number;
  offsetsRetentionMs?: number;
  sasl?: { mechanisms: Mechanism[]; users: Record<string, string> };
  maxConnections?: number;
  connectionsMaxIdleMs?: number;
  socketRequestMaxBytes?: number;
  /** Bytes of requests being read or waiting for their response, over all connections (Kafka's queued.max.request.bytes). */
  queuedMaxRequestBytes?: number;
  /** Partitions over all topics; creating more is refused with POLICY_VIOLATION. */
  maxPartitions?: number;
  topicDefaults?: TopicConfigs;
  /** The longest transaction.timeout.ms a producer may ask for (Kafka's transaction.max.timeout.ms). */
  transactionMaxTimeoutMs?: number;
  /** How often transactions open past their timeout are looked for and aborted. */
  transactionAbortIntervalMs?: number;
  /** The authorizer, super users and allow.everyone.if.no.acl.found. */
  security?: SecurityOptions;
  /** Where ACLs, credentials and quotas live: the data dir's security.json unless given (a cluster's Postgres). */
  openSecurityStore?: () => Promise<SecurityStore>;
  /** Cluster mode: the membership this broker joins once it listens, and answers metadata from. */
  cluster?: ClusterMember;
  /** Cluster mode: replica.lag.time.max.ms (a follower not caught up for this long leaves the ISR). */
  replicaLagTimeMaxMs?: number;
}

/**
 * How this process's own clients (the console's connections, the lag sampler) log in to its
 * broker when SASL is on: a user made up at each start, known only in memory, never logged.
 */
export interface InternalCredential {
  mechanism: Mechanism;
  username: string;
  password: string;
}

/** SCRAM first, so the password never crosses the socket even on loopback. */
const INTERNAL_MECHANISMS: Mechanism[] = ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"];

function internalCredential(mechanisms: Mechanism[]): InternalCredential {
  return {
    mechanism: INTERNAL_MECHANISMS.find((m) => mechanisms.includes(m))!,
    username: `tributary-internal-${randomBytes(6).toString("hex")}`,
    password: randomBytes(32).toString("base64url"),
  };
}

/** The request memory pool's size; as in Kafka it must hold at least one request of the largest size accepted. */
function requestMemoryOf(opts: BrokerOptions): number {
  const pool = opts.queuedMaxRequestBytes ?? DEFAULT_QUEUED_MAX_REQUEST_BYTES;
  const largest = opts.socketRequestMaxBytes ?? DEFAULT_SOCKET_REQUEST_MAX_BYTES;
  if (pool < largest) throw new RangeError(`queued.max.request.bytes (${pool}) must be at least socket.request.max.bytes (${largest}), or the largest request accepted could never be read; raise --queued-max-request-bytes or lower --socket-request-max-bytes`);
  return pool;
}

/**
 * The broker: partition logs, group coordinator and the Kafka protocol listener, started and
 * stopped as one part of the process.
 */
export class Broker {
  private connections = new Set<Connection>();
  private readonly handlers: HandlerRegistry;
  private readonly requestMemory: RequestMemoryPool;
  /** The port the listener got (port 0 picks one), read once: Metadata asks on every request. */
  private boundPort: number | undefined;
  readonly internalCredential: InternalCredential | undefined;
  private readonly replication: ReplicaManager | undefined;
  private unfollowCoordinators: (() => void)[] = [];
  private readonly markers: TxnMarkerSender | undefined;

  private constructor(
    private server: Server,
    readonly logs: LogManager,
    readonly groups: GroupCoordinator,
    readonly transactions: TransactionCoordinator,
    readonly security: BrokerSecurity,
    private opts: BrokerOptions,
    requestMemoryBytes: number,
  ) {
    if (opts.sasl?.mechanisms.length) {
      const internal = (this.internalCredential = internalCredential(opts.sasl.mechanisms));
      security.addInternalUser(internal);
    }
    // Followers log in as this broker's internal user: every broker of the cluster accepts it (shareInternalUser).
    this.replication = opts.cluster && new ReplicaManager(opts.cluster, logs, { replicaLagTimeMaxMs: opts.replicaLagTimeMaxMs ?? DEFAULT_REPLICA_LAG_TIME_MAX_MS, sasl: this.internalCredential });
    const replication = this.replication;
    this.markers = opts.cluster && new TxnMarkerSender(opts.cluster, this.internalCredential);
    const cluster = opts.cluster;
    if (replication && cluster) {
      const markers = this.markers!;
      transactions.joinCluster({
        awaitReplicas: (p, lastOffset) => replication.awaitReplicated(TRANSACTION_STATE_TOPIC, p, logs.partition(TRANSACTION_STATE_TOPIC, p), lastOffset, TRANSACTION_STATE_WRITE_TIMEOUT_MS),
        sendMarkers: (...args) => markers.send(...args),
        // Before __consumer_offsets exists, the count it will be created with: the group's partition must not change once in a transaction.
        offsetsPartitions: () => cluster.metadata().topics.get(OFFSETS_TOPIC)?.partitions.length ?? cluster.offsetsTopicPlacement().partitions,
      });
      groups.offsets.awaitReplicas = (p, lastOffset) => replication.awaitReplicated(OFFSETS_TOPIC, p, logs.partition(OFFSETS_TOPIC, p), lastOffset, OFFSETS_COMMIT_TIMEOUT_MS);
    }
    this.handlers = brokerHandlers({
      logs,
      groups,
      transactions,
      nodeId: opts.nodeId ?? 0,
      advertisedHost: opts.advertisedHost ?? opts.host,
      advertisedPort: () => this.advertisedPort,
      autoCreateTopics: opts.autoCreateTopics ?? true,
      numPartitions: opts.numPartitions ?? 1,
      cluster: opts.cluster,
      replication: this.replication,
    }, security);
    this.requestMemory = new RequestMemoryPool(requestMemoryBytes);
    // Gauges read this broker's state; a broker started after another in the same process replaces them.
    for (const gauge of [CONNECTIONS_GAUGE, GROUPS_GAUGE, REQUEST_MEMORY_GAUGE, MEMORY_WAITERS_GAUGE]) metrics.remove(gauge, {});
    metrics.gauge(CONNECTIONS_GAUGE, "open Kafka client connections", {}, () => this.connections.size);
    metrics.gauge(REQUEST_MEMORY_GAUGE, "bytes of requests being read or waiting for their response (of queued.max.request.bytes)", {}, () => this.requestMemory.capacity - this.requestMemory.available);
    metrics.gauge(MEMORY_WAITERS_GAUGE, "connections paused until request memory frees up", {}, () => this.requestMemory.waiters);
    for (const state of ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"] as const) {
      metrics.gauge(GROUPS_GAUGE, "consumer groups by state", { state }, () => this.groups.stats()[state]);
    }
  }

  static async start(opts: BrokerOptions): Promise<Broker> {
    const requestMemoryBytes = requestMemoryOf(opts);
    const logs = LogManager.open({ dataDir: opts.dataDir, defaults: opts.topicDefaults, maxPartitions: opts.maxPartitions });
    const cluster = opts.cluster;
    // Producer ids name producers on every broker a client writes to: in a cluster they must not repeat between brokers.
    if (cluster) logs.useProducerIdBlocks(() => cluster.producerIdBlock());
    const groups = new GroupCoordinator({ logs, initialRebalanceDelayMs: opts.groupInitialRebalanceDelayMs, offsetsRetentionMs: opts.offsetsRetentionMs });
    const transactions = new TransactionCoordinator({
      logs,
      onOffsetsMarker: (producerId, commit) => groups.offsets.completeTransaction(producerId, commit),
      maxTimeoutMs: opts.transactionMaxTimeoutMs,
      abortTimedOutIntervalMs: opts.transactionAbortIntervalMs,
    });
    try {
      // Groups first: the transactions a crash left prepared write markers to __consumer_offsets.
      // In a cluster a broker coordinates only the groups of the offsets partitions it leads, known once it has joined.
      await groups.start({ followLeadership: opts.cluster !== undefined });
      await transactions.start({ followLeadership: opts.cluster !== undefined });
    } catch (err) {
      transactions.close();
      groups.close();
      await logs.close();
      throw err;
    }
    let security: BrokerSecurity;
    let store: SecurityStore | undefined;
    try {
      store = opts.openSecurityStore ? await opts.openSecurityStore() : FileSecurityStore.open(opts.dataDir);
      security = await BrokerSecurity.open(store, { authorizer: "none", ...opts.security, seedUsers: opts.sasl?.users });
    } catch (err) {
      await store?.close().catch(() => undefined);
      groups.close();
      await logs.close();
      throw err;
    }
    const server = createServer();
    const broker = new Broker(server, logs, groups, transactions, security, opts, requestMemoryBytes);
    server.on("connection", (s) => broker.accept(s));
    try {
      // This process's clients reach every broker of a cluster, so each must know its internal user.
      if (opts.cluster) await security.shareInternalUser(opts.cluster.nodeId);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(opts.port, opts.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      // Only a listening broker joins: the address it registers must already answer.
      await opts.cluster?.join(logs, { host: opts.advertisedHost ?? opts.host, port: broker.advertisedPort });
      broker.replication?.start();
      if (opts.cluster) {
        broker.unfollowCoordinators = [followCoordinatorLeadership(opts.cluster, OFFSETS_TOPIC, groups), followCoordinatorLeadership(opts.cluster, TRANSACTION_STATE_TOPIC, transactions)];
      }
    } catch (err) {
      transactions.close();
      server.close();
      groups.close();
      await security.close();
      await logs.close();
      throw err;
    }
    log.info({ bootstrap: broker.bootstrap, dataDir: opts.dataDir, sasl: opts.sasl?.mechanisms ?? [], authorizer: opts.security?.authorizer ?? "none" }, "broker listening");
    return broker;
  }

  address(): { host: string; port: number } {
    if (this.boundPort === undefined) {
      const a = this.server.address();
      if (typeof a !== "object" || !a) return { host: this.opts.host, port: this.opts.port };
      this.boundPort = a.port;
    }
    return { host: this.opts.host, port: this.boundPort };
  }

  private get advertisedPort(): number {
    return this.opts.advertisedPort || this.address().port;
  }

  /** host:port for clients' bootstrap.servers. */
  get bootstrap(): string {
    return `${this.opts.advertisedHost ?? this.opts.host}:${this.advertisedPort}`;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= (this.opts.maxConnections ?? 10_000)) {
      log.warn({ client: socket.remoteAddress, limit: this.opts.maxConnections }, "connection limit reached; refusing a client");
      socket.destroy();
      return;
    }
    connectionsTotal.inc();
    const sasl = this.opts.sasl?.mechanisms.length ? new SaslAuthenticator(this.opts.sasl.mechanisms, this.security) : undefined;
    const conn: Connection = new Connection(
      socket,
      this.handlers,
      { maxRequestBytes: this.opts.socketRequestMaxBytes ?? DEFAULT_SOCKET_REQUEST_MAX_BYTES, idleMs: this.opts.connectionsMaxIdleMs ?? 600_000, maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION },
      this.requestMemory,
      sasl,
      () => this.connections.delete(conn),
    );
    this.connections.add(conn);
  }

  get cluster(): ClusterMember | undefined {
    return this.opts.cluster;
  }

  async close(): Promise<void> {
    // Produces waiting for replicas are answered NOT_LEADER_OR_FOLLOWER (their producers retry at the
    // next leader); then leave, so the controller moves leaderships while this broker still answers.
    for (const off of this.unfollowCoordinators) off();
    this.markers?.close();
    await this.replication?.stop();
    await this.opts.cluster?.leave();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const c of this.connections) c.close("broker shutting down");
    });
    this.transactions.close();
    this.groups.close();
    await this.security.close();
    await this.logs.close();
    log.info("broker stopped");
  }
}
