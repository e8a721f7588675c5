import type { SqlQueryable } from '@switchyard/kit'
import { orgTable } from '../org-table.ts'
import type { SecretRef } from '../secrets.ts'

export interface McpServerRow {
  id: string
  org_id: string
  created_by: string
  name: string
  url: string
  secret: SecretRef | null
  needs_approval: boolean | string[]
  created_at: Date
}

const columns = 'id, org_id, created_by, name, url, secret, needs_approval, created_at'

/** The org's MCP servers; every statement filters on org_id. */
export const mcpServersRepository = {
  ...orgTable<McpServerRow>('agent_mcp_servers', columns),

  /** Inserts the server; null when the org already has a server of that name. */
  async insert(db: SqlQueryable, row: Omit<McpServerRow, 'created_at'>): Promise<McpServerRow | null> {
    const { rows } = await db.query<McpServerRow & Record<string, unknown>>(
      `INSERT INTO agent_mcp_servers (id, org_id, created_by, name, url, secret, needs_approval)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (org_id, name) DO NOTHING
       RETURNING ${columns}`,
      [
        row.id,
        row.org_id,
        row.created_by,
        row.name,
        row.url,
        row.secret === null ? null : JSON.stringify(row.secret),
        JSON.stringify(row.needs_approval),
      ],
    )
    return rows[0] ?? null
  },
}
