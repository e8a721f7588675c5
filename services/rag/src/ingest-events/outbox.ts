import { type RagIngestV1, ragIngestV1 } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { Logger } from 'pino'
import type { Queryable } from '../db.ts'

/** Partition key of a file's events: one vector store file's requests are handled in order. */
export const ingestKey = (vectorStoreId: string, fileId: string) => `${vectorStoreId}/${fileId}`

/**
 * Records rag.ingest.v1 events inside the caller's transaction, for the rows of
 * vector_store_files that `where` selects (its `$n` follow `values`): one INSERT ... SELECT, so a
 * rechunk of a whole store is one statement. Each event carries the row's generation as it is in
 * this transaction: call it after the UPDATE that bumped it.
 */
export async function enqueueIngest(
  db: Queryable,
  selection: { where: string; values: unknown[] },
  request: { requestedBy: RagIngestV1['requestedBy']; reason: RagIngestV1['reason'] },
): Promise<number> {
  const n = selection.values.length
  const result = await db.query(
    `INSERT INTO ingest_outbox (org_id, event_key, payload)
     SELECT f.org_id, f.vector_store_id || '/' || f.file_id,
            jsonb_build_object(
              'orgId', f.org_id, 'vectorStoreId', f.vector_store_id, 'fileId', f.file_id,
              'generation', f.generation, 'requestedBy', $${n + 1}::jsonb, 'reason', $${n + 2}::text,
              'requestedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
       FROM vector_store_files f
      WHERE ${selection.where}
      ORDER BY f.seq`,
    [...selection.values, JSON.stringify(request.requestedBy), request.reason],
  )
  return result.rowCount ?? 0
}

export interface IngestRelay {
  /** Publishes every pending event, oldest first; concurrent calls share one run. */
  flush(): Promise<void>
  /** Stops the periodic retry; a flush in progress finishes. */
  stop(): Promise<void>
}

/**
 * Publishes the outbox to the bus: after each attaching request's commit, and every `intervalMs`
 * for what a failed publish or a crash left behind. Two replicas may publish one row twice; the
 * worker compares the generation with the row's, so that is harmless.
 */
export function createIngestRelay(options: {
  db: Queryable
  bus: EventBus
  logger: Logger
  intervalMs: number
}): IngestRelay {
  const { db, bus, logger } = options
  let running: Promise<void> | null = null
  let again = false

  const runOnce = async () => {
    for (;;) {
      const { rows } = await db.query<{ id: string; event_key: string; payload: RagIngestV1 }>(
        `SELECT id::text, event_key, payload FROM ingest_outbox
          WHERE published_at IS NULL ORDER BY id LIMIT 100`,
      )
      if (rows.length === 0) return
      for (const row of rows) {
        await bus.publish(ragIngestV1, row.event_key, row.payload)
        await db.query('UPDATE ingest_outbox SET published_at = now() WHERE id = $1', [row.id])
      }
      if (rows.length < 100) return
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
        logger.warn({ err: error }, 'rag.ingest.v1 publish failed; the relay will retry')
      } finally {
        running = null
      }
    })()
    return running
  }

  // Published rows are kept a day (what was asked, for debugging), then dropped.
  const prune = () =>
    db
      .query("DELETE FROM ingest_outbox WHERE published_at < now() - interval '1 day'")
      .catch((error: unknown) => logger.warn({ err: error }, 'pruning the rag.ingest.v1 outbox failed'))
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
