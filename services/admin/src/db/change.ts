import type { AdminConfigKind } from '@switchyard/contracts'
import type { SqlPool } from '@switchyard/kit'
import { type AuditActor, type AuditEntry, auditRepository } from '../audit/repository.ts'
import { type ConfigRelay, enqueueConfigEvent } from '../config-events/outbox.ts'
import { type Queryable, transaction } from './sql.ts'

/** Who makes a change: recorded in the audit log of `orgId`. */
export interface Actor extends AuditActor {
  orgId: string
}

/** What a change can do besides its own statements; all of it commits or rolls back together. */
export interface ChangeScope {
  db: Queryable
  actor: Actor
  /** Appends to the audit log of the actor's org, or of `orgId` (a change that reaches another org). */
  audit(entry: AuditEntry, orgId?: string): Promise<void>
  /** Announces the change on admin.config.v1 once the transaction has committed. */
  announce(kind: AdminConfigKind, orgId: string | null, payload: Record<string, unknown>): Promise<void>
}

export interface ChangeDeps {
  pool: SqlPool
  relay: ConfigRelay
}

/**
 * Every write goes through here: one transaction holding the change, its audit entry and its
 * config events; after the commit, the events are published (a failed publish is retried by the
 * relay, so the request does not fail for it).
 */
export async function applyChange<T>(
  deps: ChangeDeps,
  actor: Actor,
  fn: (scope: ChangeScope) => Promise<T>,
): Promise<T> {
  let announced = false
  const result = await transaction(deps.pool, (db) =>
    fn({
      db,
      actor,
      audit: (entry, orgId) => auditRepository.append(db, orgId ?? actor.orgId, actor, entry),
      announce: async (kind, orgId, payload) => {
        await enqueueConfigEvent(db, kind, orgId, payload)
        announced = true
      },
    }),
  )
  if (announced) await deps.relay.flush()
  return result
}
