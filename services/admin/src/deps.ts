import type { SqlPool } from '@switchyard/kit'
import type { Logger } from 'pino'
import type { Caller } from './access/caller.ts'
import type { AdminConfig } from './config.ts'
import type { ConfigRelay } from './config-events/outbox.ts'
import type { Actor, ChangeDeps } from './db/change.ts'

/** What every feature's routes get from the plugin. */
export interface AdminDeps extends ChangeDeps {
  pool: SqlPool
  relay: ConfigRelay
  config: AdminConfig
  logger: Logger
}

/** The audit actor of a request. */
export function actorOf(caller: Caller): Actor {
  return { orgId: caller.orgId, userId: caller.userId, keyId: caller.keyId, requestId: caller.requestId }
}
