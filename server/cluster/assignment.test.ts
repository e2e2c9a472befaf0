import { describe, expect, it } from "vitest";
import { assignReplicas, type PlacementBroker } from "./assignment";

const brokers = (spec: [number, string | null][]): PlacementBroker[] => spec.map(([nodeId, rack]) => ({ nodeId, rack }));

describe("replica assignment", () => {
  it("gives every partition distinct replicas and spreads leaders evenly", () => {
    const a = assignReplicas(brokers([[1, null], [2, null], [3, null]]), 6, 3);
    for (const r of a) expect(new Set(r).size).toBe(3);
    const leaders = a.map((r) => r[0]);
    for (const id of [1, 2, 3]) expect(leaders.filter((l) => l === id)).toHaveLength(2);
  });

  it("puts each replica of a partition in a different rack while racks remain", () => {
    const b = brokers([[1, "a"], [2, "a"], [3, "b"], [4, "b"], [5, "c"], [6, "c"]]);
    const rackOf = new Map(b.map((x) => [x.nodeId, x.rack]));
    for (const r of assignReplicas(b, 12, 3)) expect(new Set(r.map((id) => rackOf.get(id))).size).toBe(3);
    // Two racks for three replicas: both racks used, no broker twice.
    const two = brokers([[1, "a"], [2, "a"], [3, "b"], [4, "b"]]);
    const rackOf2 = new Map(two.map((x) => [x.nodeId, x.rack]));
    for (const r of assignReplicas(two, 8, 3)) {
      expect(new Set(r).size).toBe(3);
      expect(new Set(r.map((id) => rackOf2.get(id))).size).toBe(2);
    }
  });

  it("spreads a dead broker's followers over the others, not onto one", () => {
    const a = assignReplicas(brokers([[1, null], [2, null], [3, null], [4, null]]), 8, 2);
    const followersOfLeader1 = a.filter((r) => r[0] === 1).map((r) => r[1]);
    expect(new Set(followersOfLeader1).size).toBe(2);
  });

  it("rotates leaders by the start index and refuses more replicas than brokers", () => {
    const b = brokers([[1, null], [2, null], [3, null]]);
    expect(assignReplicas(b, 1, 1, 0)[0]).toEqual([1]);
    expect(assignReplicas(b, 1, 1, 1)[0]).toEqual([2]);
    expect(() => assignReplicas(b, 1, 4)).toThrow(/replication factor 4 is larger than the 3 live brokers/);
  });
});
