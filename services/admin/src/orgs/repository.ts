import { isoOf, type Queryable } from '../db/sql.ts'
import type { Org } from './schemas.ts'

interface OrgRow extends Record<string, unknown> {
  id: string
  name: string
  is_operator: boolean
  created_at: Date
  updated_at: Date
}

const toOrg = (row: OrgRow): Org => ({
  id: row.id,
  name: row.name,
  operator: row.is_operator,
  createdAt: isoOf(row.created_at),
  updatedAt: isoOf(row.updated_at),
})

const columns = 'id, name, is_operator, created_at, updated_at'

/** Orgs, each reached by its own id: a caller only ever passes the org of their token. */
export const orgsRepository = {
  async insert(db: Queryable, org: { id: string; name: string; operator: boolean }): Promise<Org> {
    const { rows } = await db.query<OrgRow>(
      `INSERT INTO orgs (id, name, is_operator) VALUES ($1, $2, $3) RETURNING ${columns}`,
      [org.id, org.name, org.operator],
    )
    return toOrg(rows[0] as OrgRow)
  },

  async get(db: Queryable, orgId: string): Promise<Org | null> {
    const { rows } = await db.query<OrgRow>(
      `SELECT ${columns} FROM orgs WHERE id = $1 AND deleted_at IS NULL`,
      [orgId],
    )
    return rows[0] ? toOrg(rows[0]) : null
  },

  async rename(db: Queryable, orgId: string, name: string): Promise<Org | null> {
    const { rows } = await db.query<OrgRow>(
      `UPDATE orgs SET name = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${columns}`,
      [orgId, name],
    )
    return rows[0] ? toOrg(rows[0]) : null
  },

  async softDelete(db: Queryable, orgId: string): Promise<boolean> {
    const { rowCount } = await db.query(
      'UPDATE orgs SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL',
      [orgId],
    )
    return (rowCount ?? 0) > 0
  },

  /** Whether any org was ever created (bootstrap runs only on an empty platform). */
  async count(db: Queryable): Promise<number> {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orgs')
    return rows[0]?.n ?? 0
  },
}
