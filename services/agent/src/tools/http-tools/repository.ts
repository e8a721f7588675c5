import type { SqlQueryable } from '@switchyard/kit'
import { orgTable } from '../org-table.ts'
import type { SecretRef } from '../secrets.ts'

export interface HttpToolRow {
  id: string
  org_id: string
  created_by: string
  name: string
  description: string
  parameters: Record<string, unknown>
  url: string
  method: 'GET' | 'POST'
  secret: SecretRef | null
  needs_approval: boolean
  created_at: Date
}

const columns =
  'id, org_id, created_by, name, description, parameters, url, method, secret, needs_approval, created_at'

/** The org's HTTP tools; every statement filters on org_id. */
export const httpToolsRepository = {
  ...orgTable<HttpToolRow>('agent_http_tools', columns),

  /** Inserts the tool; false when the org already has a tool of that name. */
  async insert(db: SqlQueryable, row: Omit<HttpToolRow, 'created_at'>): Promise<HttpToolRow | null> {
    const { rows } = await db.query<HttpToolRow & Record<string, unknown>>(
      `INSERT INTO agent_http_tools (id, org_id, created_by, name, description, parameters, url, method, secret, needs_approval)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (org_id, name) DO NOTHING
       RETURNING ${columns}`,
      [
        row.id,
        row.org_id,
        row.created_by,
        row.name,
        row.description,
        JSON.stringify(row.parameters),
        row.url,
        row.method,
        row.secret === null ? null : JSON.stringify(row.secret),
        row.needs_approval,
      ],
    )
    return rows[0] ?? null
  },
}
