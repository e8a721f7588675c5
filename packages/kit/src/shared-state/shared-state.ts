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
  /**
   * The same, answered at once: only a store in this process can (memory), so it is absent on
   * Redis. A caller on a hot path uses it when present and spares itself the promise. Throws when
   * the script throws.
   */
  runScriptNow?<Result>(
    script: AtomicScript<Result>,
    keys: readonly string[],
    args?: readonly (string | number)[],
  ): Result
  /**
   * Appends `data` to the append-only stream at `key` (a Redis stream), trims it to its newest
   * `maxLen` entries and (re)sets the key's TTL, in one step. Answers the entry's id: ids are
   * opaque, increase with every append and order the entries (Redis `<ms>-<seq>`).
   */
  streamAppend(key: string, data: string, options: StreamAppendOptions): Promise<string>
  /**
   * Entries after `afterId` (exclusive; `'0'` for the first one on), oldest first, at most `count`
   * (default 100). A missing key reads as an empty stream.
   */
  streamRead(key: string, afterId: string, count?: number): Promise<StreamEntry[]>
  /**
   * As `streamRead`, but when nothing follows `afterId` yet it waits up to `timeoutMs` for an
   * append and answers `[]` if none came. Replicas appending to the key wake it (Redis `XREAD
   * BLOCK`, on a connection of its own so other commands are not held up). A closed state answers `[]`.
   */
  streamReadBlocking(key: string, afterId: string, timeoutMs: number, count?: number): Promise<StreamEntry[]>
  /** True when the backing store answers (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface StreamAppendOptions {
  /** Entries kept: the oldest are dropped past it. A positive integer. */
  maxLen: number
  /** Milliseconds until the whole stream expires, counted from this append. */
  ttlMs: number
}

/** One stream entry: its id and the data appended. */
export interface StreamEntry {
  id: string
  data: string
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

/** Checks a stream id argument: `'0'` or `<ms>-<seq>`, as Redis accepts them. */
export function toStreamId(id: string): string {
  if (id === '0') return '0-0'
  if (!/^\d+-\d+$/.test(id)) throw new RangeError(`invalid stream id ${JSON.stringify(id)}`)
  return id
}

/** Compares two `<ms>-<seq>` ids as Redis orders them. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt)
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt)
  if (am !== bm) return am < bm ? -1 : 1
  return as === bs ? 0 : as < bs ? -1 : 1
}

export function assertSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`)
}
