import { describe, expect, it } from "vitest";
import { electLeader } from "./election";

const alive = (...ids: number[]) => new Set(ids);

describe("leader election", () => {
  it("changes nothing while the leader and the ISR live", () => {
    expect(electLeader({ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3] }, alive(1, 2, 3), false)).toBeNull();
  });

  it("drops a dead follower from the ISR without a new leader epoch", () => {
    expect(electLeader({ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3] }, alive(1, 2), false)).toEqual({ leader: 1, isr: [1, 2], leaderEpochBump: false });
  });

  it("elects the first live ISR member in replica order when the leader dies", () => {
    expect(electLeader({ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 3, 2] }, alive(2, 3), false)).toEqual({ leader: 2, isr: [3, 2], leaderEpochBump: true });
    // An out-of-sync replica is never chosen cleanly, even if it is first.
    expect(electLeader({ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 3] }, alive(2, 3), false)).toEqual({ leader: 3, isr: [3], leaderEpochBump: true });
  });

  it("goes offline keeping the last ISR when no ISR member lives, and comes back with it", () => {
    const offline = electLeader({ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1] }, alive(2, 3), false);
    expect(offline).toEqual({ leader: -1, isr: [1], leaderEpochBump: true });
    expect(electLeader({ replicas: [1, 2, 3], leader: -1, leaderEpoch: 5, isr: [1] }, alive(2, 3), false)).toBeNull();
    expect(electLeader({ replicas: [1, 2, 3], leader: -1, leaderEpoch: 5, isr: [1] }, alive(1, 2, 3), false)).toEqual({ leader: 1, isr: [1], leaderEpochBump: true });
  });

  it("elects an out-of-sync replica only when unclean election is enabled", () => {
    expect(electLeader({ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1] }, alive(3), true)).toEqual({ leader: 3, isr: [3], leaderEpochBump: true });
    expect(electLeader({ replicas: [1, 2, 3], leader: -1, leaderEpoch: 5, isr: [1] }, alive(2), true)).toEqual({ leader: 2, isr: [2], leaderEpochBump: true });
    expect(electLeader({ replicas: [1, 2], leader: 1, leaderEpoch: 4, isr: [1] }, alive(), true)).toEqual({ leader: -1, isr: [1], leaderEpochBump: true });
  });
});
