import { describe, expect, it } from "vitest";
import { MemoryChannel, memoryChannelSchema } from "./channels/memory";
import { TAP_BODY_BYTES, TAP_CAPACITY, TapRegistry } from "./tap";

const ev = (i: number, size = 4) => ({ headers: { n: String(i) }, body: Buffer.alloc(size, 97 + (i % 26)) });

describe("channel tap", () => {
  it("records the newest committed puts and takes, bounded, and detaches cleanly", async () => {
    const ch = new MemoryChannel("c1", memoryChannelSchema.parse({ type: "memory", capacity: 1000, transactionCapacity: 100 }));
    await ch.start();
    const taps = new TapRegistry();
    const tap = taps.open("f/c1", ch);

    const rolled = ch.begin();
    rolled.put([ev(999)]);
    rolled.rollback();
    expect(tap.read("put").seen).toBe(0);

    const tx = ch.begin();
    tx.put([...Array.from({ length: 40 }, (_, i) => ev(i)), ev(40, TAP_BODY_BYTES + 10)]);
    await tx.commit();
    const put = tap.read("put");
    expect(put.seen).toBe(41);
    expect(put.events).toHaveLength(TAP_CAPACITY);
    expect(put.events[0]).toMatchObject({ headers: { n: "40" }, truncated: true, bytes: TAP_BODY_BYTES + 10 });
    expect(put.events[0].body).toHaveLength(TAP_BODY_BYTES);
    expect(put.events[1].headers.n).toBe("39");

    const take = ch.begin();
    expect(take.take(5)).toHaveLength(5);
    await take.commit();
    expect(tap.read("take")).toMatchObject({ seen: 5, events: [{ headers: { n: "4" } }, {}, {}, {}, { headers: { n: "0" } }] });

    expect(taps.close("f/c1")).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(ch, "begin")).toBe(false);
    const after = ch.begin();
    after.put([ev(1)]);
    await after.commit();
    expect(tap.read("put").seen).toBe(41);
    expect(ch.size()).toBe(37);
  });

  it("replaces a tap whose channel was redeployed", () => {
    const a = new MemoryChannel("c1", memoryChannelSchema.parse({ type: "memory" }));
    const b = new MemoryChannel("c1", memoryChannelSchema.parse({ type: "memory" }));
    const taps = new TapRegistry();
    const first = taps.open("f/c1", a);
    expect(taps.get("f/c1", b)).toBeUndefined();
    const second = taps.open("f/c1", b);
    expect(second).not.toBe(first);
    expect(Object.prototype.hasOwnProperty.call(a, "begin")).toBe(false);
  });
});
