import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Identity } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import type { FixedWindows, SharedState } from '@switchyard/state'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { gatewayErrors } from '../errors.ts'

export interface RateLimits {
  /** Requests per window for one API key (or one OIDC user); 0: no limit. */
  perKey: number
  /** Requests per window for one org; 0: no limit. */
  perOrg: number
  /** The fixed window, in milliseconds. */
  windowMs: number
}

/**
 * @fastify/rate-limit's store on the shared state's fixed windows: one atomic `hit` per limit
 * (Redis INCR + PEXPIRE in one script, shared by every replica; a Map in one process). A failing store lets the
 * request through (the limiter's `skipOnError`) and warns at most every 10 s: an outage of Redis
 * must not become an outage of the platform.
 */
export function fixedWindowStore(windows: FixedWindows, logger: Logger): FastifyRateLimitStoreCtor {
  let warnedAt = 0
  return class FixedWindowStore {
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
      max: number,
    ): void {
      windows.hit(key, max, timeWindow).then(
        // A refused hit has no meaningful count beyond "past the limit".
        (hit) => callback(null, { current: hit.allowed ? max - hit.remaining : max + 1, ttl: hit.resetMs }),
        (error: Error) => {
          if (Date.now() - warnedAt > 10_000) {
            warnedAt = Date.now()
            logger.warn({ err: error }, 'rate-limit store failed; letting requests through')
          }
          callback(error)
        },
      )
    }
    child() {
      return this
    }
  } as unknown as FastifyRateLimitStoreCtor
}

/** Who a per-key limit counts: the API key, or the user of an OIDC session. */
function subjectOf(identity: Identity): string {
  return identity.keyId !== null ? `key:${identity.keyId}` : `user:${identity.orgId}:${identity.userId}`
}

/**
 * Registers @fastify/rate-limit on the gateway's scope and returns the check its onRequest hook
 * runs after authentication: both limits in parallel (one round trip to Redis), the tighter one in
 * `x-ratelimit-limit`, `-remaining` and `-reset` (seconds), and a 429 with Retry-After when either
 * is exceeded.
 */
export async function installRateLimits(
  app: KitServer,
  state: SharedState,
  limits: RateLimits,
  logger: Logger,
): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<void>> {
  await app.register(rateLimit, {
    global: false,
    store: fixedWindowStore(state.fixedWindows, logger),
    skipOnError: true,
  })
  const limiters = [
    { what: 'API key', max: limits.perKey, key: (i: Identity) => `gateway:rate:${subjectOf(i)}` },
    { what: 'organization', max: limits.perOrg, key: (i: Identity) => `gateway:rate:org:${i.orgId}` },
  ]
    .filter((limiter) => limiter.max > 0)
    .map((limiter) => ({
      what: limiter.what,
      check: app.createRateLimit({
        max: limiter.max,
        timeWindow: limits.windowMs,
        keyGenerator: (request) => limiter.key(request.identity),
      }),
    }))

  return async (request, reply) => {
    if (limiters.length === 0) return
    const results = await Promise.all(limiters.map((limiter) => limiter.check(request)))
    let tightest: { max: number; remaining: number; ttlInSeconds: number } | undefined
    let exceeded: { what: string; retryAfter: number } | undefined
    results.forEach((result, index) => {
      if (result.isAllowed) return
      if (tightest === undefined || result.remaining < tightest.remaining) tightest = result
      const retryAfter = Math.max(1, result.ttlInSeconds)
      if (result.isExceeded && (exceeded === undefined || retryAfter > exceeded.retryAfter))
        exceeded = { what: limiters[index]?.what ?? 'caller', retryAfter }
    })
    if (tightest === undefined) return
    const headers = {
      'x-ratelimit-limit': String(tightest.max),
      'x-ratelimit-remaining': String(tightest.remaining),
      'x-ratelimit-reset': String(tightest.ttlInSeconds),
    }
    reply.headers(headers)
    if (exceeded !== undefined) {
      throw Object.assign(new gatewayErrors.RateLimited(exceeded.what, exceeded.retryAfter), {
        headers: { ...headers, 'retry-after': String(exceeded.retryAfter) },
      })
    }
  }
}
