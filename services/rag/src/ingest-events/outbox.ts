import { type RagIngestV1, ragIngestV1 } from '@switchyard/contracts'
import { createOutboxRelay, type EventBus, type OutboxRelay } from '@switchyard/events'
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

export type IngestRelay = OutboxRelay

/**
 * Publishes ingest_outbox to rag.ingest.v1 (the shared relay of @switchyard/events: a row the bus
 * refuses is set aside, and no other file waits for it). Two replicas may publish one row twice;
 * the worker compares the generation with the row's, so that is harmless. Published rows are kept
 * a day (what was asked, for debugging).
 */
export function createIngestRelay(options: {
  db: Queryable
  bus: EventBus
  logger: Logger
  intervalMs: number
}): IngestRelay {
  return createOutboxRelay({
    ...options,
    outbox: {
      table: 'ingest_outbox',
      columns: 'event_key, payload',
      topic: ragIngestV1,
      keepPublished: '1 day',
      toEvent: (row: { event_key: string; payload: RagIngestV1 }) => ({
        key: row.event_key,
        data: row.payload,
      }),
    },
  })
}
