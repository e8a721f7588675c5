import type { AtomicScript } from './atomic-script.ts'

/**
 * SharedState port: counters, cooldowns, small caches and rate limits shared by replicas.
 * Production: Redis (ioredis); one process: in memory. Both pass one contract suite
 * (shared-state.contract.ts). Durations are milliseconds: positive integers (fractions round up).
 */
export interface SharedState {
  get(key: string): Promise<string | null>
  /** Sets a value; `ttlMs` expires it. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  del(key: string): Promise<void>
  /**
   * Atomically adds `by` (a safe integer, may be negative) and returns the new value; `ttlMs` is
   * applied only when this call creates the key. Rejects when the key holds a non-integer.
   */
  incrBy(key: string, by: number, ttlMs?: number): Promise<number>
  /**
   * Fixed-window limiter: counts one hit against `limit` in the window of `windowMs` that the
   * key's first hit opened, and answers whether this hit is allowed, how many remain and in how
   * many milliseconds the window resets (`resetMs`). Atomic across replicas.
   */
  hit(key: string, limit: number, windowMs: number): Promise<HitResult>
  /**
   * Runs a script made with `defineAtomicScript` over `keys` with `args`, atomically: no other
   * command on this store, from any replica, runs in between. Redis runs its Lua (EVALSHA, loaded
   * again after a NOSCRIPT), memory runs its JavaScript. A script touches only the keys it is given
   * (they get the store's prefix on Redis). Rejects when the script throws or errors.
   */
  runScript<Result>(
    script: AtomicScript<Result>,
    keys: readonly string[],
    args?: readonly (string | number)[],
  ): Promise<Result>
  /** True when the backing store answers (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface HitResult {
  allowed: boolean
  remaining: number
  /** Milliseconds until the window ends and the count starts again. */
  resetMs: number
}

/** Normalizes a duration argument the same way for every implementation. */
export function toDurationMs(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`${name} must be a positive number of milliseconds`)
  return Math.ceil(ms)
}

export function assertSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`)
}
