import { expect, it } from "vitest";
import { LoginLimiter, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER, MAX_KEYS, WINDOW_MS } from "./login-limiter";

it("locks an address and user after MAX_FAILURES_PER_USER failures, and no one else", () => {
  const limiter = new LoginLimiter(() => 0);
  for (let i = 0; i < MAX_FAILURES_PER_USER; i++) limiter.fail("10.0.0.1", "admin");
  expect(limiter.retryAfter("10.0.0.1", "admin")).toBe(WINDOW_MS);
  expect(limiter.retryAfter("10.0.0.2", "admin")).toBe(0);
  expect(limiter.retryAfter("10.0.0.1", "bob")).toBe(0);
});

it("locks an address after MAX_FAILURES_PER_ADDRESS failures over any usernames", () => {
  const limiter = new LoginLimiter(() => 0);
  for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) limiter.fail("10.0.0.1", `user-${i}`);
  expect(limiter.retryAfter("10.0.0.1", "someone-new")).toBe(WINDOW_MS);
  expect(limiter.retryAfter("10.0.0.2", "someone-new")).toBe(0);
});

it("forgets failures once the window has passed", () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now);
  for (let i = 0; i < MAX_FAILURES_PER_USER; i++) limiter.fail("10.0.0.1", "admin");
  now = WINDOW_MS - 1;
  expect(limiter.retryAfter("10.0.0.1", "admin")).toBe(1);
  now = WINDOW_MS;
  expect(limiter.retryAfter("10.0.0.1", "admin")).toBe(0);
});

it("a successful login clears its own address and user, but not the address's count", () => {
  const limiter = new LoginLimiter(() => 0);
  for (let i = 0; i < MAX_FAILURES_PER_ADDRESS - 1; i++) limiter.fail("10.0.0.1", `guess-${i}`);
  limiter.fail("10.0.0.1", "mallory");
  limiter.succeed("10.0.0.1", "mallory");
  // Signing in to one's own account between guesses does not buy more guesses.
  expect(limiter.retryAfter("10.0.0.1", "admin")).toBe(WINDOW_MS);
});

it("10,500 failures for made-up names do not reset a lock", () => {
  const limiter = new LoginLimiter(() => 0);
  for (let i = 0; i < MAX_FAILURES_PER_USER; i++) limiter.fail("10.0.0.1", "admin");
  for (let i = 0; i < 10_500; i++) limiter.fail(`10.1.${i >> 8}.${i & 255}`, `made-up-${i}`);
  expect(limiter.retryAfter("10.0.0.1", "admin")).toBe(WINDOW_MS);
});

it("stays within MAX_KEYS, dropping the least recently failed keys first", () => {
  const limiter = new LoginLimiter(() => 0);
  for (let i = 0; i < MAX_FAILURES_PER_USER; i++) limiter.fail("10.0.0.1", "admin");
  for (let i = 0; i < MAX_KEYS; i++) {
    limiter.fail(`10.2.${i >> 8}.${i & 255}`, "x");
    if (i % 1000 === 0) limiter.fail("10.0.0.1", "admin");
  }
  expect(limiter.size).toBeLessThanOrEqual(MAX_KEYS);
  // Kept because it kept failing; the earliest one-off keys went first.
  expect(limiter.retryAfter("10.0.0.1", "admin")).toBe(WINDOW_MS);
});
