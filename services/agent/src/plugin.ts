import type { ServicePlugin } from '@switchyard/kit'
import type { AgentConfig } from './config.ts'
import { agentErrors } from './errors.ts'

/**
 * Agent: agents, runs and their tool loop. The database is migrated by the runtime before this
 * runs; feature routes register here.
 */
export const agentPlugin: ServicePlugin<AgentConfig> = async (_app, ctx) => {
  if (ctx.sql === undefined) throw new agentErrors.NoSql()
}
