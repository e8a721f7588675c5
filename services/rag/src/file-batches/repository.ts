import type { Caller } from '../access.ts'
import { type Queryable, unixSeconds } from '../db.ts'
import { type FileCountColumns, fileCountsSql, toFileCounts } from '../vector-stores/repository.ts'
import type { FileBatchView } from './schemas.ts'

interface FileBatchState extends FileCountColumns {
  id: string
  vector_store_id: string
  cancelled_at: Date | null
  created_at: Date
}

export function toFileBatchView(row: FileBatchState): FileBatchView {
  const counts = toFileCounts(row)
  return {
    id: row.id,
    object: 'vector_store.files_batch',
    created_at: unixSeconds(row.created_at),
    vector_store_id: row.vector_store_id,
    status:
      row.cancelled_at !== null
        ? 'cancelled'
        : counts.in_progress > 0
          ? 'in_progress'
          : counts.total > 0 && counts.failed === counts.total
            ? 'failed'
            : 'completed',
    file_counts: counts,
  }
}

export const fileBatchesRepository = {
  async insert(db: Queryable, caller: Caller, storeId: string, id: string): Promise<void> {
    await db.query(
      'INSERT INTO file_batches (id, org_id, vector_store_id, created_by) VALUES ($1, $2, $3, $4)',
      [id, caller.orgId, storeId, caller.userId],
    )
  },

  /** A batch of a store the caller can see (checked by the caller), with its counts. */
  async find(db: Queryable, storeId: string, id: string): Promise<FileBatchState | null> {
    const { rows } = await db.query<FileBatchState & Record<string, unknown>>(
      `SELECT b.id, b.vector_store_id, b.cancelled_at, b.created_at, c.*
         FROM file_batches b CROSS JOIN LATERAL (${fileCountsSql('f.batch_id = b.id')}) c
        WHERE b.vector_store_id = $1 AND b.id = $2`,
      [storeId, id],
    )
    return rows[0] ?? null
  },

  /**
   * Cancels the batch: its files still in progress become cancelled, with a new generation so
   * that a worker in the middle of one stops writing. Files already finished keep their state.
   * @returns false when the store has no such batch.
   */
  async cancel(db: Queryable, storeId: string, id: string): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE file_batches SET cancelled_at = coalesce(cancelled_at, now())
        WHERE vector_store_id = $1 AND id = $2`,
      [storeId, id],
    )
    if ((rowCount ?? 0) === 0) return false
    await db.query(
      `UPDATE vector_store_files SET status = 'cancelled', generation = generation + 1, updated_at = now()
        WHERE batch_id = $1 AND status = 'in_progress'`,
      [id],
    )
    return true
  },
}
