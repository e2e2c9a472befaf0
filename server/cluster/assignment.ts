/** A broker as replica placement sees it. */
export interface PlacementBroker {
  nodeId: number;
  rack: string | null;
}

/**
 * Brokers ordered so that consecutive ones are in different racks where racks allow (rack A's
 * first, rack B's first, …, rack A's second, …), as Kafka orders them for rack-aware placement:
 * walking this list from any point spreads replicas over racks.
 */
function rackAlternated(brokers: PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.nodeId - y.nodeId)) {
    const key = b.rack ?? "";
    byRack.set(key, [...(byRack.get(key) ?? []), b]);
  }
  const racks = [...byRack.keys()].sort();
  const out: PlacementBroker[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const b = byRack.get(r)![i];
      if (b) out.push(b);
    }
  }
  return out;
}

/**
 * Replicas of each partition of a new topic, the preferred leader first. Leaders rotate over the
 * brokers starting at `start` (so topics created one after another do not all lead on the same
 * broker); followers are taken walking on from the leader, skipping brokers whose rack already
 * holds a replica while an unused rack remains, so a partition survives the loss of a rack.
 * Throws RangeError when there are fewer brokers than replicas.
 */
export function assignReplicas(brokers: PlacementBroker[], partitions: number, replicationFactor: number, start = 0): number[][] {
  if (replicationFactor > brokers.length) throw new RangeError(`replication factor ${replicationFactor} is larger than the ${brokers.length} live brokers`);
  const ring = rackAlternated(brokers);
  const n = ring.length;
  const rackCount = new Set(ring.map((b) => b.rack ?? "")).size;
  return Array.from({ length: partitions }, (_, p) => {
    const first = (start + p) % n;
    // Shifting followers by the round keeps one broker's failure from landing all its partitions' leadership on one other broker.
    const shift = n > 1 ? 1 + (Math.floor((start + p) / n) % (n - 1)) : 0;
    const chosen = [ring[first]];
    const racks = new Set([ring[first].rack ?? ""]);
    for (let step = 1; chosen.length < replicationFactor; step++) {
      const candidates = Array.from({ length: n }, (_, k) => ring[(first + shift * step + k) % n]).filter((b) => !chosen.includes(b));
      const next = (racks.size < rackCount && candidates.find((b) => !racks.has(b.rack ?? ""))) || candidates[0];
      chosen.push(next);
      racks.add(next.rack ?? "");
    }
    return chosen.map((b) => b.nodeId);
  });
}
