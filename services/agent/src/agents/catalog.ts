import type { SqlQueryable } from '@switchyard/kit'
import type { Agent } from './agent.ts'
import { agentsRepository } from './repository.ts'

/** An org's agents: the deployment's built-in ones, then its own. */
export interface AgentCatalog {
  /** By id or name; null when the org has no such agent (another org's is none of its business). */
  get(orgId: string, idOrName: string): Promise<Agent | null>
  /** Every agent the org can run, built-ins first: what the supervisor chooses from. */
  all(orgId: string): Promise<Agent[]>
}

/** How many stored agents the supervisor considers per org. */
const MAX_AGENTS = 500

export function createAgentCatalog(db: SqlQueryable, builtins: readonly Agent[]): AgentCatalog {
  const repo = agentsRepository(db)
  return {
    async get(orgId, idOrName) {
      return (
        builtins.find((a) => a.id === idOrName || a.name === idOrName) ?? (await repo.get(orgId, idOrName))
      )
    },
    async all(orgId) {
      return [...builtins, ...(await repo.list(orgId, MAX_AGENTS))]
    },
  }
}
