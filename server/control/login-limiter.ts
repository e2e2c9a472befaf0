/**
 * Failed-login throttling, per (client address, username) and per client address, within a
 * sliding WINDOW_MS. Keying the tight limit on the pair means an attacker locks out only their own
 * address, never the account's owner elsewhere; the looser per-address limit stops one address
 * from spraying many usernames. In memory on purpose: it protects this process, and a restart
 * forgetting it costs an attacker a restart.
 */
export const MAX_FAILURES_PER_USER = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;
export const WINDOW_MS = 60_000;
/**
 * Bound on remembered keys. The table is an LRU: when full, the key that failed least recently
 * goes, so a flood of made-up names evicts other one-off keys, not a lock that is still in use.
 */
export const MAX_KEYS = 50_000;

export class LoginLimiter {
  /** Failure times per key, oldest first; Map order is recency of the last failure. */
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.failures.size;
  }

  /** Milliseconds until this address may try this username again; 0 when it may now. */
  retryAfter(address: string, username: string): number {
    const t = this.now();
    return Math.max(this.wait(pairKey(address, username), MAX_FAILURES_PER_USER, t), this.wait(addressKey(address), MAX_FAILURES_PER_ADDRESS, t));
  }

  fail(address: string, username: string): void {
    const t = this.now();
    this.record(pairKey(address, username), MAX_FAILURES_PER_USER, t);
    this.record(addressKey(address), MAX_FAILURES_PER_ADDRESS, t);
  }

  /** Clears the pair only: signing in to one's own account must not buy an address more guesses at others. */
  succeed(address: string, username: string): void {
    this.failures.delete(pairKey(address, username));
  }

  private wait(key: string, max: number, t: number): number {
    const recent = this.recent(key, t);
    return recent.length >= max ? recent[recent.length - max] + WINDOW_MS - t : 0;
  }

  private record(key: string, max: number, t: number): void {
    const kept = [...this.recent(key, t), t].slice(-max);
    this.failures.delete(key);
    this.failures.set(key, kept);
    for (const oldest of this.failures.keys()) {
      if (this.failures.size <= MAX_KEYS) break;
      this.failures.delete(oldest);
    }
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > t - WINDOW_MS);
  }
}

const pairKey = (address: string, username: string) => `${address}\u0000${username}`;
const addressKey = (address: string) => address;
