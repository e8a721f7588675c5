// The supervisor behind the runs' port (`runs/supervisor-port.ts`): the agent service's plugin
// makes one per process; its example vectors are shared by every request of that process.
import type { RouteDecision, Supervisor as SupervisorPort } from '../runs/supervisor-port.ts'
import type { SupervisorConfig } from './config.ts'
import { createRouterPorts } from './router-ports.ts'
import { Supervisor, type SupervisorDecision } from './supervisor.ts'

export interface RouterSupervisorOptions {
  config: SupervisorConfig
  /** The llm-router's OpenAI-compatible base URL and a fetch over the dispatcher (its contracts client). */
  router: { baseURL: string; fetch: typeof globalThis.fetch }
}

export function toRouteDecision(decision: SupervisorDecision): RouteDecision {
  return {
    agentId: decision.agentId ?? null,
    stage: decision.stage,
    ...(decision.confidence === undefined ? {} : { confidence: decision.confidence }),
    // Best first: the record keeps the order it was built in.
    scores: Object.fromEntries(decision.scores.map((s) => [s.agentId, s.score])),
    ...(decision.margin === undefined ? {} : { margin: decision.margin }),
    reason: decision.reason,
    ...(decision.clarification === undefined ? {} : { clarification: decision.clarification }),
  }
}

export function createRouterSupervisor(o: RouterSupervisorOptions): SupervisorPort {
  const ports = createRouterPorts({
    ...o.router,
    embeddingModel: o.config.AGENT_SUPERVISOR_EMBEDDING_MODEL,
    classifierModel: o.config.AGENT_SUPERVISOR_CLASSIFIER_MODEL,
  })
  const supervisor = new Supervisor({ config: o.config, ...ports })
  return {
    async route(input) {
      if (input.agents.length === 0 && input.requestedAgentId === undefined)
        return { agentId: null, stage: 'none', reason: 'the org has no agent' }
      const decision = await supervisor.route(
        {
          message: input.message,
          agents: input.agents,
          ...(input.requestedAgentId === undefined ? {} : { agentId: input.requestedAgentId }),
          ...(input.threadAgentId === undefined ? {} : { threadAgentId: input.threadAgentId }),
        },
        { token: input.token, signal: input.signal },
      )
      return toRouteDecision(decision)
    },
  }
}
