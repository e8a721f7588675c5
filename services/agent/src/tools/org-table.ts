import type { SqlQueryable } from '@switchyard/kit'

/**
 * Reading and deleting rows of a table of org-owned tools by org (and id): the statements the HTTP
 * tools and MCP servers share. Every one filters on org_id.
 */
export function orgTable<Row>(table: string, columns: string) {
  return {
    async list(db: SqlQueryable, orgId: string): Promise<Row[]> {
      const { rows } = await db.query(`SELECT ${columns} FROM ${table} WHERE org_id = $1 ORDER BY id`, [
        orgId,
      ])
      return rows as Row[]
    },

    async get(db: SqlQueryable, orgId: string, id: string): Promise<Row | null> {
      const { rows } = await db.query(`SELECT ${columns} FROM ${table} WHERE org_id = $1 AND id = $2`, [
        orgId,
        id,
      ])
      return (rows[0] as Row | undefined) ?? null
    },

    async delete(db: SqlQueryable, orgId: string, id: string): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM ${table} WHERE org_id = $1 AND id = $2`, [orgId, id])
      return (rowCount ?? 0) > 0
    },
  }
}
