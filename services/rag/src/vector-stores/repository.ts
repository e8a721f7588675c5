import { type Caller, storeVisible } from '../access.ts'
import { type Queryable, unixSeconds, unixSecondsOrNull } from '../db.ts'
import { type ListQuery, pageSql } from '../pagination.ts'
import type {
  Access,
  ChunkingStrategy,
  ExpiresAfter,
  FileCounts,
  Metadata,
  VectorStoreView,
} from './schemas.ts'

export interface VectorStoreRow {
  id: string
  org_id: string
  created_by: string
  name: string | null
  metadata: Metadata
  embedding_model: string
  chunking_strategy: ChunkingStrategy
  expires_after: ExpiresAfter | null
  expires_at: Date | null
  last_active_at: Date
  access_user_ids: string[] | null
  created_at: Date
}

/** A store with what its files add up to, counted at read time, so the counts are always true. */
export interface VectorStoreState extends VectorStoreRow, FileCountColumns {
  usage_bytes: string
  expired: boolean
}

/** Counts of vector_store_files rows (alias `f`) that `where` keeps. */
export const fileCountsSql = (where: string) => `
  SELECT count(*) FILTER (WHERE f.status = 'in_progress') AS in_progress,
         count(*) FILTER (WHERE f.status = 'completed') AS completed,
         count(*) FILTER (WHERE f.status = 'failed') AS failed,
         count(*) FILTER (WHERE f.status = 'cancelled') AS cancelled,
         count(*) AS total,
         coalesce(sum(f.usage_bytes), 0) AS usage_bytes
    FROM vector_store_files f WHERE ${where}`

/** Counts as pg returns them (bigint as text). */
export interface FileCountColumns {
  in_progress: string
  completed: string
  failed: string
  cancelled: string
  total: string
}

export const toFileCounts = (row: FileCountColumns): FileCounts => ({
  in_progress: Number(row.in_progress),
  completed: Number(row.completed),
  failed: Number(row.failed),
  cancelled: Number(row.cancelled),
  total: Number(row.total),
})

const stateSql = (where: string) => `
  SELECT v.*, c.*, v.expires_at IS NOT NULL AND v.expires_at <= now() AS expired
    FROM vector_stores v
    CROSS JOIN LATERAL (${fileCountsSql('f.vector_store_id = v.id')}) c
   WHERE ${where}`

export function toVectorStoreView(row: VectorStoreState): VectorStoreView {
  const counts = toFileCounts(row)
  return {
    id: row.id,
    object: 'vector_store',
    created_at: unixSeconds(row.created_at),
    name: row.name,
    usage_bytes: Number(row.usage_bytes),
    file_counts: counts,
    status: row.expired ? 'expired' : counts.in_progress > 0 ? 'in_progress' : 'completed',
    expires_after: row.expires_after,
    expires_at: unixSecondsOrNull(row.expires_at),
    last_active_at: unixSeconds(row.last_active_at),
    metadata: row.metadata,
    embedding_model: row.embedding_model,
    chunking_strategy: row.chunking_strategy,
    access: row.access_user_ids === null ? null : { user_ids: row.access_user_ids },
  }
}

/** The access list to store: the caller stays on a list they set, so they cannot lock themselves out. */
export const accessList = (access: Access | null | undefined, caller: Caller): string[] | null =>
  access === null || access === undefined ? null : [...new Set([caller.userId, ...access.user_ids])]

/** `expires_at` follows from `expires_after` and the last activity (both set in the same statement). */
const expiresAtSql = `CASE WHEN expires_after IS NULL THEN NULL
  ELSE last_active_at + make_interval(days => (expires_after->>'days')::int) END`

export const vectorStoresRepository = {
  async insert(
    db: Queryable,
    caller: Caller,
    store: {
      id: string
      name: string | null
      metadata: Metadata
      embeddingModel: string
      chunking: ChunkingStrategy
      expiresAfter: ExpiresAfter | null
      accessUserIds: string[] | null
    },
  ): Promise<void> {
    await db.query(
      `INSERT INTO vector_stores
         (id, org_id, created_by, name, metadata, embedding_model, chunking_strategy, expires_after, access_user_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        store.id,
        caller.orgId,
        caller.userId,
        store.name,
        JSON.stringify(store.metadata),
        store.embeddingModel,
        JSON.stringify(store.chunking),
        store.expiresAfter === null ? null : JSON.stringify(store.expiresAfter),
        store.accessUserIds,
      ],
    )
    await db.query(`UPDATE vector_stores SET expires_at = ${expiresAtSql} WHERE id = $1`, [store.id])
  },

  /** The store with its counts, if the caller may see it. */
  async find(db: Queryable, caller: Caller, id: string): Promise<VectorStoreState | null> {
    const { rows } = await db.query<VectorStoreState & Record<string, unknown>>(
      stateSql(`${storeVisible('$1', '$2')} AND v.id = $3`),
      [caller.orgId, caller.userId, id],
    )
    return rows[0] ?? null
  },

  /**
   * The bare row, locked until the transaction ends: `share` for what adds files (attach), so
   * that a change of embedding model, which takes `update`, waits for it or it for the change.
   */
  async lock(
    db: Queryable,
    caller: Caller,
    id: string,
    mode: 'share' | 'update',
  ): Promise<VectorStoreRow | null> {
    const { rows } = await db.query<VectorStoreRow & Record<string, unknown>>(
      `SELECT v.* FROM vector_stores v WHERE ${storeVisible('$1', '$2')} AND v.id = $3
         FOR ${mode === 'share' ? 'SHARE' : 'UPDATE'}`,
      [caller.orgId, caller.userId, id],
    )
    return rows[0] ?? null
  },

  async list(
    db: Queryable,
    caller: Caller,
    query: ListQuery,
  ): Promise<{ rows: VectorStoreState[]; hasMore: boolean }> {
    const page = pageSql(query, 'v.id', (p) => p, 3)
    const { rows } = await db.query<VectorStoreState & Record<string, unknown>>(
      `${stateSql(`${storeVisible('$1', '$2')}${page.where}`)} ORDER BY ${page.orderBy} LIMIT ${page.fetch}`,
      [caller.orgId, caller.userId, ...page.values],
    )
    return page.finish(rows)
  },

  /** Applies the changes given (undefined: unchanged); expires_at follows. */
  async update(
    db: Queryable,
    id: string,
    changes: {
      name?: string | null
      metadata?: Metadata
      embeddingModel?: string
      chunking?: ChunkingStrategy
      expiresAfter?: ExpiresAfter | null
      accessUserIds?: string[] | null
    },
  ): Promise<void> {
    const sets: string[] = ['last_active_at = now()']
    const values: unknown[] = [id]
    const set = (column: string, value: unknown) => {
      values.push(value)
      sets.push(`${column} = $${values.length}`)
    }
    if (changes.name !== undefined) set('name', changes.name)
    if (changes.metadata !== undefined) set('metadata', JSON.stringify(changes.metadata))
    if (changes.embeddingModel !== undefined) set('embedding_model', changes.embeddingModel)
    if (changes.chunking !== undefined) set('chunking_strategy', JSON.stringify(changes.chunking))
    if (changes.expiresAfter !== undefined)
      set('expires_after', changes.expiresAfter === null ? null : JSON.stringify(changes.expiresAfter))
    if (changes.accessUserIds !== undefined) set('access_user_ids', changes.accessUserIds)
    await db.query(`UPDATE vector_stores SET ${sets.join(', ')} WHERE id = $1`, values)
    await db.query(`UPDATE vector_stores SET expires_at = ${expiresAtSql} WHERE id = $1`, [id])
  },

  /**
   * Marks the store used now (search, answers): its expiry moves on. Scoped like every read, so a
   * caller who cannot see the store cannot keep it alive either.
   */
  async touch(db: Queryable, caller: Caller, id: string): Promise<void> {
    await db.query(
      `UPDATE vector_stores v SET last_active_at = now(),
              expires_at = CASE WHEN v.expires_after IS NULL THEN NULL
                ELSE now() + make_interval(days => (v.expires_after->>'days')::int) END
        WHERE ${storeVisible('$1', '$2')} AND v.id = $3`,
      [caller.orgId, caller.userId, id],
    )
  },

  /** Deletes the store with its file attachments, batches and chunks; false when the caller has no such store. */
  async delete(db: Queryable, caller: Caller, id: string): Promise<boolean> {
    const result = await db.query(
      `DELETE FROM vector_stores v WHERE ${storeVisible('$1', '$2')} AND v.id = $3`,
      [caller.orgId, caller.userId, id],
    )
    return (result.rowCount ?? 0) > 0
  },

  /** Whether the store holds any file (its embedding model is then fixed). */
  async hasFiles(db: Queryable, id: string): Promise<boolean> {
    const { rows } = await db.query('SELECT 1 FROM vector_store_files WHERE vector_store_id = $1 LIMIT 1', [
      id,
    ])
    return rows.length > 0
  },
}
