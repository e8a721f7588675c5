import type { Identity } from '@switchyard/contracts'
import type { Agent } from '../agents/agent.ts'

/** What the supervisor is asked: one user message, and the agents it may hand it to. */
export interface RouteInput {
  identity: Identity
  /** A worker token for `identity`: embeddings and the classifier through the router. */
  token: string
  /** The user's message. */
  message: string
  /** Every agent the org can run (built-ins first). */
  agents: readonly Agent[]
  /** The agent the caller named (`agent` in `POST /v1/runs`), if any: it wins. */
  requestedAgentId?: string
  /** The agent of the thread this message follows up, if any. */
  threadAgentId?: string
  signal: AbortSignal
}

/** The supervisor's decision, recorded on the run and sent as the `route` event. */
export interface RouteDecision {
  /** The chosen agent; null when the supervisor asks the user to clarify instead. */
  agentId: string | null
  /** Which stage decided: 'requested', 'thread', 'embedding', 'classifier', 'default'... */
  stage: string
  confidence?: number
  /** Scores per agent id, as the deciding stage saw them. */
  scores?: Record<string, number>
  /** The best score's lead over the runner-up. */
  margin?: number
  reason?: string
  /** The question to ask the user when `agentId` is null. */
  clarification?: string
}

/** Routes a message to one specialist (agent-supervisor's implementation lives in src/supervisor). */
export interface Supervisor {
  route(input: RouteInput): Promise<RouteDecision>
}

/** The trivial supervisor: the agent the caller named, else the thread's, else the org's first. */
export const defaultSupervisor: Supervisor = {
  async route(input) {
    if (input.requestedAgentId !== undefined) return { agentId: input.requestedAgentId, stage: 'requested' }
    if (input.threadAgentId !== undefined) return { agentId: input.threadAgentId, stage: 'thread' }
    const first = input.agents[0]
    return first === undefined
      ? { agentId: null, stage: 'default', reason: 'the org has no agent' }
      : { agentId: first.id, stage: 'default', reason: "the org's first agent" }
  },
}
