import { labelNamePattern, promptNamePattern } from '@switchyard/contracts'
import type { AgentConfig } from '../config.ts'
import { agentErrors } from '../errors.ts'
import { compileSchema } from '../json-schema.ts'
import type { ToolSource } from '../tools/tool.ts'
import type { Agent } from './agent.ts'
import type { AgentCatalog } from './catalog.ts'
import type { AgentFields } from './repository.ts'
import type { AgentCreate, Instructions, Limits } from './schemas.ts'

const PROMPT_REF = new RegExp(`^${promptNamePattern}@${labelNamePattern}$`)

export const defaultLimits: Limits = {
  max_turns: 10,
  max_total_tokens: 100_000,
  max_wall_time_ms: 300_000,
  tool_timeout_ms: 30_000,
}

const invalid = (error: Error, param: string) => Object.assign(error, { param })

/**
 * Checks what the schema cannot: tool names against the org's tool sources, delegates against
 * its agents, that the output schema compiles, the shape of a prompt reference. Throws a 400
 * naming the field, before anything is stored.
 */
export async function checkAgent(
  body: AgentCreate,
  base: Agent | null,
  orgId: string,
  deps: { config: AgentConfig; tools: ToolSource; catalog: AgentCatalog },
): Promise<AgentFields> {
  const instructions: Instructions =
    typeof body.instructions === 'string' ? { text: body.instructions } : body.instructions
  if ('prompt' in instructions && !PROMPT_REF.test(instructions.prompt)) {
    throw invalid(
      new agentErrors.InvalidRequest(`instructions.prompt must be name@label, not ${instructions.prompt}`),
      'instructions',
    )
  }
  if (body.output_schema != null) {
    try {
      compileSchema(body.output_schema)
    } catch (err) {
      throw invalid(new agentErrors.InvalidSchema((err as Error).message), 'output_schema')
    }
  }
  const choice = body.tool_choice
  if (
    choice !== 'auto' &&
    choice !== 'none' &&
    !(choice === 'required' ? body.tools.length > 0 : body.tools.includes(choice))
  ) {
    throw invalid(
      new agentErrors.InvalidRequest(
        choice === 'required'
          ? 'tool_choice required needs at least one tool'
          : `tool_choice must be auto, required, none or one of the agent's tools, not ${choice}`,
      ),
      'tool_choice',
    )
  }
  if (body.tools.length > 0) {
    const known = new Set((await deps.tools.tools(orgId, AbortSignal.timeout(10_000))).map((t) => t.name))
    const unknown = body.tools.find((name) => !known.has(name))
    if (unknown !== undefined) throw invalid(new agentErrors.UnknownTool(unknown), 'tools')
  }
  const delegates: string[] = []
  for (const ref of body.delegates) {
    const delegate = await deps.catalog.get(orgId, ref)
    if (delegate === null) throw invalid(new agentErrors.UnknownDelegate(ref), 'delegates')
    if (delegate.name === body.name || (base !== null && delegate.id === base.id)) {
      throw invalid(new agentErrors.InvalidRequest('An agent cannot delegate to itself'), 'delegates')
    }
    // Stored by name, as the plan names them.
    delegates.push(delegate.name)
  }
  return {
    name: body.name,
    description: body.description,
    instructions,
    model: body.model ?? base?.model ?? deps.config.AGENT_DEFAULT_MODEL,
    tools: body.tools,
    delegates,
    limits: { ...(base?.limits ?? defaultLimits), ...body.limits },
    toolChoice: choice,
    outputSchema: body.output_schema ?? null,
    examples: body.examples,
    metadata: body.metadata,
  }
}
