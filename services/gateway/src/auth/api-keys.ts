import { createHash } from 'node:crypto'
import type { Identity, KeyResolution } from '@switchyard/contracts'
import { LRUCache } from 'lru-cache'
import { gatewayErrors } from '../errors.ts'

/** Asks the source of truth; null when it says the key is not valid. Throws when it cannot answer. */
export type KeyLookup = (key: string) => Promise<KeyResolution | null>

export interface ApiKeyCache {
  /** The identity behind a key, or null for an unknown, revoked or expired one. */
  resolve(key: string): Promise<Identity | null>
  /** The identity of a key already known valid, without a lookup; undefined otherwise. */
  cached(key: string): Identity | undefined
  /** Forgets every cached resolution of the key at once (admin's key-revoked). */
  revoke(keyId: string): void
  /** Entries held, for tests and metrics. */
  size(): { positive: number; negative: number }
}

export interface ApiKeyCacheOptions {
  lookup: KeyLookup
  /** How long a valid key is trusted without a lookup, in milliseconds (capped by its expiresAt). */
  ttlMs: number
  /** How long an unknown key is refused without a lookup, in milliseconds. */
  negativeTtlMs: number
  /** Most entries per cache; the least recently used go first. */
  maxEntries: number
  /** Most lookups at once; a key that would start one more is refused (503) instead. Default: no cap. */
  maxInFlight?: number
  now?: () => number
  /**
   * Valid keys are cached only once this resolves: the gateway's read of admin's revocations up to
   * where they stood at its start. Before, a revocation still behind in that read could not drop
   * a cached key, so every request asks admin. Default: cached from the start.
   */
  cacheFrom?: Promise<void>
}

/**
 * API keys resolved through admin and held in memory. Keys are held by their SHA-256, never as
 * presented. Concurrent requests with one uncached key make one lookup. A revocation drops the
 * key's entries and is remembered for a TTL, so a lookup that was already in flight when it came
 * (and may answer from before the revocation) cannot put the key back.
 */
export function createApiKeyCache(options: ApiKeyCacheOptions): ApiKeyCache {
  const { lookup, ttlMs, negativeTtlMs, maxEntries } = options
  // ttlResolution 0: staleness is read from `now` on every get, so an injected clock is exact.
  const clock = { perf: { now: options.now ?? Date.now }, ttlResolution: 0 }
  const positive = new LRUCache<string, Identity>({ max: maxEntries, ttl: ttlMs, ...clock })
  const negative = new LRUCache<string, true>({ max: maxEntries, ttl: negativeTtlMs, ...clock })
  const revoked = new LRUCache<string, true>({ max: maxEntries, ttl: ttlMs, ...clock })
  const pending = new Map<string, Promise<Identity | null>>()
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY
  const idOf = (key: string) => createHash('sha256').update(key).digest('base64url')
  let caching = options.cacheFrom === undefined
  void options.cacheFrom?.then(() => {
    caching = true
  })

  const load = async (id: string, key: string): Promise<Identity | null> => {
    const resolution = await lookup(key)
    if (resolution === null) {
      negative.set(id, true)
      return null
    }
    const untilExpiry =
      resolution.expiresAt === null ? ttlMs : Date.parse(resolution.expiresAt) - clock.perf.now()
    if (revoked.has(resolution.keyId) || !(untilExpiry > 0)) return null
    const identity: Identity = {
      orgId: resolution.orgId,
      userId: resolution.userId,
      keyId: resolution.keyId,
      scopes: resolution.scopes,
    }
    if (caching) positive.set(id, identity, { ttl: Math.min(ttlMs, untilExpiry) })
    return identity
  }

  return {
    async resolve(key) {
      const id = idOf(key)
      const identity = positive.get(id)
      if (identity !== undefined) return identity
      if (negative.has(id)) return null
      let loading = pending.get(id)
      if (loading === undefined) {
        // Past the cap a flood of made-up keys would only queue up at admin: refuse at once.
        if (pending.size >= maxInFlight)
          throw Object.assign(new gatewayErrors.AuthBusy(), { headers: { 'retry-after': '1' } })
        loading = load(id, key).finally(() => pending.delete(id))
        pending.set(id, loading)
      }
      return loading
    },
    cached: (key) => positive.get(idOf(key)),
    revoke(keyId) {
      revoked.set(keyId, true)
      for (const [id, identity] of positive.entries()) if (identity.keyId === keyId) positive.delete(id)
    },
    size: () => ({ positive: positive.size, negative: negative.size }),
  }
}
