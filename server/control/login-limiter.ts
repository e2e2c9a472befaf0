/**
 * Failed-login throttling: after MAX_FAILURES failures for one username or one client address
 * within WINDOW_MS, further attempts are refused until the window has passed. In memory on
 * purpose: it protects this process, and a restart forgetting it costs an attacker a restart.
 */
export const MAX_FAILURES = 5;
export const WINDOW_MS = 60_000;
/** Bound on remembered keys, so a flood of random usernames cannot grow memory without limit. */
const MAX_KEYS = 10_000;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until the next attempt is allowed for any of the keys; 0 when allowed now. */
  retryAfter(keys: string[]): number {
    const t = this.now();
    let wait = 0;
    for (const k of keys) {
      const recent = this.recent(k, t);
      if (recent.length >= MAX_FAILURES) wait = Math.max(wait, recent[0] + WINDOW_MS - t);
    }
    return wait;
  }

  fail(keys: string[]): void {
    const t = this.now();
    if (this.failures.size > MAX_KEYS) this.failures.clear();
    for (const k of keys) this.failures.set(k, [...this.recent(k, t), t].slice(-MAX_FAILURES));
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.failures.delete(k);
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > t - WINDOW_MS);
  }
}
