import { expect, it } from "vitest";
import { cooperativeStickyAssignor, rangeAssignor, type MemberSubscription } from "./assignors";
import type { TopicPartitions } from "./group-protocol";

const member = (memberId: string, topics: string[], owned: TopicPartitions[] = [], generationId = 1): MemberSubscription => ({
  memberId,
  groupInstanceId: null,
  subscription: { topics, userData: null, ownedPartitions: owned, generationId, rackId: null },
});
const flat = (a: Map<string, TopicPartitions[]>, m: string) => (a.get(m) ?? []).flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`));

it("range: consecutive ranges per topic, the first members one more", () => {
  const a = rangeAssignor.assign([member("b", ["t", "u"]), member("a", ["t", "u"])], new Map([["t", 5], ["u", 2]]));
  expect(flat(a, "a")).toEqual(["t-0", "t-1", "t-2", "u-0"]);
  expect(flat(a, "b")).toEqual(["t-3", "t-4", "u-1"]);
});

it("cooperative-sticky: a newcomer gets a balanced share, taken in a second round, and owners keep the rest", () => {
  const all = [{ topic: "t", partitions: [0, 1, 2, 3, 4, 5] }];
  const first = cooperativeStickyAssignor.assign([member("a", ["t"], all), member("b", ["t"])], new Map([["t", 6]]));
  // Round one: a keeps three and gives up three; b gets nothing yet (a still owns them).
  expect(flat(first, "a")).toHaveLength(3);
  expect(flat(first, "b")).toEqual([]);
  const kept = first.get("a")!;
  const second = cooperativeStickyAssignor.assign([member("a", ["t"], kept, 2), member("b", ["t"], [], 2)], new Map([["t", 6]]));
  expect(flat(second, "a")).toEqual(flat(first, "a"));
  expect(flat(second, "b")).toHaveLength(3);
  expect(new Set([...flat(second, "a"), ...flat(second, "b")]).size).toBe(6);
});

it("cooperative-sticky: a disputed partition goes to the claim of the newer generation; subscriptions are respected", () => {
  const a = cooperativeStickyAssignor.assign(
    [member("a", ["t"], [{ topic: "t", partitions: [0, 1] }], 3), member("b", ["t"], [{ topic: "t", partitions: [1] }], 4), member("c", ["u"])],
    new Map([["t", 2], ["u", 1]]),
  );
  expect(flat(a, "a")).toEqual(["t-0"]);
  expect(flat(a, "b")).toEqual(["t-1"]);
  expect(flat(a, "c")).toEqual(["u-0"]);
});

it("cooperative-sticky: from nothing, an even spread over unequal subscriptions", () => {
  const a = cooperativeStickyAssignor.assign([member("a", ["t", "u"]), member("b", ["t"]), member("c", ["t", "u"])], new Map([["t", 4], ["u", 5]]));
  const counts = ["a", "b", "c"].map((m) => flat(a, m).length);
  expect(counts.reduce((x, y) => x + y)).toBe(9);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  expect(flat(a, "b").every((p) => p.startsWith("t-"))).toBe(true);
});
