import { type KeyResolution, roleScopes } from '@switchyard/contracts'
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import type { Role } from '../access/roles.ts'
import type { Queryable } from '../db/sql.ts'
import { adminErrors } from '../errors.ts'
import { keysRepository } from './repository.ts'
import { hashApiKey, looksLikeApiKey } from './secrets.ts'

export interface KeyResolver {
  /** The identity behind a presented key, or ADMIN_ERR_INVALID_API_KEY. */
  resolve(presented: string): Promise<KeyResolution>
}

/**
 * Resolves keys for the gateway (on each cache miss). last_used_at is written at most once per
 * `lastUsedIntervalMs` per key: skipped when the row read says it is recent, skipped while this
 * replica wrote it recently (a burst of resolves all reading the old value), and the UPDATE
 * itself is conditional, so replicas together write it at most once per interval.
 */
export function createKeyResolver(options: {
  db: Queryable
  lastUsedIntervalMs: number
  logger: Logger
  now?: () => number
}): KeyResolver {
  const { db, lastUsedIntervalMs, logger } = options
  const now = options.now ?? Date.now
  /** Keys this replica touched within the interval; older entries say nothing and expire. */
  const recentWrites = new LRUCache<string, true>({
    max: 10_000,
    ttl: lastUsedIntervalMs,
    // Staleness read from `now` on every get, so an injected clock is exact.
    ttlResolution: 0,
    perf: { now },
  })

  const touch = async (orgId: string, keyId: string, lastUsedAt: Date | null) => {
    if (lastUsedAt !== null && now() - lastUsedAt.getTime() < lastUsedIntervalMs) return
    if (recentWrites.has(keyId)) return
    recentWrites.set(keyId, true)
    try {
      await keysRepository.touch(db, orgId, keyId, lastUsedIntervalMs)
    } catch (error) {
      // Bookkeeping only: the key is valid, the gateway gets its answer.
      logger.warn({ err: error, keyId }, 'could not record when the API key was last used')
    }
  }

  return {
    async resolve(presented) {
      if (!looksLikeApiKey(presented)) throw new adminErrors.InvalidApiKey()
      const key = await keysRepository.resolve(db, hashApiKey(presented))
      if (key === null) throw new adminErrors.InvalidApiKey()
      await touch(key.orgId, key.keyId, key.lastUsedAt)
      return {
        orgId: key.orgId,
        userId: key.userId,
        keyId: key.keyId,
        // A key made without a scope list has its user's role defaults, as of now.
        scopes: effectiveScopes(key.scopes, key.role),
        expiresAt: key.expiresAt?.toISOString() ?? null,
      }
    },
  }
}

/** What a key grants: its own list, or, when it names none, the defaults of its user's role. */
export function effectiveScopes(stored: readonly string[], role: Role): string[] {
  return stored.length > 0 ? [...stored] : [...roleScopes[role]]
}
