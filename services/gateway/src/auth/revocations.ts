import { adminConfigV1 } from '@switchyard/contracts'
import type { EventBus, Subscription } from '@switchyard/events'
import type { Logger } from 'pino'
import type { ApiKeyCache } from './api-keys.ts'

/**
 * Applies admin's `key-revoked` events to the key cache as they arrive. The group is this
 * replica's own (`gateway.key-revocations.<instanceId>`): every replica must see every revocation,
 * not a share of them. On Kafka a new group starts from the oldest retained event; replaying old
 * revocations is harmless (a revoked key never comes back). Resolves once subscribed.
 */
export function subscribeKeyRevocations(
  bus: EventBus,
  keys: ApiKeyCache,
  instanceId: string,
  logger: Logger,
): Promise<Subscription> {
  return bus.subscribe(adminConfigV1, `gateway.key-revocations.${instanceId}`, async (event) => {
    if (event.data.kind !== 'key-revoked') return
    const keyId = event.data.payload.keyId
    if (typeof keyId !== 'string') {
      logger.warn({ eventId: event.id }, 'key-revoked event without a keyId')
      return
    }
    keys.revoke(keyId)
  })
}
