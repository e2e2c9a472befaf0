import type { ClusterStatus } from "../cluster/member";
import { KafkaClientError, type KafkaClient, type MetadataSnapshot } from "../kafka/client";
import { replicaSizes, type ReplicaSizes } from "./topics";

export interface BrokerRow {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  controller: boolean;
  /** Partitions whose leader this broker is. */
  leaderOf: number;
  /** Partition replicas assigned to this broker, led or followed. */
  replicas: number;
  /** Partitions with a replica here whose ISR is smaller than their replica set. */
  underReplicated: number;
  /** Bytes of the replicas in this broker's log directories; null when the cluster withholds sizes. */
  diskBytes: number | null;
}

/** This console's own broker in a Tributary cluster: what its coordination says about it. */
export interface MemberState {
  nodeId: number;
  state: ClusterStatus["state"];
  /** Renewed and the store re-read within a session timeout, so it may act as leader. */
  leaseCurrent: boolean;
  storeReachable: boolean;
  storeSince: number;
  storeError: string | null;
  controllerEpoch: number | null;
  /** How long ago the lease was last renewed, as of this answer (by the broker's clock, so the browser's never skews it); null before the first renewal. */
  leaseAgeMs: number | null;
}

export interface ClusterHealth {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerRow[];
  partitions: number;
  /** ISR smaller than the replica set. */
  underReplicated: number;
  /** No leader (-1): neither readable nor writable. */
  offline: number;
  member: MemberState | null;
  /** Why disk sizes are missing, when they are. */
  diskNote: string | null;
}

/** Anything that tells its coordination state, as ClusterMember does. */
export interface MemberView {
  status(): ClusterStatus;
  leaseCurrent(): boolean;
}

/** Per-broker counts from a Metadata answer and DescribeLogDirs sizes; pure, so it is tested on its own. */
export function summarise(md: MetadataSnapshot, controllerId: number, sizes: ReplicaSizes | null): Omit<ClusterHealth, "member" | "clusterId" | "diskNote"> {
  const rows = new Map<number, BrokerRow>(
    md.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack, controller: b.nodeId === controllerId, leaderOf: 0, replicas: 0, underReplicated: 0, diskBytes: sizes ? 0 : null }]),
  );
  let partitions = 0;
  let underReplicated = 0;
  let offline = 0;
  for (const t of md.topics) {
    for (const p of t.partitions.filter(Boolean)) {
      partitions++;
      const under = p.isr.length < p.replicas.length;
      if (under) underReplicated++;
      if (p.leader < 0) offline++;
      const leader = rows.get(p.leader);
      if (leader) leader.leaderOf++;
      for (const r of p.replicas) {
        const row = rows.get(r);
        if (!row) continue; // a replica on a broker that is not alive: Metadata lists only live ones
        row.replicas++;
        if (under) row.underReplicated++;
      }
    }
  }
  if (sizes) {
    for (const byPartition of sizes.values()) {
      for (const byNode of byPartition.values()) {
        for (const [nodeId, bytes] of byNode) {
          const row = rows.get(nodeId);
          if (row) row.diskBytes = (row.diskBytes ?? 0) + bytes;
        }
      }
    }
  }
  return { controllerId, brokers: [...rows.values()].sort((a, b) => a.nodeId - b.nodeId), partitions, underReplicated, offline };
}

/**
 * Replica sizes, or why there are none. A broker that just died stays in Metadata until its
 * session lapses and refuses DescribeLogDirs meanwhile; the page must still show the rest then.
 */
async function diskOf(client: KafkaClient): Promise<{ sizes: ReplicaSizes | null; note: string | null }> {
  try {
    const sizes = await replicaSizes(client, null);
    return { sizes, note: sizes ? null : "The cluster does not tell the console its disk use (DescribeLogDirs needs Describe on the cluster)." };
  } catch (err) {
    if (!(err instanceof KafkaClientError)) throw err;
    return { sizes: null, note: `Disk use unknown: ${err.message}` };
  }
}

/**
 * The cluster's brokers and partition health over the protocol (DescribeCluster, Metadata,
 * DescribeLogDirs), so any Kafka-compatible cluster answers it; `member` adds what this process's
 * own Tributary broker knows of its coordination.
 */
export async function clusterHealth(client: KafkaClient, member: MemberView | undefined): Promise<ClusterHealth> {
  const [cluster, md, disk] = await Promise.all([client.admin.describeCluster(), client.admin.metadata(), diskOf(client)]);
  const s = member && { ...member.status(), leaseCurrent: member.leaseCurrent() };
  return {
    clusterId: cluster.clusterId,
    ...summarise({ ...md, brokers: cluster.brokers }, cluster.controllerId, disk.sizes),
    diskNote: disk.note,
    member: s
      ? { nodeId: s.nodeId, state: s.state, leaseCurrent: s.leaseCurrent, storeReachable: s.store.reachable, storeSince: s.store.since, storeError: s.store.lastError, controllerEpoch: s.controllerEpoch, leaseAgeMs: s.confirmedAt === null ? null : Math.max(0, Date.now() - s.confirmedAt) }
      : null,
  };
}
