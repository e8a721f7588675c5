import type { KeyResolution } from '@switchyard/contracts'
import type { Logger } from 'pino'
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
  const recentWrites = new Map<string, number>()

  const forget = (at: number) => {
    // Bounded: entries older than the interval say nothing any more.
    if (recentWrites.size < 10_000) return
    for (const [keyId, writtenAt] of recentWrites)
      if (at - writtenAt >= lastUsedIntervalMs) recentWrites.delete(keyId)
  }

  const touch = async (orgId: string, keyId: string, lastUsedAt: Date | null) => {
    const at = now()
    if (lastUsedAt !== null && at - lastUsedAt.getTime() < lastUsedIntervalMs) return
    const written = recentWrites.get(keyId)
    if (written !== undefined && at - written < lastUsedIntervalMs) return
    forget(at)
    recentWrites.set(keyId, at)
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
        scopes: key.scopes,
        expiresAt: key.expiresAt?.toISOString() ?? null,
      }
    },
  }
}
