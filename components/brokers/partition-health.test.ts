import { describe, expect, it } from "vitest";
import { offline, outOfSync, replicationCounts, underReplicated } from "./partition-health";

describe("partition replication health", () => {
  const full = { leader: 1, replicas: [1, 2], isr: [1, 2] };
  const short = { leader: 1, replicas: [1, 2, 3], isr: [1] };
  const leaderless = { leader: -1, replicas: [3], isr: [] };

  it("flags a short ISR and names the replicas out of sync", () => {
    expect(underReplicated(full)).toBe(false);
    expect(underReplicated(short)).toBe(true);
    expect(outOfSync(short)).toEqual([2, 3]);
    expect(offline(leaderless)).toBe(true);
    expect(offline(full)).toBe(false);
  });

  it("counts offline and under-replicated partitions", () => {
    expect(replicationCounts([full])).toEqual({ offline: 0, underReplicated: 0 });
    expect(replicationCounts([full, short, leaderless])).toEqual({ offline: 1, underReplicated: 2 });
  });
});
