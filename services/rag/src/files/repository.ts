import type { Queryable } from '../db.ts'
import { unixSeconds } from '../db.ts'
import { pageSql } from '../pagination.ts'
import type { FileListQuery, FileView } from './schemas.ts'

export interface FileRow {
  id: string
  org_id: string
  created_by: string
  filename: string
  purpose: string
  bytes: string
  content_type: string
  sha256: string
  object_key: string
  created_at: Date
}

export const toFileView = (row: FileRow): FileView => ({
  id: row.id,
  object: 'file',
  bytes: Number(row.bytes),
  created_at: unixSeconds(row.created_at),
  expires_at: null,
  filename: row.filename,
  purpose: row.purpose,
  status: 'processed',
  status_details: null,
})

export const filesRepository = {
  async insert(
    db: Queryable,
    file: Omit<FileRow, 'created_at' | 'bytes'> & { bytes: number },
  ): Promise<FileRow> {
    const { rows } = await db.query<FileRow & Record<string, unknown>>(
      `INSERT INTO files (id, org_id, created_by, filename, purpose, bytes, content_type, sha256, object_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        file.id,
        file.org_id,
        file.created_by,
        file.filename,
        file.purpose,
        file.bytes,
        file.content_type,
        file.sha256,
        file.object_key,
      ],
    )
    return rows[0] as FileRow
  },

  async find(db: Queryable, orgId: string, id: string): Promise<FileRow | null> {
    const { rows } = await db.query<FileRow & Record<string, unknown>>(
      'SELECT * FROM files WHERE org_id = $1 AND id = $2',
      [orgId, id],
    )
    return rows[0] ?? null
  },

  /** The ids among `ids` that are files of the org. */
  async existing(db: Queryable, orgId: string, ids: string[]): Promise<Set<string>> {
    const { rows } = await db.query<{ id: string }>(
      'SELECT id FROM files WHERE org_id = $1 AND id = ANY($2)',
      [orgId, ids],
    )
    return new Set(rows.map((r) => r.id))
  },

  async list(
    db: Queryable,
    orgId: string,
    query: FileListQuery,
  ): Promise<{ rows: FileRow[]; hasMore: boolean }> {
    const values: unknown[] = [orgId]
    let where = 'org_id = $1'
    if (query.purpose !== undefined) {
      values.push(query.purpose)
      where += ' AND purpose = $2'
    }
    const page = pageSql(query, 'id', (p) => p, values.length + 1)
    const { rows } = await db.query<FileRow & Record<string, unknown>>(
      `SELECT * FROM files WHERE ${where}${page.where} ORDER BY ${page.orderBy} LIMIT ${page.fetch}`,
      [...values, ...page.values],
    )
    return page.finish(rows)
  },

  /** Deletes the row (its vector store attachments and their chunks go with it); the deleted row, or null. */
  async delete(db: Queryable, orgId: string, id: string): Promise<FileRow | null> {
    const { rows } = await db.query<FileRow & Record<string, unknown>>(
      'DELETE FROM files WHERE org_id = $1 AND id = $2 RETURNING *',
      [orgId, id],
    )
    return rows[0] ?? null
  },
}
