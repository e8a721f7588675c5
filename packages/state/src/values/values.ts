/**
 * Small values shared by replicas, each with an optional lifetime: caches (a prompt, a model
 * lookup), leases and flags (who runs a generation, a stop request), cooldowns (a deployment's
 * health) and counters (a message settled once). Keys are the caller's; durations are
 * milliseconds, positive (fractions round up).
 */
export interface ExpiringValues {
  /** The value, or null when it was never set, was deleted or has expired. */
  get(key: string): Promise<string | null>
  /** Sets a value; `ttlMs` expires it, and a set without one keeps it until deleted. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  del(key: string): Promise<void>
  /**
   * Atomically adds `by` (a safe integer, may be negative) to the counter at `key` (missing: 0)
   * and answers the new value; `ttlMs` applies only when this call creates the counter, so a
   * later call cannot extend the lifetime the first one gave. Rejects when the key holds
   * something other than an integer.
   */
  increment(key: string, by: number, ttlMs?: number): Promise<number>
}
