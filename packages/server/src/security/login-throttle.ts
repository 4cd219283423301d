import type { Queryable } from '../db/index.ts';

export interface LoginThrottlePolicy {
  /** Consecutive failures for one user name before it is locked. */
  readonly maxFailures: number;
  /** How long a lockout lasts. */
  readonly lockoutSeconds: number;
  /** Attempts one source address may make per window, whatever the user name. */
  readonly perSourceAttempts: number;
  readonly perSourceWindowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = {
  maxFailures: 5,
  lockoutSeconds: 15 * 60,
  perSourceAttempts: 30,
  perSourceWindowSeconds: 60,
};

/**
 * Account lockout lives in the database (keyed by the attempted name, so it
 * holds across replicas and says nothing about which accounts exist); the
 * per-source limit is a per-process sliding window that slows down a password
 * spray from one address across many names.
 */
export class LoginThrottle {
  readonly #policy: LoginThrottlePolicy;
  readonly #now: () => Date;
  readonly #sources = new Map<string, number[]>();

  constructor(policy: LoginThrottlePolicy, now: () => Date) {
    this.#policy = policy;
    this.#now = now;
  }

  /** Seconds until the source may try again, or 0. Counts this attempt. */
  takeSourceAttempt(source: string): number {
    const now = this.#now().getTime();
    const windowMs = this.#policy.perSourceWindowSeconds * 1000;
    const recent = (this.#sources.get(source) ?? []).filter((t) => now - t < windowMs);
    if (recent.length >= this.#policy.perSourceAttempts) {
      this.#sources.set(source, recent);
      return Math.ceil((windowMs - (now - (recent[0] ?? now))) / 1000);
    }
    recent.push(now);
    this.#sources.set(source, recent);
    if (this.#sources.size > 10_000) this.#evictOldest();
    return 0;
  }

  /** Seconds the subject stays locked, or 0. */
  async lockedFor(db: Queryable, subject: string): Promise<number> {
    const result = await db.query<{ locked_until: Date | null }>(
      'SELECT locked_until FROM login_throttle WHERE subject = $1',
      [subject],
    );
    const until = result.rows[0]?.locked_until;
    if (!until) return 0;
    const remaining = until.getTime() - this.#now().getTime();
    return remaining > 0 ? Math.ceil(remaining / 1000) : 0;
  }

  /** Records a failure; returns the failure count and whether this one locked the subject. */
  async recordFailure(db: Queryable, subject: string): Promise<{ failures: number; locked: boolean }> {
    const now = this.#now();
    const result = await db.query<{ failures: number }>(
      `INSERT INTO login_throttle (subject, failures, last_failure_at) VALUES ($1, 1, $2)
       ON CONFLICT (subject) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = $2
       RETURNING failures`,
      [subject, now],
    );
    const failures = result.rows[0]?.failures ?? 1;
    const locked = failures % this.#policy.maxFailures === 0;
    if (locked) {
      await db.query('UPDATE login_throttle SET locked_until = $2 WHERE subject = $1', [
        subject,
        new Date(now.getTime() + this.#policy.lockoutSeconds * 1000),
      ]);
    }
    return { failures, locked };
  }

  async recordSuccess(db: Queryable, subject: string): Promise<void> {
    await db.query('DELETE FROM login_throttle WHERE subject = $1', [subject]);
  }

  #evictOldest(): void {
    const oldest = this.#sources.keys().next().value;
    if (oldest !== undefined) this.#sources.delete(oldest);
  }
}
