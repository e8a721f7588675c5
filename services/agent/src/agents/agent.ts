import type { Instructions, Limits } from './schemas.ts'

/** An agent as the service works with it: stored per org, or a deployment's built-in one. */
export interface Agent {
  id: string
  name: string
  description: string
  instructions: Instructions
  /** An llm-router alias. */
  model: string
  tools: string[]
  /** Agents (names) a planner delegates its plan's steps to; empty for an agent that does the work itself. */
  delegates: string[]
  limits: Limits
  /** `auto`, `required`, `none` or a tool's name: what a turn answering a message must do. */
  toolChoice: string
  /** JSON schema of the final answer, or null for free text. */
  outputSchema: Record<string, unknown> | null
  examples: string[]
  metadata: Record<string, string>
  /** Epoch milliseconds. */
  createdAt: number
  builtin: boolean
}

/** The public view (snake_case, seconds). */
export const toAgentView = (agent: Agent) => ({
  id: agent.id,
  object: 'agent' as const,
  created_at: Math.floor(agent.createdAt / 1000),
  name: agent.name,
  description: agent.description,
  instructions: agent.instructions,
  model: agent.model,
  tools: agent.tools,
  delegates: agent.delegates,
  limits: agent.limits,
  tool_choice: agent.toolChoice,
  output_schema: agent.outputSchema,
  examples: agent.examples,
  metadata: agent.metadata,
  builtin: agent.builtin,
})
