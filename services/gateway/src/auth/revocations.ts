import { adminConfigV1 } from '@switchyard/contracts'
import type { EventBus, Subscription } from '@switchyard/events'
import type { Logger } from 'pino'
import type { ApiKeyCache } from './api-keys.ts'
import type { MemberCache } from './members.ts'

/**
 * Applies admin's `key-revoked` events to the key cache, and `member-changed` (a member removed or
 * given another role, an org deleted) to the OIDC member cache, as they arrive. The group is this
 * replica's own (`gateway.key-revocations.<instanceId>`): every replica must see every revocation,
 * not a share of them. On Kafka a new group starts from the oldest retained event; replaying old
 * revocations is harmless (a revoked key never comes back). Resolves once subscribed; until its
 * `caughtUp`, the caches keep no valid answer (their `cacheFrom`), since a revocation made while
 * the gateway started may still be behind in that read.
 */
export function subscribeKeyRevocations(
  bus: EventBus,
  caches: { keys: ApiKeyCache; members: MemberCache },
  instanceId: string,
  logger: Logger,
): Promise<Subscription> {
  return bus.subscribe(adminConfigV1, `gateway.key-revocations.${instanceId}`, async (event) => {
    const { kind, orgId, payload } = event.data
    if (kind === 'member-changed') {
      const userId = payload.userId
      if (orgId === null || (typeof userId !== 'string' && userId !== null)) {
        logger.warn({ eventId: event.id }, 'member-changed event without an org or a userId')
        return
      }
      caches.members.changed(orgId, userId)
      return
    }
    if (kind !== 'key-revoked') return
    const keyId = payload.keyId
    if (typeof keyId !== 'string') {
      logger.warn({ eventId: event.id }, 'key-revoked event without a keyId')
      return
    }
    caches.keys.revoke(keyId)
  })
}
