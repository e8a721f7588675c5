import type { SqlQueryable } from '@switchyard/kit'

/** The org's http_fetch allow-list (no row: an empty list, nothing may be fetched). */
export const fetchAllowRepository = {
  async get(db: SqlQueryable, orgId: string): Promise<string[]> {
    const { rows } = await db.query<{ entries: string[] }>(
      'SELECT entries FROM agent_fetch_allow_lists WHERE org_id = $1',
      [orgId],
    )
    return rows[0]?.entries ?? []
  },

  /** Replaces the org's list. */
  async put(db: SqlQueryable, orgId: string, entries: readonly string[], userId: string): Promise<void> {
    await db.query(
      `INSERT INTO agent_fetch_allow_lists (org_id, entries, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (org_id) DO UPDATE SET entries = EXCLUDED.entries, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [orgId, JSON.stringify(entries), userId],
    )
  },
}
