import type { FixedWindows } from '@switchyard/state'
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import { gatewayErrors } from '../errors.ts'

export interface AuthFailureLimit {
  /** Throws the 429 while the address is refused; costs nothing (no store call). */
  check(address: string): void
  /** Counts a failed or unauthenticated request; throws the 429 once the address is past the limit. */
  record(address: string): Promise<void>
}

/**
 * A per-address limit on failed and unauthenticated requests, so a flood of made-up credentials
 * is refused at the gateway instead of becoming lookups at admin (and SQL there). Failures count
 * in the shared state's fixed windows, so replicas add up; an address past the limit is also
 * remembered here until its window ends, so its next requests are refused before any work. A
 * failing store lets requests through, as the rate limits do.
 */
export function createAuthFailureLimit(options: {
  windows: FixedWindows
  limit: number
  windowMs: number
  logger: Logger
  now?: () => number
  maxAddresses?: number
}): AuthFailureLimit | null {
  const { windows, limit, windowMs, logger } = options
  if (limit === 0) return null
  const now = options.now ?? Date.now
  const refusedUntil = new LRUCache<string, number>({ max: options.maxAddresses ?? 10_000 })
  let warnedAt = -Infinity
  const refuse = (until: number): never => {
    const retryAfter = Math.max(1, Math.ceil((until - now()) / 1000))
    throw Object.assign(new gatewayErrors.AuthFailures(retryAfter), {
      headers: { 'retry-after': String(retryAfter) },
    })
  }
  return {
    check(address) {
      const until = refusedUntil.get(address)
      if (until === undefined) return
      if (until > now()) refuse(until)
      refusedUntil.delete(address)
    },
    async record(address) {
      let hit: Awaited<ReturnType<FixedWindows['hit']>>
      try {
        hit = await windows.hit(`gateway:auth-failures:${address}`, limit, windowMs)
      } catch (error) {
        if (now() - warnedAt > 10_000) {
          warnedAt = now()
          logger.warn({ err: error }, 'auth-failure limit store failed; not counting')
        }
        return
      }
      if (hit.allowed) return
      const until = now() + hit.resetMs
      refusedUntil.set(address, until)
      refuse(until)
    },
  }
}
