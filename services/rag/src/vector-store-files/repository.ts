import type { Caller } from '../access.ts'
import { type Queryable, unixSeconds } from '../db.ts'
import { ragErrors } from '../errors.ts'
import { filesRepository } from '../files/repository.ts'
import { enqueueIngest } from '../ingest-events/outbox.ts'
import { type ListQuery, pageSql } from '../pagination.ts'
import type { ChunkingStrategy } from '../vector-stores/schemas.ts'
import type { Attributes, FileStatus, VectorStoreFileView } from './schemas.ts'

export interface VectorStoreFileRow {
  org_id: string
  vector_store_id: string
  file_id: string
  batch_id: string | null
  seq: string
  status: FileStatus
  last_error: { code: string; message: string } | null
  attributes: Attributes
  chunking_strategy: ChunkingStrategy
  generation: number
  chunks_done: number
  chunks_total: number | null
  usage_bytes: string
  created_at: Date
  updated_at: Date
}

export const toVectorStoreFileView = (row: VectorStoreFileRow): VectorStoreFileView => ({
  id: row.file_id,
  object: 'vector_store.file',
  usage_bytes: Number(row.usage_bytes),
  created_at: unixSeconds(row.created_at),
  vector_store_id: row.vector_store_id,
  status: row.status,
  last_error: row.last_error,
  chunking_strategy: row.chunking_strategy,
  attributes: row.attributes,
  chunks_done: row.chunks_done,
  chunks_total: row.chunks_total,
})

/** A file to attach, resolved: its chunking decided, its attributes given (replace) or not (keep). */
export interface Attachment {
  fileId: string
  attributes: Attributes | null | undefined
  chunking: ChunkingStrategy
}

export const vectorStoreFilesRepository = {
  /**
   * Attaches files to a store (locked by the caller's transaction) and records one rag.ingest.v1
   * event per file in the outbox, in the same transaction. A file already attached is ingested
   * again: back to in_progress with a new generation, so an older run still going changes nothing.
   * @throws RAG_ERR_FILE_NOT_FOUND naming the first id that is not a file of the org; nothing is written.
   */
  async attach(
    db: Queryable,
    caller: Caller,
    storeId: string,
    attachments: Attachment[],
    batchId: string | null,
    param: string,
  ): Promise<void> {
    // A file named twice is attached once, as named last (one statement cannot update a row twice).
    attachments = [...new Map(attachments.map((a) => [a.fileId, a])).values()]
    const ids = attachments.map((a) => a.fileId)
    const existing = await filesRepository.existing(db, caller.orgId, ids)
    const missing = ids.findIndex((id) => !existing.has(id))
    if (missing >= 0) {
      throw Object.assign(new ragErrors.FileNotFound(ids[missing] as string), { param })
    }
    await db.query(
      `INSERT INTO vector_store_files AS f
         (org_id, vector_store_id, file_id, batch_id, status, attributes, chunking_strategy)
       SELECT $1, $2, a.file_id, $3, 'in_progress', coalesce(a.attributes, '{}'), a.chunking
         FROM unnest($4::text[], $5::jsonb[], $6::jsonb[]) WITH ORDINALITY AS a (file_id, attributes, chunking, n)
        ORDER BY a.n
       ON CONFLICT (vector_store_id, file_id) DO UPDATE SET
         batch_id = EXCLUDED.batch_id,
         status = 'in_progress',
         last_error = NULL,
         attributes = CASE WHEN $7::text[] @> ARRAY[EXCLUDED.file_id] THEN EXCLUDED.attributes ELSE f.attributes END,
         chunking_strategy = EXCLUDED.chunking_strategy,
         generation = f.generation + 1,
         chunks_done = 0,
         chunks_total = NULL,
         usage_bytes = 0,
         updated_at = now()`,
      [
        caller.orgId,
        storeId,
        batchId,
        ids,
        attachments.map((a) => (a.attributes === undefined ? null : JSON.stringify(a.attributes ?? {}))),
        attachments.map((a) => JSON.stringify(a.chunking)),
        // Files whose attributes the request names: those replace the stored ones.
        attachments.filter((a) => a.attributes !== undefined).map((a) => a.fileId),
      ],
    )
    await enqueueIngest(
      db,
      { where: 'f.vector_store_id = $1 AND f.file_id = ANY($2)', values: [storeId, ids] },
      { requestedBy: { userId: caller.userId, keyId: caller.keyId }, reason: 'attached' },
    )
  },

  /** Every file of the store to be chunked again with `chunking`, with its ingest events. */
  async rechunkAll(
    db: Queryable,
    caller: Caller,
    storeId: string,
    chunking: ChunkingStrategy,
  ): Promise<number> {
    await db.query(
      `UPDATE vector_store_files SET chunking_strategy = $2, status = 'in_progress', last_error = NULL,
              generation = generation + 1, chunks_done = 0, chunks_total = NULL, updated_at = now()
        WHERE vector_store_id = $1`,
      [storeId, JSON.stringify(chunking)],
    )
    return enqueueIngest(
      db,
      { where: 'f.vector_store_id = $1', values: [storeId] },
      { requestedBy: { userId: caller.userId, keyId: caller.keyId }, reason: 'rechunk' },
    )
  },

  /** One file of a store the caller can see (checked by the caller: pass a visible store's id). */
  async find(db: Queryable, storeId: string, fileId: string): Promise<VectorStoreFileRow | null> {
    const { rows } = await db.query<VectorStoreFileRow & Record<string, unknown>>(
      'SELECT * FROM vector_store_files WHERE vector_store_id = $1 AND file_id = $2',
      [storeId, fileId],
    )
    return rows[0] ?? null
  },

  /** A page of a store's files, or of one batch's, in attachment order. */
  async list(
    db: Queryable,
    scope: { storeId: string; batchId?: string },
    query: ListQuery & { filter?: FileStatus | undefined },
  ): Promise<{ rows: VectorStoreFileRow[]; hasMore: boolean }> {
    const values: unknown[] = [scope.storeId]
    let where = 'vector_store_id = $1'
    if (scope.batchId !== undefined) {
      values.push(scope.batchId)
      where += ` AND batch_id = $${values.length}`
    }
    if (query.filter !== undefined) {
      values.push(query.filter)
      where += ` AND status = $${values.length}`
    }
    // A cursor is a file id; its place is its attachment's seq (a file no longer attached: none).
    const page = pageSql(
      query,
      'seq',
      (p) => `(SELECT c.seq FROM vector_store_files c WHERE c.vector_store_id = $1 AND c.file_id = ${p})`,
      values.length + 1,
    )
    const { rows } = await db.query<VectorStoreFileRow & Record<string, unknown>>(
      `SELECT * FROM vector_store_files WHERE ${where}${page.where} ORDER BY ${page.orderBy} LIMIT ${page.fetch}`,
      [...values, ...page.values],
    )
    return page.finish(rows)
  },

  async setAttributes(
    db: Queryable,
    storeId: string,
    fileId: string,
    attributes: Attributes,
  ): Promise<VectorStoreFileRow | null> {
    const { rows } = await db.query<VectorStoreFileRow & Record<string, unknown>>(
      `UPDATE vector_store_files SET attributes = $3, updated_at = now()
        WHERE vector_store_id = $1 AND file_id = $2 RETURNING *`,
      [storeId, fileId, JSON.stringify(attributes)],
    )
    return rows[0] ?? null
  },

  /** Detaches a file (its chunks go with it; the file stays). */
  async delete(db: Queryable, storeId: string, fileId: string): Promise<boolean> {
    const result = await db.query(
      'DELETE FROM vector_store_files WHERE vector_store_id = $1 AND file_id = $2',
      [storeId, fileId],
    )
    return (result.rowCount ?? 0) > 0
  },
}
