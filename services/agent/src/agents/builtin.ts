import { readFileSync } from 'node:fs'
import { Value } from 'typebox/value'
import { parse } from 'yaml'
import { compileSchema } from '../json-schema.ts'
import type { Agent } from './agent.ts'
import { AgentCreate } from './schemas.ts'
import { defaultLimits } from './validate.ts'

/**
 * A deployment's built-in agents: a YAML list of agents in the API's create shape, read once at
 * start. Every org sees them, read-only, with ids `agent_builtin_<name>`. A bad file stops the
 * start with every problem named, as bad config does.
 */
export function loadBuiltinAgents(path: string | undefined, defaultModel: string): Agent[] {
  if (path === undefined) return []
  const doc = parse(readFileSync(path, 'utf8')) as unknown
  const list = Array.isArray(doc) ? doc : ((doc as { agents?: unknown } | null)?.agents ?? [])
  if (!Array.isArray(list)) throw new Error(`${path}: expected a list of agents (or { agents: [...] })`)
  return list.map((entry: unknown, index) => {
    const withDefaults = Value.Default(AgentCreate, structuredClone(entry))
    if (!Value.Check(AgentCreate, withDefaults)) {
      const problems = [...Value.Errors(AgentCreate, withDefaults)].map(
        (e) => `${e.instancePath} ${e.message}`,
      )
      throw new Error(`${path}: agent ${index}: ${problems.join('; ')}`)
    }
    const body = withDefaults as AgentCreate
    if (body.output_schema != null) compileSchema(body.output_schema)
    return {
      id: `agent_builtin_${body.name}`,
      name: body.name,
      description: body.description,
      instructions: typeof body.instructions === 'string' ? { text: body.instructions } : body.instructions,
      model: body.model ?? defaultModel,
      tools: body.tools,
      limits: { ...defaultLimits, ...body.limits },
      toolChoice: body.tool_choice,
      outputSchema: body.output_schema ?? null,
      examples: body.examples,
      metadata: body.metadata,
      createdAt: 0,
      builtin: true,
    }
  })
}
