import type { Identity } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import type { AgentRuns } from './agents/agent-runs.ts'
import type { ChatConfig } from './config.ts'
import type { History } from './generation/context.ts'
import type { Generations } from './generation/generations.ts'
import type { ModelCatalog } from './models/models.ts'
import type { PromptResolver } from './prompts/resolve.ts'
import type { ChatStore } from './store/chat-store.ts'

/** What chat's features share, built once by the plugin. */
export interface ChatDeps {
  config: ChatConfig
  store: ChatStore
  state: SharedState
  bus: EventBus
  logger: Logger
  models: ModelCatalog
  prompts: PromptResolver
  history: History
  generations: Generations
  agents: AgentRuns
}

/** Who asks: the identity decides what they may see, the token is forwarded to peers. */
export interface Caller {
  identity: Identity
  token: string
}
