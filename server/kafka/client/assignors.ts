import type { Subscription, TopicPartitions } from "./group-protocol";
import { partitionKey } from "../partition-key";

/**
 * Partition assignors run by the group leader (client side, as in Kafka's classic protocol). The
 * names are Kafka's, so members of other clients (Java, librdkafka) agree on them.
 */
export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  subscription: Subscription;
}

export interface Assignor {
  name: "range" | "cooperative-sticky";
  /** Cooperative assignors keep partitions across a rebalance; eager ones revoke everything first. */
  cooperative: boolean;
  assign(members: MemberSubscription[], partitionsPerTopic: Map<string, number>): Map<string, TopicPartitions[]>;
}

type Owner = Map<string, string>; // "topic\0partition" → member id

function toLists(members: MemberSubscription[], owner: Owner): Map<string, TopicPartitions[]> {
  const out = new Map<string, Map<string, number[]>>(members.map((m) => [m.memberId, new Map()]));
  for (const [key, memberId] of owner) {
    const [topic, p] = key.split("\u0000");
    const byTopic = out.get(memberId)!;
    const list = byTopic.get(topic);
    if (list) list.push(Number(p));
    else byTopic.set(topic, [Number(p)]);
  }
  return new Map([...out].map(([m, byTopic]) => [m, [...byTopic].sort(([a], [b]) => (a < b ? -1 : 1)).map(([topic, ps]) => ({ topic, partitions: ps.sort((a, b) => a - b) }))]));
}

/** Kafka's RangeAssignor: per topic, members in id order take consecutive ranges; the first ones one more. */
export const rangeAssignor: Assignor = {
  name: "range",
  cooperative: false,
  assign(members, counts) {
    const owner: Owner = new Map();
    for (const [topic, n] of counts) {
      const subs = members.filter((m) => m.subscription.topics.includes(topic)).sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
      if (subs.length === 0) continue;
      const per = Math.floor(n / subs.length);
      const extra = n % subs.length;
      let next = 0;
      subs.forEach((m, i) => {
        const take = per + (i < extra ? 1 : 0);
        for (let p = next; p < next + take; p++) owner.set(partitionKey(topic, p), m.memberId);
        next += take;
      });
    }
    return toLists(members, owner);
  },
};

/**
 * Kafka's CooperativeStickyAssignor (KIP-429): members keep what they own (the claim of the
 * highest generation wins a dispute), free partitions go to the least loaded eligible member, and
 * partitions move only while one member has two more than another. A partition that moves is left
 * out of its new owner's assignment this round: the old owner revokes it and rejoins, and the
 * next round hands it over, so no partition is ever owned twice.
 */
export const cooperativeStickyAssignor: Assignor = {
  name: "cooperative-sticky",
  cooperative: true,
  assign(members, counts) {
    const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    const eligible = (topic: string) => sorted.filter((m) => m.subscription.topics.includes(topic));
    const previous: Owner = new Map();
    const claimGeneration = new Map<string, number>();
    for (const m of sorted) {
      for (const t of m.subscription.ownedPartitions) {
        const n = counts.get(t.topic);
        if (n === undefined || !m.subscription.topics.includes(t.topic)) continue;
        for (const p of t.partitions) {
          const key = partitionKey(t.topic, p);
          if (p >= n || (claimGeneration.get(key) ?? -Infinity) >= m.subscription.generationId) continue;
          previous.set(key, m.memberId);
          claimGeneration.set(key, m.subscription.generationId);
        }
      }
    }
    const owner: Owner = new Map(previous);
    const load = new Map(sorted.map((m) => [m.memberId, 0]));
    for (const id of owner.values()) load.set(id, load.get(id)! + 1);
    const leastLoaded = (cands: MemberSubscription[]) => cands.reduce((best, m) => (load.get(m.memberId)! < load.get(best.memberId)! ? m : best));
    for (const [topic, n] of counts) {
      const cands = eligible(topic);
      if (cands.length === 0) continue;
      for (let p = 0; p < n; p++) {
        const key = partitionKey(topic, p);
        if (owner.has(key)) continue;
        const m = leastLoaded(cands);
        owner.set(key, m.memberId);
        load.set(m.memberId, load.get(m.memberId)! + 1);
      }
    }
    rebalance(owner, load, eligible);
    // Partitions changing hands wait a round: the previous owner must revoke them first.
    for (const [key, id] of [...owner]) if (previous.has(key) && previous.get(key) !== id) owner.delete(key);
    return toLists(members, owner);
  },
};

/** Moves partitions from the most to the least loaded eligible member until no two differ by more than one. */
function rebalance(owner: Owner, load: Map<string, number>, eligible: (topic: string) => MemberSubscription[]): void {
  for (let guard = owner.size * Math.max(1, load.size); guard > 0; guard--) {
    let moved = false;
    const byLoad = [...load].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [from, fromLoad] of byLoad) {
      const keys = [...owner].filter(([, id]) => id === from).map(([k]) => k).reverse();
      for (const key of keys) {
        const topic = key.split("\u0000")[0];
        const to = eligible(topic).filter((m) => m.memberId !== from).sort((a, b) => load.get(a.memberId)! - load.get(b.memberId)!)[0];
        if (!to || fromLoad - load.get(to.memberId)! <= 1) continue;
        owner.set(key, to.memberId);
        load.set(from, fromLoad - 1);
        load.set(to.memberId, load.get(to.memberId)! + 1);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}

export const ASSIGNORS: Record<Assignor["name"], Assignor> = { range: rangeAssignor, "cooperative-sticky": cooperativeStickyAssignor };
