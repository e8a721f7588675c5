import type { EventBus } from '@switchyard/events'
import type { SqlPool } from '@switchyard/kit'
import type { SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import type { Agent } from './agents/agent.ts'
import type { AgentCatalog } from './agents/catalog.ts'
import type { AgentConfig } from './config.ts'
import type { ToolSource } from './tools/tool.ts'

/** What agent's features share, built once by the plugin. */
export interface AgentDeps {
  config: AgentConfig
  pool: SqlPool
  bus: EventBus
  state: SharedState
  logger: Logger
  /** Every tool an org's agents may name. */
  tools: ToolSource
  /** The deployment's built-in agents (AGENT_BUILTIN_AGENTS_FILE). */
  builtins: readonly Agent[]
  catalog: AgentCatalog
  /** Epoch milliseconds (the runtime's clock: a test's fake one). */
  now: () => number
}
