import { accessSync, constants, mkdirSync, readFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { join } from "node:path";
import type { Services } from "./api/trpc";
import type { Config } from "./config";
import { LoginLimiter } from "./control/login-limiter";
import { WebAccess } from "./control/web-access";
import { ClusterConnections } from "./admin/clusters";
import { EmbeddedAgent } from "./control/agent-registry";
import { startSessionPurge } from "./control/sessions";
import { ensureAdmin } from "./control/users";
import { openDatabase, type Database } from "@/db/client";
import { Broker } from "./broker/broker";
import { ClusterJoinError, ClusterMember } from "./cluster/member";
import { ClusterStore } from "./cluster/store";
import { PgSecurityStore } from "./broker/security/pg-store";
import { AgentHost } from "./agents/host";
import { buildConsole, consoleBuildIsStale } from "./build";
import { DataDirLockedError, lockDataDir } from "./data-dir-lock";
import { createRequestHandler } from "./http";
import { log } from "./log";
import { LagSampler } from "./metrics/lag";
import { MetricRollups } from "./metrics/rollups";
import { SeriesSampler } from "./metrics/series";
import { metrics } from "./metrics/registry";
import { migrationsDir, projectRoot } from "./paths";
import { StartProgress } from "./starting-page";

/** A start-up failure a person can act on: printed as one line, exit code 1. */
export class StartupError extends Error {}

export const version: string = (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string }).version;

/** Something started that must be stopped on shutdown, in reverse order of starting. */
export interface Part {
  name: string;
  stop(): Promise<void>;
}

export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new StartupError(`data dir ${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set --data-dir or TRIBUTARY_DATA_DIR`);
  }
}

export async function openMigratedDatabase(config: Config): Promise<Database> {
  let database: Database;
  try {
    database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  try {
    await database.migrate(migrationsDir);
  } catch (err) {
    await database.close().catch(() => {});
    throw new StartupError(`cannot migrate the database at ${database.location}: ${(err as Error).message}`);
  }
  return database;
}

function listen(server: Server, port: number, host: string, what: string, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (err.code === "EADDRINUSE") reject(new StartupError(`${what} port ${port} on ${host} is already in use; stop the other process or set --${flag}`));
      else if (err.code === "EACCES") reject(new StartupError(`no permission to bind ${what} port ${port} on ${host}; pick a port above 1024 with --${flag}`));
      else if (err.code === "EADDRNOTAVAIL") reject(new StartupError(`cannot bind ${host}: no such local address; set --bind`));
      else reject(err);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/** With --node-id, the broker's membership of the cluster coordinated in the --database-url server. */
function clusterMember(config: Config): ClusterMember | undefined {
  if (config.nodeId === undefined || !config.databaseUrl) return undefined;
  return new ClusterMember(ClusterStore.open(config.databaseUrl), {
    nodeId: config.nodeId,
    rack: config.rack,
    sessionTimeoutMs: config.brokerSessionTimeoutMs,
    uncleanLeaderElection: config.uncleanLeaderElectionEnable,
    defaultReplicationFactor: config.defaultReplicationFactor,
    offsetsTopicReplicationFactor: config.offsetsTopicReplicationFactor,
    offsetsTopicNumPartitions: config.offsetsTopicNumPartitions,
    transactionStateLogReplicationFactor: config.transactionStateLogReplicationFactor,
    transactionStateLogNumPartitions: config.transactionStateLogNumPartitions,
  });
}

/** A cluster's ACLs, credentials and quotas live with its metadata, so every broker applies the same; a single node keeps them in its data dir. */
function securityStoreOf(config: Config): (() => Promise<PgSecurityStore>) | undefined {
  const url = config.databaseUrl;
  if (config.nodeId === undefined || !url) return undefined;
  return () => PgSecurityStore.open(url);
}

/** Starts the broker on the configured listener; a taken port fails the start with one line. */
export async function startBroker(config: Config): Promise<Broker> {
  try {
    return await Broker.start({
      dataDir: config.dataDir,
      host: config.bind,
      port: config.kafkaPort,
      advertisedHost: config.advertisedListener.host,
      advertisedPort: config.advertisedListener.port || undefined,
      autoCreateTopics: config.autoCreateTopics,
      numPartitions: config.numPartitions,
      groupInitialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      socketRequestMaxBytes: config.socketRequestMaxBytes,
      queuedMaxRequestBytes: config.queuedMaxRequestBytes,
      maxPartitions: config.maxPartitions,
      connectionsMaxIdleMs: config.connectionsMaxIdleMs,
      maxConnections: config.maxConnections,
      offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
      transactionMaxTimeoutMs: config.transactionMaxTimeoutMs,
      sasl: config.saslMechanisms.length ? { mechanisms: config.saslMechanisms, users: config.saslUsers ?? {} } : undefined,
      security: { authorizer: config.authorizer, superUsers: config.superUsers, allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound },
      nodeId: config.nodeId,
      topicDefaults: { "min.insync.replicas": String(config.minInsyncReplicas), "unclean.leader.election.enable": String(config.uncleanLeaderElectionEnable) },
      cluster: clusterMember(config),
      replicaLagTimeMaxMs: config.replicaLagTimeMaxMs,
      openSecurityStore: securityStoreOf(config),
    });
  } catch (err) {
    if (err instanceof ClusterJoinError) throw new StartupError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new StartupError(`Kafka port ${config.kafkaPort} on ${config.bind} is already in use; stop the other process or set --kafka-port`);
    if (code === "EACCES") throw new StartupError(`no permission to bind Kafka port ${config.kafkaPort}; pick a port above 1024 with --kafka-port`);
    throw err;
  }
}

export interface Running {
  httpUrl: string;
  kafkaBootstrap: string;
  database: Pick<Database, "kind" | "location">;
  /** The admin password generated by this start (the first), for the banner to show again. */
  generatedAdminPassword?: string;
  stop(): Promise<void>;
}

/** Takes the data dir for this process, or fails the start with one line naming the holder. */
export function lockDataDirForStart(dir: string): Part {
  try {
    const release = lockDataDir(dir);
    return { name: "data dir lock", stop: () => Promise.resolve(release()) };
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new StartupError(err.message);
    throw err;
  }
}

/**
 * `tributary start`: database, broker, embedded agent and the console in one process.
 * Every part started is registered so a failure half-way stops what already runs; aborting the
 * signal (a stop requested while starting) ends the start at the next step, the console build at once.
 */
export async function startAll(config: Config, signal?: AbortSignal): Promise<Running> {
  const parts: Part[] = [];
  // The HTTP port is bound first, so it answers at once: until the console is ready, with a page
  // saying what the start is doing. On the way down it closes first, before what it serves.
  const progress = new StartProgress();
  let handler: RequestListener = (req, res) => progress.respond(req, res);
  const server = createServer((req, res) => handler(req, res));
  const stopAll = async () => {
    if (server.listening) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold shutdown open; idle ones are closed at once.
        server.closeIdleConnections();
      });
    }
    for (const part of parts.reverse()) {
      try {
        await part.stop();
      } catch (err) {
        log.error({ err, part: part.name }, "stop failed");
      }
    }
  };
  try {
    ensureDataDir(config.dataDir);
    parts.push(lockDataDirForStart(config.dataDir));
    await listen(server, config.httpPort, config.bind, "HTTP", "http-port");

    progress.step("Opening the database");
    const database = await openMigratedDatabase(config);
    parts.push({ name: "database", stop: () => database.close() });
    signal?.throwIfAborted();

    const admin = await ensureAdmin(database.db, config.adminPassword);
    if (admin.generated) {
      process.stdout.write(
        `\n  First start: created user "admin" with password  ${admin.generated}\n  It is shown only this once (and again when the console is ready); change it on the Users page.\n\n`,
      );
    } else if (admin.created) {
      log.info("created user admin with the configured TRIBUTARY_ADMIN_PASSWORD");
    }

    const sessionPurge = startSessionPurge(database.db);
    parts.push({ name: "session purge", stop: () => sessionPurge.stop() });

    progress.step("Starting the broker");
    const broker = await startBroker(config);
    parts.push({ name: "broker", stop: () => broker.close() });
    signal?.throwIfAborted();

    progress.step("Starting the embedded agent");
    const agent = new AgentHost({ agent: "embedded", dataDir: join(config.dataDir, "agents"), localKafka: { bootstrap: broker.bootstrap, ...(broker.internalCredential ? { credential: broker.internalCredential } : {}) } });
    parts.push({ name: "embedded agent", stop: () => agent.close() });
    const fleet = new EmbeddedAgent(database.db, agent, version);
    await fleet.start();
    parts.push({ name: "agent registry", stop: () => fleet.stop() });
    signal?.throwIfAborted();

    const sampler = new SeriesSampler(metrics);
    sampler.start();
    parts.push({ name: "metrics", stop: () => Promise.resolve(sampler.stop()) });

    const clusters = new ClusterConnections(database.db, broker.bootstrap, broker.internalCredential);
    parts.push({ name: "cluster connections", stop: () => clusters.close() });

    const rollups = new MetricRollups(database.db, sampler);
    rollups.start();
    parts.push({ name: "metric rollups", stop: () => Promise.resolve(rollups.stop()) });

    const lag = new LagSampler(clusters);
    lag.persistTo(database.db);
    lag.start();
    parts.push({ name: "lag sampler", stop: () => Promise.resolve(lag.stop()) });

    const services: Services = {
      database,
      version,
      startedAt: Date.now(),
      loginLimiter: new LoginLimiter(),
      web: new WebAccess({ publicUrl: config.publicUrl, trustedProxies: config.trustedProxies }),
      broker: { bootstrap: broker.bootstrap, healthy: () => true, instance: broker },
      agents: { healthy: () => agent.healthy(), flows: () => agent.status().length, host: agent },
      clusters,
      sampler,
      lag,
      fleet,
    };

    if (consoleBuildIsStale()) {
      progress.step("Building the console");
      await buildConsole({ signal, onLine: (line) => progress.buildOutput(line) });
    }
    progress.step("Loading the console");
    const { default: next } = await import("next");
    const app = next({ dev: false, dir: projectRoot, hostname: config.bind, port: config.httpPort });
    await app.prepare();
    signal?.throwIfAborted();
    const handle = app.getRequestHandler();
    handler = createRequestHandler(services, (req, res) => handle(req, res));

    const httpUrl = `http://${config.bind}:${(server.address() as { port: number }).port}`;
    return { httpUrl, kafkaBootstrap: broker.bootstrap, database, generatedAdminPassword: admin.generated, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** SIGINT/SIGTERM stop gracefully; a second signal exits at once. */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, "stopping: finishing in-flight work, flushing logs and channels");
    stop().then(
      () => {
        log.info("stopped cleanly");
        log.flush();
        process.exit(0);
      },
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}
