import { eq } from "drizzle-orm";
import { Kafka, logLevel, Partitioners, type Admin, type KafkaConfig, type Producer } from "kafkajs";
import type { Db } from "@/db/client";
import { clusters } from "@/db/schema";
import type { InternalCredential } from "../broker/broker";
import { logger } from "../log";
import { KafkaRequests } from "./kafka-requests";

const log = logger("clusters");

/** The id of the embedded broker in every cluster list; database clusters use their row id. */
export const EMBEDDED_CLUSTER = "embedded";

/** A cluster id that names no cluster (deleted, or never added). */
export class UnknownCluster extends Error {}

/** A cluster as the console sees it. The SASL password never leaves the server. */
export interface ClusterInfo {
  id: string;
  name: string;
  bootstrapServers: string[];
  saslMechanism: "plain" | "scram-sha-256" | "scram-sha-512" | null;
  saslUsername: string | null;
  hasPassword: boolean;
  tls: boolean;
  embedded: boolean;
}

interface Connection {
  kafka: Kafka;
  config: KafkaConfig;
  admin: Promise<Admin>;
  /** Requests kafkajs's admin lacks (server/control/kafka-requests.ts), made on first use: most pages only need the admin. */
  requests?: KafkaRequests;
  producer?: Promise<Producer>;
}

/**
 * Kafka-protocol connections to every cluster the console manages, one kafkajs client and one
 * connected admin per cluster, made on first use. The console reaches even the embedded broker
 * this way, so the same screens work for an Apache Kafka or Redpanda cluster.
 */
export class ClusterConnections {
  private connections = new Map<string, Connection>();

  constructor(
    private readonly db: Db,
    /** host:port of the embedded broker, when this process runs one. */
    private readonly embeddedBootstrap: string | undefined,
    /** How to log in to the embedded broker when it requires SASL. */
    private readonly embeddedCredential?: InternalCredential,
  ) {}

  async list(): Promise<ClusterInfo[]> {
    const rows = await this.db.select().from(clusters).orderBy(clusters.name);
    const embedded: ClusterInfo[] = this.embeddedBootstrap
      ? [{ id: EMBEDDED_CLUSTER, name: "embedded", bootstrapServers: [this.embeddedBootstrap], saslMechanism: null, saslUsername: null, hasPassword: false, tls: false, embedded: true }]
      : [];
    return [
      ...embedded,
      ...rows.map((r) => ({
        id: String(r.id),
        name: r.name,
        bootstrapServers: splitServers(r.bootstrapServers),
        saslMechanism: r.saslMechanism,
        saslUsername: r.saslUsername,
        hasPassword: Boolean(r.saslPassword),
        tls: r.tls,
        embedded: false,
      })),
    ];
  }

  /** kafkajs options for a cluster id; throws a user-facing error for an unknown one. */
  async configOf(id: string): Promise<KafkaConfig> {
    if (id === EMBEDDED_CLUSTER) {
      if (!this.embeddedBootstrap) throw new UnknownCluster("this process runs no embedded broker; add a cluster on the Clusters page");
      const c = this.embeddedCredential;
      return clientConfig({ bootstrapServers: [this.embeddedBootstrap], tls: false, sasl: c && { mechanism: saslMechanismOf(c.mechanism), username: c.username, password: c.password } });
    }
    const n = Number(id);
    const [row] = Number.isInteger(n) ? await this.db.select().from(clusters).where(eq(clusters.id, n)) : [];
    if (!row) throw new UnknownCluster(`no cluster with id ${id}; pick one on the Clusters page`);
    return clientConfig({
      bootstrapServers: splitServers(row.bootstrapServers),
      tls: row.tls,
      sasl: row.saslMechanism && row.saslUsername ? { mechanism: row.saslMechanism, username: row.saslUsername, password: row.saslPassword ?? "" } : undefined,
    });
  }

  async kafka(id: string): Promise<Kafka> {
    return (await this.connection(id)).kafka;
  }

  /** A connected admin client, shared by every request for that cluster. */
  async admin(id: string): Promise<Admin> {
    return (await this.connection(id)).admin;
  }

  /**
   * Fetch from any offset, batched ListOffsets and Metadata (message browser, topic sizes) and the
   * group offset requests (fetch all, commit outside a generation, delete), over one connection.
   */
  async requests(id: string): Promise<KafkaRequests> {
    const c = await this.connection(id);
    c.requests ??= new KafkaRequests(c.config);
    return c.requests;
  }

  /** A connected producer for the console's Produce page, shared per cluster. */
  async producer(id: string): Promise<Producer> {
    const c = await this.connection(id);
    if (!c.producer) {
      const producer = c.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      const p = producer.connect().then(() => producer);
      c.producer = p;
      p.catch(() => {
        if (c.producer === p) c.producer = undefined;
      });
    }
    return c.producer;
  }

  private async connection(id: string): Promise<Connection> {
    let c = this.connections.get(id);
    if (!c) {
      const config = await this.configOf(id);
      const kafka = new Kafka(config);
      const admin = kafka.admin();
      const connected = admin.connect().then(() => admin);
      c = { kafka, config, admin: connected };
      this.connections.set(id, c);
      // A failed connect must not be cached: the next request tries again.
      connected.catch(() => {
        if (this.connections.get(id) === c) this.connections.delete(id);
      });
    }
    return c;
  }

  /** Drops a cluster's connection (after it was edited or deleted). */
  async forget(id: string): Promise<void> {
    const c = this.connections.get(id);
    this.connections.delete(id);
    if (!c) return;
    // Closing a connection that never opened has nothing to report; the failure reached its caller.
    await Promise.all([
      c.admin.then((a) => a.disconnect()).catch(() => undefined),
      c.producer?.then((p) => p.disconnect()).catch(() => undefined),
      c.requests?.close().catch(() => undefined),
    ]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.keys()].map((id) => this.forget(id)));
  }
}

function saslMechanismOf(m: InternalCredential["mechanism"]): "plain" | "scram-sha-256" | "scram-sha-512" {
  return m === "PLAIN" ? "plain" : m === "SCRAM-SHA-256" ? "scram-sha-256" : "scram-sha-512";
}

export function splitServers(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Client settings shared by the console's connections and a Save-time connection test. */
export function clientConfig(c: {
  bootstrapServers: string[];
  tls: boolean;
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string };
}): KafkaConfig {
  return {
    clientId: "tributary-console",
    brokers: c.bootstrapServers,
    ssl: c.tls,
    sasl: c.sasl ? ({ mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } as KafkaConfig["sasl"]) : undefined,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 200 },
    // kafkajs's own warnings (retries, rebalances) go to our debug log; failures reach callers as errors.
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => log.debug({ namespace: entry.namespace, ...entry.log }, "kafkajs"),
  };
}
