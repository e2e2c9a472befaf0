import type { Db } from "../../db/client";
import { clusters } from "../../db/schema";
import type { InternalCredential } from "../broker/broker";
import { KafkaClient, type ClientOptions, type Producer, type SaslMechanism } from "../kafka/client";

/** The slug of the embedded broker in every cluster list. */
export const EMBEDDED_CLUSTER = "embedded";

/**
 * The cluster's name as URLs and every cluster-scoped request carry it ("Prod East" → prod-east),
 * so a link says which cluster it opens. Names whose slugs collide are refused when saved.
 */
export function slugOf(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** A cluster id that names no cluster (deleted, or never added). */
export class UnknownCluster extends Error {}

/** The SASL mechanisms the Clusters page offers, as the clusters table stores them. */
export type ClusterSaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

/** A cluster as the console sees it. The SASL password never leaves the server. */
export interface ClusterInfo {
  /** The row to edit or delete on the Clusters page. */
  id: string;
  /** What links and cluster-scoped requests name it by. */
  slug: string;
  name: string;
  bootstrapServers: string[];
  saslMechanism: ClusterSaslMechanism | null;
  saslUsername: string | null;
  hasPassword: boolean;
  tls: boolean;
  embedded: boolean;
}

/** What it takes to connect to a cluster: the Clusters page's fields. */
export interface ClusterSettings {
  bootstrapServers: string[];
  tls: boolean;
  sasl?: { mechanism: ClusterSaslMechanism; username: string; password: string };
}

/** The codecs the Produce page offers, as Kafka's compression.type names them. */
export const PRODUCE_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type ProduceCodec = (typeof PRODUCE_CODECS)[number];

interface Connection {
  client: KafkaClient;
  /** The Produce page's producers, one per codec picked, made on first use: most pages only read. */
  producers: Map<ProduceCodec, Producer>;
}

/**
 * One Kafka client per cluster the console manages, made on first use and shared by every page
 * and the lag sampler. The console reaches even the embedded broker this way, so the same screens
 * work for an Apache Kafka or Redpanda cluster.
 */
export class ClusterConnections {
  private connections = new Map<string, Promise<Connection>>();

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
      ? [{ id: EMBEDDED_CLUSTER, slug: EMBEDDED_CLUSTER, name: "embedded", bootstrapServers: [this.embeddedBootstrap], saslMechanism: null, saslUsername: null, hasPassword: false, tls: false, embedded: true }]
      : [];
    return [
      ...embedded,
      ...rows.map((r) => ({
        id: String(r.id),
        slug: slugOf(r.name),
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

  /** Client options for a cluster slug; throws a user-facing error for an unknown one. */
  async configOf(id: string): Promise<ClientOptions> {
    if (id === EMBEDDED_CLUSTER) {
      if (!this.embeddedBootstrap) throw new UnknownCluster("this process runs no embedded broker; add a cluster on the Clusters page");
      return { ...clientConfig({ bootstrapServers: [this.embeddedBootstrap], tls: false }), sasl: this.embeddedCredential };
    }
    // A handful of rows: comparing slugs here keeps the table free of a column derived from the name.
    const row = (await this.db.select().from(clusters)).find((r) => slugOf(r.name) === id);
    if (!row) throw new UnknownCluster(`no cluster named "${id}"; pick one on the Clusters page`);
    return clientConfig({
      bootstrapServers: splitServers(row.bootstrapServers),
      tls: row.tls,
      sasl: row.saslMechanism && row.saslUsername ? { mechanism: row.saslMechanism, username: row.saslUsername, password: row.saslPassword ?? "" } : undefined,
    });
  }

  /** The cluster's shared client; it connects on its first request and reconnects by itself. */
  async client(id: string): Promise<KafkaClient> {
    return (await this.connection(id)).client;
  }

  /**
   * A client of its own, for a caller whose requests wait on the broker (a live tail long-polls,
   * and a broker answers one connection's requests in order). The caller closes it.
   */
  async dedicatedClient(id: string): Promise<KafkaClient> {
    return new KafkaClient(await this.configOf(id));
  }

  /** The Produce page's producer for a cluster and codec: idempotent, and never creating a topic by a typo. */
  async producer(id: string, compression: ProduceCodec = "none"): Promise<Producer> {
    const c = await this.connection(id);
    let p = c.producers.get(compression);
    if (!p) c.producers.set(compression, (p = c.client.producer({ autoCreateTopics: false, lingerMs: 0, compression })));
    return p;
  }

  private connection(id: string): Promise<Connection> {
    let c = this.connections.get(id);
    if (!c) {
      const made = this.configOf(id).then((options): Connection => ({ client: new KafkaClient(options), producers: new Map() }));
      c = made;
      this.connections.set(id, made);
      // An unknown cluster must not be cached: it may be added next.
      made.catch(() => {
        if (this.connections.get(id) === made) this.connections.delete(id);
      });
    }
    return c;
  }

  /** Drops a cluster's client (after it was edited or deleted). */
  async forget(id: string): Promise<void> {
    const c = this.connections.get(id);
    this.connections.delete(id);
    // A cluster that was never found has nothing to close; its lookup failed for its caller.
    const conn = await c?.catch(() => undefined);
    if (!conn) return;
    await Promise.all([...conn.producers.values()].map((p) => p.close()));
    await conn.client.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.keys()].map((id) => this.forget(id)));
  }
}

export function splitServers(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

const SASL_MECHANISMS: Record<ClusterSaslMechanism, SaslMechanism> = { plain: "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512" };

/**
 * Client settings shared by the console's connections and a Save-time connection test: short
 * timeouts and few retries, because a person is waiting for the page.
 */
export function clientConfig(c: ClusterSettings): ClientOptions {
  return {
    clientId: "tributary-console",
    bootstrap: c.bootstrapServers,
    tls: c.tls,
    sasl: c.sasl && { mechanism: SASL_MECHANISMS[c.sasl.mechanism], username: c.sasl.username, password: c.sasl.password },
    connectTimeoutMs: 3000,
    requestTimeoutMs: 10_000,
    retries: 2,
    retryBackoffMs: 200,
  };
}
