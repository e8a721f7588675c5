import { readFileSync } from 'node:fs'
import { ConfigError } from '@switchyard/config'
import { Value } from 'typebox/value'
import { parse } from 'yaml'
import { compileSchema } from '../json-schema.ts'
import type { Agent } from './agent.ts'
import { AgentCreate } from './schemas.ts'
import { defaultLimits } from './validate.ts'

const key = 'AGENT_BUILTIN_AGENTS_FILE'

/**
 * A deployment's built-in agents: a YAML list of agents in the API's create shape (or
 * `{ agents: [...] }`), read once at start. Every org sees them, read-only, with ids
 * `agent_builtin_<name>`. A bad file stops the start with a ConfigError naming every problem of
 * every agent at once, as bad config does. Tool names are not checked here: tools are per org.
 */
export function loadBuiltinAgents(path: string | undefined, defaultModel: string): Agent[] {
  if (path === undefined) return []
  const fail = (messages: string[]): never => {
    throw new ConfigError(messages.map((message) => ({ key, message: `${path}: ${message}` })))
  }
  let doc: unknown
  try {
    doc = parse(readFileSync(path, 'utf8'))
  } catch (err) {
    return fail([(err as Error).message])
  }
  const list = Array.isArray(doc) ? doc : (doc as { agents?: unknown } | null)?.agents
  if (!Array.isArray(list)) return fail(['expected a list of agents (or { agents: [...] })'])

  const problems: string[] = []
  const seen = new Set<string>()
  const agents = list.map((entry: unknown, index): Agent | null => {
    const withDefaults = Value.Default(AgentCreate, structuredClone(entry))
    const named = (withDefaults as { name?: unknown } | null)?.name
    const where = `agent ${index}${typeof named === 'string' ? ` (${named})` : ''}`
    if (!Value.Check(AgentCreate, withDefaults)) {
      for (const e of Value.Errors(AgentCreate, withDefaults))
        problems.push(`${where}: ${e.instancePath || '/'} ${e.message}`)
      return null
    }
    const body = withDefaults as AgentCreate
    if (seen.has(body.name)) problems.push(`${where}: the name is taken by an earlier agent`)
    seen.add(body.name)
    if (body.output_schema != null) {
      try {
        compileSchema(body.output_schema)
      } catch (err) {
        problems.push(`${where}: output_schema does not compile: ${(err as Error).message}`)
      }
    }
    const choice = body.tool_choice
    if (!['auto', 'none', 'required'].includes(choice) && !body.tools.includes(choice))
      problems.push(`${where}: tool_choice ${choice} is not one of its tools`)
    if (choice === 'required' && body.tools.length === 0)
      problems.push(`${where}: tool_choice required needs at least one tool`)
    return {
      id: `agent_builtin_${body.name}`,
      name: body.name,
      description: body.description,
      instructions: typeof body.instructions === 'string' ? { text: body.instructions } : body.instructions,
      model: body.model ?? defaultModel,
      tools: body.tools,
      // Checked when a run starts: a built-in may name an org's agent, which only the org has.
      delegates: body.delegates,
      limits: { ...defaultLimits, ...body.limits },
      toolChoice: choice,
      outputSchema: body.output_schema ?? null,
      examples: body.examples,
      metadata: body.metadata,
      createdAt: 0,
      builtin: true,
    }
  })
  if (problems.length > 0) fail(problems)
  return agents as Agent[]
}
