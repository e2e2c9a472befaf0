import { describe, expect, it } from "vitest";
import { RequestMemoryPool } from "./request-memory";

describe("request memory pool", () => {
  it("grants waiters in arrival order, each as soon as it fits, without a large one holding back smaller ones", () => {
    const pool = new RequestMemoryPool(100);
    expect(pool.tryReserve(60)).toBe(true);
    expect(pool.tryReserve(50)).toBe(false);
    const granted: string[] = [];
    pool.wait(50, () => granted.push("a:50"));
    pool.wait(90, () => granted.push("b:90"));
    pool.wait(10, () => granted.push("c:10"));
    pool.wait(30, () => granted.push("d:30"));
    expect(pool.waiters).toBe(4);
    pool.release(20); // 60 free: a fits, then b does not, c does
    expect(granted).toEqual(["a:50", "c:10"]);
    expect(pool.available).toBe(0);
    pool.release(50);
    expect(granted).toEqual(["a:50", "c:10", "d:30"]);
    pool.release(70); // 90 free
    expect(granted).toEqual(["a:50", "c:10", "d:30", "b:90"]);
    expect(pool.waiters).toBe(0);
  });

  it("forgets a waiter that gives up, and refuses what can never fit or is released twice", () => {
    const pool = new RequestMemoryPool(10);
    expect(pool.tryReserve(10)).toBe(true);
    let granted = false;
    const cancel = pool.wait(5, () => (granted = true));
    cancel();
    pool.release(10);
    expect(granted).toBe(false);
    expect(pool.available).toBe(10);
    expect(() => pool.wait(11, () => undefined)).toThrow(/can never fit/);
    expect(() => pool.release(1)).toThrow(/released twice/);
  });
});
