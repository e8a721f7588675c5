import type { Topic } from '@switchyard/contracts'
import type { Logger } from 'pino'
import type { Static, TSchema } from 'typebox'
import { type EventBus, EventValidationError } from './event-bus.ts'

/** What the relay needs of a database: node-postgres' `query` (a pool, a client, PGlite's adapter). */
export interface OutboxDb {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>
}

/**
 * A transactional outbox table: rows written in the same transaction as the change they announce,
 * published after the commit. Columns the relay uses: `id bigint` (append order), `published_at`,
 * `set_aside_at`, `attempts`, `last_error`, plus whatever `columns` names.
 */
export interface OutboxTable<S extends TSchema, R extends Record<string, unknown>> {
  /** The table's name (a constant of the service, never input). */
  table: string
  /** The other columns `toEvent` reads, as a SELECT list (`kind, org_id, payload`). */
  columns: string
  topic: Topic<S>
  /** The event a row announces; rows with one key are published in id order. */
  toEvent(row: R): { key: string; data: Static<S> }
  /** How long published rows are kept, as a PostgreSQL interval (`'7 days'`). */
  keepPublished: string
}

export interface OutboxRelay {
  /** Publishes every pending row, oldest first; concurrent calls share one run. */
  flush(): Promise<void>
  /** Stops the periodic retry; a flush in progress finishes. */
  stop(): Promise<void>
}

const PAGE = 100

// What Kafka answers for a record it will never take, however often it is sent.
const REFUSED_BY_BROKER = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
])

/** True when no later attempt can publish the event: its schema or size, or the broker's verdict. */
function refusedForGood(error: unknown): boolean {
  if (error instanceof EventValidationError) return true
  for (let e = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && REFUSED_BY_BROKER.has(e.type)) return true
    e = e.cause as typeof e
  }
  return false
}

/**
 * Publishes an outbox table to the bus: after each change's commit (`flush()`), and every
 * `intervalMs` for what a failed publish or a crash left behind. Two replicas may publish one row
 * twice; consumers deduplicate, so that is harmless.
 *
 * One row never stops the others. A row that fails for now (the broker unreachable, no outbox)
 * holds back the later rows of its own key only, whose order matters, and is retried on the next
 * run. A row the bus refuses for good (its schema, over the size limit, a broker that will never
 * take it) is set aside with its error (`set_aside_at`, `last_error`) and its key goes on: nothing
 * could ever publish it, and waiting for it would stop that key forever.
 */
export function createOutboxRelay<S extends TSchema, R extends Record<string, unknown>>(options: {
  db: OutboxDb
  bus: EventBus
  logger: Logger
  intervalMs: number
  outbox: OutboxTable<S, R>
}): OutboxRelay {
  const { db, bus, outbox } = options
  const table = outbox.table
  const logger = options.logger.child({ component: 'outbox-relay', table, topic: outbox.topic.name })
  let running: Promise<void> | null = null
  let again = false

  /** Counts a failed attempt; `setAside` takes the row out of every later run. */
  const note = (id: string, error: unknown, setAside: boolean) =>
    db.query(
      `UPDATE ${table} SET attempts = attempts + 1, last_error = $2,
              set_aside_at = CASE WHEN $3 THEN now() END WHERE id = $1`,
      [id, error instanceof Error ? error.message : String(error), setAside],
    )

  const runOnce = async () => {
    const held = new Set<string>()
    let after = '0'
    for (;;) {
      const { rows } = await db.query<R & { id: string }>(
        `SELECT id::text AS id, ${outbox.columns} FROM ${table}
          WHERE published_at IS NULL AND set_aside_at IS NULL AND id > $1::bigint ORDER BY id LIMIT ${PAGE}`,
        [after],
      )
      for (const row of rows) {
        let event: { key: string; data: Static<S> }
        try {
          event = outbox.toEvent(row)
        } catch (error) {
          // A row that does not make an event never will.
          await note(row.id, error, true)
          logger.error({ err: error, outboxId: row.id }, 'outbox row is not an event; set aside')
          continue
        }
        const { key } = event
        if (held.has(key)) continue
        try {
          await bus.publish(outbox.topic, key, event.data)
        } catch (error) {
          const refused = refusedForGood(error)
          await note(row.id, error, refused)
          if (refused) {
            logger.error({ err: error, key, outboxId: row.id }, 'event refused by the bus; set aside')
          } else {
            held.add(key)
            logger.warn({ err: error, key }, 'publish failed; the relay will retry')
          }
          continue
        }
        await db.query(`UPDATE ${table} SET published_at = now() WHERE id = $1`, [row.id])
      }
      if (rows.length < PAGE) return
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
        logger.warn({ err: error }, 'outbox relay run failed; the relay will retry')
      } finally {
        running = null
      }
    })()
    return running
  }

  const prune = () =>
    db
      .query(`DELETE FROM ${table} WHERE published_at < now() - $1::interval`, [outbox.keepPublished])
      .catch((error: unknown) => logger.warn({ err: error }, 'pruning the outbox failed'))
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
