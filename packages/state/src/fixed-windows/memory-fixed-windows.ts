import { assertSafeInteger, toDurationMs } from '../durations.ts'
import { ExpiringMap } from '../expiring-map.ts'
import type { FixedWindows } from './fixed-windows.ts'

/** FixedWindows in one process's memory: a count and an end per key, the entry living as long as its window. */
export function createMemoryFixedWindows(): FixedWindows {
  const windows = new ExpiringMap<{ count: number; endsAt: number }>()
  return {
    async hit(key, limit, windowMs) {
      assertSafeInteger(limit, 'limit')
      const length = toDurationMs(windowMs, 'windowMs')
      const now = Date.now()
      let window = windows.get(key, now)
      if (window === undefined) {
        window = { count: 0, endsAt: now + length }
        windows.set(key, window, length, now)
      }
      window.count++
      return {
        allowed: window.count <= limit,
        remaining: Math.max(0, limit - window.count),
        resetMs: window.endsAt - now,
      }
    },
  }
}
