import { describe, expect, it } from "vitest";
import { electLeader, electPreferred, electUnclean } from "./election";

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

describe("elections an operator asks for", () => {
  const moved = { replicas: [1, 2, 3], leader: 2, leaderEpoch: 5, isr: [2, 3, 1] };
  it("preferred: the first replica leads again only when alive and in sync", () => {
    expect(electPreferred(moved, alive(1, 2, 3))).toEqual({ leader: 1, isr: [2, 3, 1], leaderEpochBump: true });
    expect(electPreferred({ ...moved, leader: 1 }, alive(1, 2, 3))).toBe("ELECTION_NOT_NEEDED");
    expect(electPreferred({ ...moved, isr: [2, 3] }, alive(1, 2, 3))).toBe("PREFERRED_LEADER_NOT_AVAILABLE");
    expect(electPreferred(moved, alive(2, 3))).toBe("PREFERRED_LEADER_NOT_AVAILABLE");
  });

  it("unclean: only without a live leader, a live ISR member first, else the first live replica", () => {
    expect(electUnclean(moved, alive(1, 2, 3))).toBe("ELECTION_NOT_NEEDED");
    expect(electUnclean({ ...moved, leader: -1, isr: [2] }, alive(1, 3))).toEqual({ leader: 1, isr: [1], leaderEpochBump: true });
    expect(electUnclean({ ...moved, leader: -1, isr: [2, 3] }, alive(1, 3))).toEqual({ leader: 3, isr: [3], leaderEpochBump: true });
    expect(electUnclean({ ...moved, leader: -1, isr: [2] }, alive(4))).toBe("ELIGIBLE_LEADERS_NOT_AVAILABLE");
  });
});
