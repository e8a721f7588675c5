import { createHash } from 'node:crypto'
import type { Identity, KeyResolution } from '@switchyard/contracts'

/** Asks the source of truth; null when it says the key is not valid. Throws when it cannot answer. */
export type KeyLookup = (key: string) => Promise<KeyResolution | null>

export interface ApiKeyCache {
  /** The identity behind a key, or null for an unknown, revoked or expired one. */
  resolve(key: string): Promise<Identity | null>
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
  /** Most entries per cache; the oldest go first. */
  maxEntries: number
  now?: () => number
}

/**
 * API keys resolved through admin and held in memory. Keys are held by their SHA-256, never as
 * presented. Concurrent requests with one uncached key make one lookup. A revocation drops the
 * key's entries and is remembered for a TTL, so a lookup that was already in flight when it came
 * (and may answer from before the revocation) cannot put the key back.
 */
export function createApiKeyCache(options: ApiKeyCacheOptions): ApiKeyCache {
  const { lookup, ttlMs, negativeTtlMs, maxEntries } = options
  const now = options.now ?? Date.now
  const positive = new Map<string, { identity: Identity; until: number }>()
  const negative = new Map<string, number>()
  const pending = new Map<string, Promise<Identity | null>>()
  const revoked = new Map<string, number>()

  const remember = <V>(cache: Map<string, V>, id: string, value: V) => {
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next()
      if (!oldest.done) cache.delete(oldest.value)
    }
    cache.set(id, value)
  }
  const isRevoked = (keyId: string, at: number) => {
    const until = revoked.get(keyId)
    return until !== undefined && until > at
  }

  const load = async (id: string, key: string): Promise<Identity | null> => {
    const resolution = await lookup(key)
    const at = now()
    if (resolution === null) {
      remember(negative, id, at + negativeTtlMs)
      return null
    }
    const expiresAt =
      resolution.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(resolution.expiresAt)
    if (isRevoked(resolution.keyId, at) || !(expiresAt > at)) return null
    const identity: Identity = {
      orgId: resolution.orgId,
      userId: resolution.userId,
      keyId: resolution.keyId,
      scopes: resolution.scopes,
    }
    remember(positive, id, { identity, until: Math.min(at + ttlMs, expiresAt) })
    return identity
  }

  return {
    async resolve(key) {
      const id = createHash('sha256').update(key).digest('base64url')
      const at = now()
      const hit = positive.get(id)
      if (hit !== undefined) {
        if (hit.until > at) return hit.identity
        positive.delete(id)
      }
      const refusedUntil = negative.get(id)
      if (refusedUntil !== undefined) {
        if (refusedUntil > at) return null
        negative.delete(id)
      }
      let loading = pending.get(id)
      if (loading === undefined) {
        loading = load(id, key).finally(() => pending.delete(id))
        pending.set(id, loading)
      }
      return loading
    },
    revoke(keyId) {
      const at = now()
      for (const [id, until] of revoked) if (until <= at) revoked.delete(id)
      revoked.set(keyId, at + ttlMs)
      for (const [id, entry] of positive) if (entry.identity.keyId === keyId) positive.delete(id)
    },
    size: () => ({ positive: positive.size, negative: negative.size }),
  }
}
