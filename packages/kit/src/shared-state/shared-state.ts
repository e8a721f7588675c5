/**
 * SharedState port: counters, cooldowns, small caches and rate limits shared by replicas.
 * Production: Redis (ioredis); one process: in memory. Both pass one contract suite.
 */
export interface SharedState {
  get(key: string): Promise<string | null>
  /** Sets a value; `ttlMs` expires it. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  del(key: string): Promise<void>
  /** Atomically adds `by` and returns the new value; `ttlMs` is applied when the key is created. */
  incrBy(key: string, by: number, ttlMs?: number): Promise<number>
  /**
   * Fixed-window limiter: counts one hit against `limit` in the window of `windowMs` and answers
   * whether it is allowed, how many remain and when the window resets. Atomic across replicas.
   */
  hit(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; remaining: number; resetMs: number }>
  /** True when the backing store answers (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
}
