import { type LlmUsageV1, llmUsageV1 } from '@switchyard/contracts'
import type { EventBus, EventEnvelope, Subscription } from '@switchyard/events'
import type { Logger } from 'pino'
import type { Queryable } from '../db/sql.ts'
import { ledgerRepository } from './repository.ts'

/** The consumer group of the ledger: every admin replica shares it, so each event is recorded once. */
export const ledgerGroup = 'admin.usage-ledger'

/**
 * Handles one llm.usage.v1 event. Idempotent by the envelope id, as at-least-once delivery needs:
 * the second delivery of an event inserts nothing. A failing insert throws, so the bus retries it.
 */
export function createUsageHandler(db: Queryable, logger: Logger) {
  return async (event: EventEnvelope<LlmUsageV1>): Promise<void> => {
    const recorded = await ledgerRepository.record(db, event.id, event.data)
    if (!recorded) logger.debug({ eventId: event.id }, 'usage event already in the ledger')
  }
}

export function subscribeUsageLedger(bus: EventBus, db: Queryable, logger: Logger): Promise<Subscription> {
  return bus.subscribe(llmUsageV1, ledgerGroup, createUsageHandler(db, logger))
}
