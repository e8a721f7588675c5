import { type AdminConfigKind, type AdminConfigV1, adminConfigV1 } from '@switchyard/contracts'
import { type EventBus, EventValidationError } from '@switchyard/events'
import type { Logger } from 'pino'
import type { Queryable } from '../db/sql.ts'
import { adminErrors } from '../errors.ts'

/**
 * Records an admin.config.v1 event inside the caller's transaction: the version is taken from the
 * (kind, org) counter, whose row lock orders concurrent changes, so versions follow commit order.
 * The relay publishes it once the transaction has committed.
 */
export async function enqueueConfigEvent(
  db: Queryable,
  kind: AdminConfigKind,
  orgId: string | null,
  payload: Record<string, unknown>,
): Promise<number> {
  const json = JSON.stringify(payload)
  const bytes = Buffer.byteLength(json)
  // Refused now, while the change can still be rolled back, rather than committed and never announced.
  if (bytes > maxPayloadBytes) {
    throw new adminErrors.Conflict(
      `This change cannot be announced: its ${kind} event would be ${bytes} bytes, over the ${maxPayloadBytes} limit`,
    )
  }
  const { rows } = await db.query<{ version: string }>(
    `INSERT INTO config_versions (kind, scope, version) VALUES ($1, $2, 1)
     ON CONFLICT (kind, scope) DO UPDATE SET version = config_versions.version + 1
     RETURNING version::text`,
    [kind, orgId ?? ''],
  )
  const version = Number(rows[0]?.version)
  await db.query('INSERT INTO config_outbox (kind, org_id, version, payload) VALUES ($1, $2, $3, $4)', [
    kind,
    orgId,
    version,
    json,
  ])
  return version
}

/** Largest payload an event may carry: half of Kafka's default 1 MB, leaving room for the envelope. */
export const maxPayloadBytes = 512 * 1024

/** Partition key: one (kind, org)'s changes arrive in order. */
export const configEventKey = (kind: string, orgId: string | null) => `${kind}:${orgId ?? 'platform'}`

export interface ConfigRelay {
  /** Publishes every pending event, oldest first; concurrent calls share one run. */
  flush(): Promise<void>
  /** Stops the periodic retry; a flush in progress finishes. */
  stop(): Promise<void>
}

/**
 * Publishes the outbox to the bus. Called after each change's commit, and every `intervalMs` for
 * what a failed publish or a crash left behind. Two replicas may publish one row twice; consumers
 * drop a version they already hold, so that is harmless.
 */
export function createConfigRelay(options: {
  db: Queryable
  bus: EventBus
  logger: Logger
  intervalMs: number
}): ConfigRelay {
  const { db, bus, logger } = options
  let running: Promise<void> | null = null
  let again = false

  /**
   * One pass over the outbox, oldest first. A row that fails for now holds back the later rows of
   * its own (kind, org) stream only (their order matters: a later version supersedes it), never
   * another org's. A row the bus refuses for good (EventValidationError: over the size limit) is
   * set aside with its error, and its stream goes on: nothing could ever publish it.
   */
  const runOnce = async () => {
    const held = new Set<string>()
    let after = '0'
    for (;;) {
      const { rows } = await db.query<{
        id: string
        kind: AdminConfigKind
        org_id: string | null
        version: string
        payload: Record<string, unknown>
      }>(
        `SELECT id::text, kind, org_id, version::text, payload FROM config_outbox
          WHERE published_at IS NULL AND set_aside_at IS NULL AND id > $1::bigint ORDER BY id LIMIT 100`,
        [after],
      )
      for (const row of rows) {
        const key = configEventKey(row.kind, row.org_id)
        if (held.has(key)) continue
        const event: AdminConfigV1 = {
          kind: row.kind,
          orgId: row.org_id,
          version: Number(row.version),
          payload: row.payload,
        }
        try {
          await bus.publish(adminConfigV1, key, event)
        } catch (error) {
          const refused = error instanceof EventValidationError
          if (!refused) held.add(key)
          await db.query(
            `UPDATE config_outbox SET attempts = attempts + 1, last_error = $2,
                    set_aside_at = CASE WHEN $3 THEN now() END WHERE id = $1`,
            [row.id, error instanceof Error ? error.message : String(error), refused],
          )
          if (refused) {
            logger.error(
              { err: error, kind: row.kind, orgId: row.org_id, version: event.version, outboxId: row.id },
              'admin.config.v1 event refused by the bus; set aside',
            )
          } else {
            logger.warn({ err: error, key }, 'admin.config.v1 publish failed; the relay will retry')
          }
          continue
        }
        await db.query('UPDATE config_outbox SET published_at = now() WHERE id = $1', [row.id])
      }
      if (rows.length < 100) return
      after = rows[rows.length - 1]?.id as string
    }
  }

  const flush = (): Promise<void> => {
    if (running) {
      // A change committed while a run is under way may not be in its SELECT: run once more after.
      again = true
      return running
    }
    running = (async () => {
      try {
        do {
          again = false
          await runOnce()
        } while (again)
      } catch (error) {
        logger.warn({ err: error }, 'admin.config.v1 publish failed; the relay will retry')
      } finally {
        running = null
      }
    })()
    return running
  }

  // Published rows are kept a week (a record of what was announced), then dropped.
  const prune = () =>
    db
      .query("DELETE FROM config_outbox WHERE published_at < now() - interval '7 days'")
      .catch((error: unknown) => logger.warn({ err: error }, 'pruning the admin.config.v1 outbox failed'))
  const timer = setInterval(() => void flush().then(prune), options.intervalMs)
  timer.unref()
  return {
    flush,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
