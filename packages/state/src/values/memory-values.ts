import { assertSafeInteger, toDurationMs } from '../durations.ts'
import { ExpiringMap } from '../expiring-map.ts'
import type { ExpiringValues } from './values.ts'

/** How Redis reads an integer, and so how both implementations do: no "+", "007", "-0" or "7.0". */
function integerOf(value: string | number, key: string): number {
  if (typeof value === 'number') return value
  const n = Number(value)
  if (!Number.isSafeInteger(n) || String(n) !== value)
    throw new TypeError(`the value of ${key} is not an integer`)
  return n
}

/** ExpiringValues in one process's memory. Counters are kept as numbers and spelled when read. */
export function createMemoryValues(): ExpiringValues {
  const values = new ExpiringMap<string | number>()
  const ttlOf = (ttlMs: number | undefined) => (ttlMs === undefined ? null : toDurationMs(ttlMs, 'ttlMs'))
  return {
    async get(key) {
      const value = values.get(key)
      return value === undefined ? null : String(value)
    },
    async set(key, value, ttlMs) {
      values.set(key, value, ttlOf(ttlMs))
    },
    async del(key) {
      values.delete(key)
    },
    async increment(key, by, ttlMs) {
      assertSafeInteger(by, 'by')
      const ttl = ttlOf(ttlMs)
      const now = Date.now()
      const current = values.get(key, now)
      if (current === undefined) {
        values.set(key, by, ttl, now)
        return by
      }
      const next = integerOf(current, key) + by
      if (!Number.isSafeInteger(next)) throw new RangeError(`incrementing ${key} would overflow`)
      // Keeps the lifetime the first increment gave.
      values.set(key, next, values.ttl(key, now) ?? null, now)
      return next
    },
  }
}
