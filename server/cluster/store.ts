import { and, arrayContains, eq, gt, sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { clusterBrokers, clusterController, clusterPartitions, clusterProducerIdBlocks, clusterTopicConfigs, clusterTopics } from "@/db/schema";
import type { PartitionLeadership, LeadershipChange } from "./election";

/** The channel every metadata or membership change is announced on (delivered at commit). */
export const CLUSTER_CHANNEL = "tributary_cluster";

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface LiveBroker extends BrokerEndpoint {
  incarnation: number;
}

export interface PartitionState extends PartitionLeadership {
  partition: number;
  partitionEpoch: number;
  /** The reassignment in progress (empty when none): replicas catching up, and replicas to drop once every target replica is in sync. */
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface TopicState {
  name: string;
  topicId: string;
  configs: Record<string, string>;
  partitions: PartitionState[];
}

/** Who is alive and who controls, read every tick; `metadataVersion` says whether topics need re-reading. */
export interface Liveness {
  clusterId: string;
  /** null when nobody holds a live controller lease. */
  controller: { nodeId: number; epoch: number } | null;
  metadataVersion: number;
  brokers: LiveBroker[];
}

export interface NewTopic {
  name: string;
  topicId: string;
  configs: Record<string, string>;
  /** Replicas per partition, the preferred (and first) leader first. */
  assignment: number[][];
}

export interface PartitionUpdate {
  topic: string;
  partition: number;
  /** The partition epoch the decision was made on: the update applies only if it is still current. */
  expectedPartitionEpoch: number;
  change: LeadershipChange;
}

/** This controller's epoch is no longer the cluster's: another broker controls now. */
export class ControllerFencedError extends Error {}

const RECONNECT_DELAY_SECONDS = 0.2;

/** A lease ending `ms` from now by the database's clock (brokers' clocks never decide liveness). */
const leaseFor = (ms: number) => sql`now() + ${ms}::int * interval '1 millisecond'`;

/**
 * Cluster coordination rows in Postgres. Each method is one transaction whose writes are
 * conditional (on a lapsed lease, an incarnation, the controller epoch or a partition epoch), so
 * whatever the timing, a stale actor changes nothing.
 */
export class ClusterStore {
  private readonly db: PostgresJsDatabase;

  private constructor(private readonly client: postgres.Sql) {
    this.db = drizzle(client);
  }

  /**
   * Connections fail fast (a few seconds) so a tick never hangs past a lease on an unreachable
   * server, and reconnect at a short fixed delay: postgres.js's default backoff grows to 20 s
   * after an outage, which would keep a live broker from renewing its lease until others think it dead.
   */
  static open(url: string, connectTimeoutSeconds = 3): ClusterStore {
    return new ClusterStore(postgres(url, { max: 4, connect_timeout: connectTimeoutSeconds, backoff: () => RECONNECT_DELAY_SECONDS, idle_timeout: 60, onnotice: () => {} }));
  }

  /** The controller row (with the cluster id) exists from the first broker's start on. */
  async ensureCluster(clusterId: string): Promise<void> {
    await this.db.insert(clusterController).values({ id: 1, clusterId }).onConflictDoNothing();
  }

  /**
   * Registers a broker under its node id: a new incarnation if the id is free or its lease has
   * lapsed; null if a live broker holds it.
   */
  async register(b: BrokerEndpoint, sessionMs: number): Promise<number | null> {
    const rows = await this.db.transaction(async (tx) => {
      const r = await tx
        .insert(clusterBrokers)
        .values({ ...b, incarnation: 1, leaseExpiresAt: leaseFor(sessionMs) })
        .onConflictDoUpdate({
          target: clusterBrokers.nodeId,
          set: { host: b.host, port: b.port, rack: b.rack, incarnation: sql`cluster_brokers.incarnation + 1`, leaseExpiresAt: leaseFor(sessionMs), registeredAt: sql`now()` },
          setWhere: sql`cluster_brokers.lease_expires_at <= now()`,
        })
        .returning({ incarnation: clusterBrokers.incarnation });
      if (r.length) await this.notify(tx, "brokers");
      return r;
    });
    return rows[0]?.incarnation ?? null;
  }

  /** The number of a block of producer ids no broker of the cluster has had (see clusterProducerIdBlocks). */
  async producerIdBlock(): Promise<number> {
    const [row] = await this.db.execute<{ block: string }>(sql`select nextval(${clusterProducerIdBlocks.seqName}) as block`);
    return Number(row.block);
  }

  /** Who holds a node id, for the message refusing a second process. */
  async holder(nodeId: number): Promise<{ host: string; port: number; leaseMsLeft: number } | undefined> {
    const [row] = await this.db
      .select({ host: clusterBrokers.host, port: clusterBrokers.port, leaseMsLeft: sql<number>`greatest(0, extract(epoch from (${clusterBrokers.leaseExpiresAt} - now())) * 1000)::int` })
      .from(clusterBrokers)
      .where(eq(clusterBrokers.nodeId, nodeId));
    return row;
  }

  /**
   * Extends this incarnation's lease, lapsed or not (a broker cut off from the database for a while
   * comes back under the same registration; the controller has meanwhile moved its leaderships).
   * False when a later incarnation took the node id.
   */
  async renew(nodeId: number, incarnation: number, sessionMs: number): Promise<boolean> {
    const r = await this.db
      .update(clusterBrokers)
      .set({ leaseExpiresAt: leaseFor(sessionMs) })
      .where(and(eq(clusterBrokers.nodeId, nodeId), eq(clusterBrokers.incarnation, incarnation)))
      .returning({ nodeId: clusterBrokers.nodeId });
    return r.length > 0;
  }

  /** Controlled leave: the lease ends now, so the controller moves leaderships at once instead of after the session timeout. */
  async expire(nodeId: number, incarnation: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .update(clusterBrokers)
        .set({ leaseExpiresAt: sql`now()` })
        .where(and(eq(clusterBrokers.nodeId, nodeId), eq(clusterBrokers.incarnation, incarnation)));
      await this.notify(tx, "brokers");
    });
  }

  /**
   * Takes the controller role with a new epoch if nobody holds a live controller lease and this
   * broker's own lease is live. The row lock makes concurrent attempts queue: the first wins, the
   * others then see its live lease and get null.
   */
  async acquireController(nodeId: number, incarnation: number, sessionMs: number): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const r = await tx
        .update(clusterController)
        .set({ nodeId, epoch: sql`${clusterController.epoch} + 1`, leaseExpiresAt: leaseFor(sessionMs) })
        .where(
          and(
            eq(clusterController.id, 1),
            sql`(${clusterController.nodeId} is null or ${clusterController.leaseExpiresAt} is null or ${clusterController.leaseExpiresAt} <= now())`,
            sql`exists (select 1 from cluster_brokers where node_id = ${nodeId} and incarnation = ${incarnation} and lease_expires_at > now())`,
          ),
        )
        .returning({ epoch: clusterController.epoch });
      if (r.length) await this.notify(tx, "controller");
      return r[0]?.epoch ?? null;
    });
  }

  /** Extends the controller lease of this epoch while it is still live; a lapsed lease is never revived (a new epoch is needed). */
  async renewController(nodeId: number, epoch: number, sessionMs: number): Promise<boolean> {
    const r = await this.db
      .update(clusterController)
      .set({ leaseExpiresAt: leaseFor(sessionMs) })
      .where(and(eq(clusterController.id, 1), eq(clusterController.nodeId, nodeId), eq(clusterController.epoch, epoch), gt(clusterController.leaseExpiresAt, sql`now()`)))
      .returning({ epoch: clusterController.epoch });
    return r.length > 0;
  }

  async resignController(nodeId: number, epoch: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .update(clusterController)
        .set({ nodeId: null, leaseExpiresAt: null })
        .where(and(eq(clusterController.id, 1), eq(clusterController.nodeId, nodeId), eq(clusterController.epoch, epoch)));
      await this.notify(tx, "controller");
    });
  }

  async liveness(): Promise<Liveness> {
    const [c] = await this.db
      .select({ clusterId: clusterController.clusterId, nodeId: clusterController.nodeId, epoch: clusterController.epoch, live: sql<boolean>`coalesce(${clusterController.leaseExpiresAt} > now(), false)`, metadataVersion: clusterController.metadataVersion })
      .from(clusterController)
      .where(eq(clusterController.id, 1));
    if (!c) throw new Error("the cluster_controller row is missing: the cluster was not initialized");
    const brokers = await this.db
      .select({ nodeId: clusterBrokers.nodeId, host: clusterBrokers.host, port: clusterBrokers.port, rack: clusterBrokers.rack, incarnation: clusterBrokers.incarnation })
      .from(clusterBrokers)
      .where(gt(clusterBrokers.leaseExpiresAt, sql`now()`))
      .orderBy(clusterBrokers.nodeId);
    return { clusterId: c.clusterId, controller: c.live && c.nodeId !== null ? { nodeId: c.nodeId, epoch: c.epoch } : null, metadataVersion: c.metadataVersion, brokers };
  }

  async topics(): Promise<TopicState[]> {
    return this.db.transaction(
      async (tx) => {
        const topics = await tx.select().from(clusterTopics).orderBy(clusterTopics.name);
        const configs = await tx.select().from(clusterTopicConfigs);
        const partitions = await tx.select().from(clusterPartitions).orderBy(clusterPartitions.topic, clusterPartitions.partition);
        const byName = new Map<string, TopicState>(topics.map((t) => [t.name, { name: t.name, topicId: t.topicId, configs: {}, partitions: [] }]));
        for (const c of configs) byName.get(c.topic)!.configs[c.name] = c.value;
        for (const p of partitions) {
          byName.get(p.topic)!.partitions.push({ partition: p.partition, replicas: p.replicas, leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, partitionEpoch: p.partitionEpoch, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas });
        }
        return [...byName.values()];
      },
      // One consistent picture of topics and their partitions.
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
  }

  /** Creates topics in one transaction; per topic, true if created, false if the name was taken. */
  async createTopics(topics: NewTopic[]): Promise<boolean[]> {
    return this.db.transaction(async (tx) => {
      await this.bumpMetadataVersion(tx);
      const created: boolean[] = [];
      for (const t of topics) {
        const r = await tx.insert(clusterTopics).values({ name: t.name, topicId: t.topicId }).onConflictDoNothing().returning({ name: clusterTopics.name });
        created.push(r.length > 0);
        if (!r.length) continue;
        const configs = Object.entries(t.configs);
        if (configs.length) await tx.insert(clusterTopicConfigs).values(configs.map(([name, value]) => ({ topic: t.name, name, value })));
        await tx.insert(clusterPartitions).values(t.assignment.map((replicas, partition) => ({ topic: t.name, partition, replicas, leader: replicas[0], isr: replicas })));
      }
      await this.notify(tx, "topics");
      return created;
    });
  }

  /**
   * Adds partitions to a topic, numbered on from `fromPartitions`, each led by its first replica.
   * Applies only if the topic still has exactly `fromPartitions` partitions (two concurrent
   * requests cannot both add partition N); false otherwise, or when the topic is gone.
   */
  async addPartitions(topic: string, fromPartitions: number, assignment: number[][]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await this.bumpMetadataVersion(tx);
      const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(clusterPartitions).where(eq(clusterPartitions.topic, topic));
      const exists = await tx.select({ name: clusterTopics.name }).from(clusterTopics).where(eq(clusterTopics.name, topic));
      if (!exists.length || row.n !== fromPartitions) return false;
      await tx.insert(clusterPartitions).values(assignment.map((replicas, i) => ({ topic, partition: fromPartitions + i, replicas, leader: replicas[0], isr: replicas })));
      await this.notify(tx, "topics");
      return true;
    });
  }

  /** Deletes a topic with its configs and partitions; false if there was none of that name. */
  async deleteTopic(name: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await this.bumpMetadataVersion(tx);
      const r = await tx.delete(clusterTopics).where(eq(clusterTopics.name, name)).returning({ name: clusterTopics.name });
      await this.notify(tx, "topics");
      return r.length > 0;
    });
  }

  /**
   * Applies a controller's leadership decisions under its epoch: the first statement fences (a
   * deposed controller finds no row and throws ControllerFencedError), each partition changes only
   * if its partition epoch is still the one the decision saw. Returns how many applied.
   */
  async applyLeadership(controller: { nodeId: number; epoch: number }, updates: PartitionUpdate[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      const fence = await tx
        .update(clusterController)
        .set({ metadataVersion: sql`${clusterController.metadataVersion} + 1` })
        .where(and(eq(clusterController.id, 1), eq(clusterController.nodeId, controller.nodeId), eq(clusterController.epoch, controller.epoch), gt(clusterController.leaseExpiresAt, sql`now()`)))
        .returning({ version: clusterController.metadataVersion });
      if (!fence.length) throw new ControllerFencedError(`controller epoch ${controller.epoch} of broker ${controller.nodeId} is no longer current`);
      let applied = 0;
      for (const u of updates) if (await this.updatePartition(tx, u)) applied++;
      await this.notify(tx, "partitions");
      return applied;
    });
  }

  /**
   * Applies changes an operator asked for (ElectLeaders, AlterPartitionReassignments), each only if
   * its partition epoch is still the one the decision saw; the controller's own changes follow the
   * same rule, so the two never both change one partition epoch. Returns, per update, whether it applied.
   */
  async applyRequested(updates: PartitionUpdate[]): Promise<boolean[]> {
    return this.db.transaction(async (tx) => {
      await this.bumpMetadataVersion(tx);
      const applied: boolean[] = [];
      for (const u of updates) applied.push(await this.updatePartition(tx, u));
      await this.notify(tx, "partitions");
      return applied;
    });
  }

  /** One partition's change, compare-and-set on the partition epoch it was decided on. */
  private async updatePartition(tx: Tx, u: PartitionUpdate): Promise<boolean> {
    const r = await tx
      .update(clusterPartitions)
      .set({
        leader: u.change.leader,
        isr: u.change.isr,
        partitionEpoch: sql`${clusterPartitions.partitionEpoch} + 1`,
        ...(u.change.leaderEpochBump ? { leaderEpoch: sql`${clusterPartitions.leaderEpoch} + 1` } : {}),
        ...u.change.reassignment,
      })
      .where(and(eq(clusterPartitions.topic, u.topic), eq(clusterPartitions.partition, u.partition), eq(clusterPartitions.partitionEpoch, u.expectedPartitionEpoch)))
      .returning({ partition: clusterPartitions.partition });
    return r.length > 0;
  }

  /**
   * A leader changes its partition's ISR (a follower fell behind or caught up), as Kafka's
   * AlterPartition: only while it still leads under `leaderEpoch` and the partition epoch is the
   * one it saw, and never to an ISR without itself. False when the leadership or the partition
   * moved on meanwhile; the leader then re-reads the partition.
   */
  async alterIsr(topic: string, partition: number, by: { leader: number; leaderEpoch: number; expectedPartitionEpoch: number }, isr: number[]): Promise<boolean> {
    if (!isr.includes(by.leader)) throw new RangeError(`the ISR of ${topic}-${partition} must include its leader ${by.leader}`);
    return this.db.transaction(async (tx) => {
      await this.bumpMetadataVersion(tx);
      const r = await tx
        .update(clusterPartitions)
        .set({ isr, partitionEpoch: sql`${clusterPartitions.partitionEpoch} + 1` })
        .where(
          and(
            eq(clusterPartitions.topic, topic),
            eq(clusterPartitions.partition, partition),
            eq(clusterPartitions.leader, by.leader),
            eq(clusterPartitions.leaderEpoch, by.leaderEpoch),
            eq(clusterPartitions.partitionEpoch, by.expectedPartitionEpoch),
            // Only replicas of the partition can be in sync.
            arrayContains(clusterPartitions.replicas, isr),
          ),
        )
        .returning({ partition: clusterPartitions.partition });
      await this.notify(tx, "partitions");
      return r.length > 0;
    });
  }

  /** Calls `onChange` on every announced change; postgres.js re-listens by itself after a reconnect. */
  async listen(onChange: (what: string) => void): Promise<() => Promise<void>> {
    const sub = await this.client.listen(CLUSTER_CHANNEL, onChange);
    return () => sub.unlisten();
  }

  close(): Promise<void> {
    return this.client.end({ timeout: 2 });
  }

  /** Takes the controller row's lock for the rest of the transaction: metadata writes happen one at a time. */
  private async bumpMetadataVersion(tx: Tx): Promise<void> {
    await tx
      .update(clusterController)
      .set({ metadataVersion: sql`${clusterController.metadataVersion} + 1` })
      .where(eq(clusterController.id, 1));
  }

  private async notify(tx: Tx, what: string): Promise<void> {
    await tx.execute(sql`select pg_notify(${CLUSTER_CHANNEL}, ${what})`);
  }
}

type Tx = Parameters<Parameters<PostgresJsDatabase["transaction"]>[0]>[0];
