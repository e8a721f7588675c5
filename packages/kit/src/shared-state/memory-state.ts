import { assertSafeInteger, type HitResult, type SharedState, toDurationMs } from './shared-state.ts'

interface Entry {
  value: string
  /** `Date.now()` when it expires; null for never. */
  expiresAt: number | null
}

export interface MemoryStateOptions {
  /** How often expired keys are swept, in milliseconds (reads also skip them). Default 30 000. */
  sweepIntervalMs?: number
}

/** SharedState in one process's memory: the one-process shape, and unit tests. */
export function createMemoryState(options: MemoryStateOptions = {}): SharedState {
  const entries = new Map<string, Entry>()
  let closed = false

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key)
    if (entry?.expiresAt != null && entry.expiresAt <= Date.now()) {
      entries.delete(key)
      return undefined
    }
    return entry
  }
  const expiry = (ttlMs: number | undefined) =>
    ttlMs === undefined ? null : Date.now() + toDurationMs(ttlMs, 'ttlMs')

  // Rate-limit keys are written once and never read again after their window: sweep them.
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const [key, entry] of entries)
      if (entry.expiresAt != null && entry.expiresAt <= now) entries.delete(key)
  }, options.sweepIntervalMs ?? 30_000)
  sweep.unref()

  const incr = (key: string, by: number, ttlMs: number | undefined): number => {
    const entry = live(key)
    if (entry === undefined) {
      entries.set(key, { value: String(by), expiresAt: expiry(ttlMs) })
      return by
    }
    const current = Number(entry.value)
    if (!/^-?\d+$/.test(entry.value) || !Number.isSafeInteger(current)) {
      throw new TypeError(`value of ${key} is not an integer`)
    }
    entry.value = String(current + by)
    return current + by
  }

  return {
    async get(key) {
      return live(key)?.value ?? null
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: expiry(ttlMs) })
    },
    async del(key) {
      entries.delete(key)
    },
    async incrBy(key, by, ttlMs) {
      assertSafeInteger(by, 'by')
      return incr(key, by, ttlMs)
    },
    async hit(key, limit, windowMs): Promise<HitResult> {
      assertSafeInteger(limit, 'limit')
      const window = toDurationMs(windowMs, 'windowMs')
      const count = incr(key, 1, window)
      // As in Redis: a counter without a TTL (set by hand) gets the window, so it cannot block forever.
      const entry = live(key)
      if (entry !== undefined && entry.expiresAt === null) entry.expiresAt = Date.now() + window
      const expiresAt = entry?.expiresAt ?? Date.now() + window
      return {
        allowed: count <= limit,
        remaining: Math.max(0, limit - count),
        resetMs: Math.max(0, expiresAt - Date.now()),
      }
    },
    async ping() {
      return !closed
    },
    async close() {
      closed = true
      clearInterval(sweep)
      entries.clear()
    },
  }
}
