import type { SqlQueryable } from '@switchyard/kit'
import type { Agent } from './agent.ts'

interface AgentRow extends Record<string, unknown> {
  id: string
  name: string
  description: string
  instructions: Agent['instructions']
  model: string
  tools: string[]
  delegates: string[]
  limits: Agent['limits']
  tool_choice: string
  output_schema: Record<string, unknown> | null
  examples: string[]
  metadata: Record<string, string>
  created_at: Date
}

const toAgent = (row: AgentRow): Agent => ({
  id: row.id,
  name: row.name,
  description: row.description,
  instructions: row.instructions,
  model: row.model,
  tools: row.tools,
  delegates: row.delegates,
  limits: row.limits,
  toolChoice: row.tool_choice,
  outputSchema: row.output_schema,
  examples: row.examples,
  metadata: row.metadata,
  createdAt: row.created_at.getTime(),
  builtin: false,
})

/** Everything but id, timestamps and `builtin`: what a create or an update writes. */
export type AgentFields = Omit<Agent, 'id' | 'createdAt' | 'builtin'>

const columns =
  'id, name, description, instructions, model, tools, limits, tool_choice, delegates, output_schema, examples, metadata, created_at'

/** The org's stored agents. Every statement filters on org_id. */
export function agentsRepository(db: SqlQueryable) {
  return {
    /** Null when the org already has an agent of that name. */
    async create(orgId: string, createdBy: string, id: string, fields: AgentFields): Promise<Agent | null> {
      const { rows } = await db.query<AgentRow>(
        `INSERT INTO agents (id, org_id, created_by, name, description, instructions, model, tools, limits,
                             output_schema, examples, metadata, tool_choice, delegates)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (org_id, name) DO NOTHING
         RETURNING ${columns}`,
        [id, orgId, createdBy, ...values(fields)],
      )
      return rows[0] ? toAgent(rows[0]) : null
    },

    /** By id or by name. */
    async get(orgId: string, idOrName: string): Promise<Agent | null> {
      const { rows } = await db.query<AgentRow>(
        `SELECT ${columns} FROM agents WHERE org_id = $1 AND (id = $2 OR name = $2)`,
        [orgId, idOrName],
      )
      return rows[0] ? toAgent(rows[0]) : null
    },

    /** In creation order, `limit + 1` rows at most so the caller learns `has_more`. */
    async list(orgId: string, limit: number, after?: string): Promise<Agent[]> {
      const { rows } = await db.query<AgentRow>(
        `SELECT ${columns} FROM agents WHERE org_id = $1 AND ($2::text IS NULL OR id > $2)
          ORDER BY id LIMIT $3`,
        [orgId, after ?? null, limit + 1],
      )
      return rows.map(toAgent)
    },

    /** Null when there is no such agent; 'name-taken' when the new name is another agent's. */
    async update(orgId: string, id: string, fields: AgentFields): Promise<Agent | null | 'name-taken'> {
      try {
        const { rows } = await db.query<AgentRow>(
          `UPDATE agents SET name = $3, description = $4, instructions = $5, model = $6, tools = $7, limits = $8,
                  output_schema = $9, examples = $10, metadata = $11, tool_choice = $12, delegates = $13,
                  updated_at = now()
            WHERE org_id = $1 AND id = $2
            RETURNING ${columns}`,
          [orgId, id, ...values(fields)],
        )
        return rows[0] ? toAgent(rows[0]) : null
      } catch (err) {
        if ((err as { code?: string }).code === '23505') return 'name-taken'
        throw err
      }
    },

    async delete(orgId: string, id: string): Promise<boolean> {
      const { rowCount } = await db.query('DELETE FROM agents WHERE org_id = $1 AND id = $2', [orgId, id])
      return (rowCount ?? 0) > 0
    },
  }
}

const values = (f: AgentFields) => [
  f.name,
  f.description,
  JSON.stringify(f.instructions),
  f.model,
  JSON.stringify(f.tools),
  JSON.stringify(f.limits),
  f.outputSchema === null ? null : JSON.stringify(f.outputSchema),
  JSON.stringify(f.examples),
  JSON.stringify(f.metadata),
  f.toolChoice,
  JSON.stringify(f.delegates),
]
