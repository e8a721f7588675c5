import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import type { AgentDeps } from '../deps.ts'
import { agentErrors } from '../errors.ts'
import { newId } from '../ids.ts'
import { listOf } from '../list.ts'
import { type Agent, toAgentView } from './agent.ts'
import { agentsRepository } from './repository.ts'
import {
  AgentCreate,
  AgentDeleted,
  AgentList,
  AgentListQuery,
  AgentParams,
  AgentUpdate,
  AgentView,
} from './schemas.ts'
import { checkAgent } from './validate.ts'

/** Agents live beside conversations: chat's scopes say who may read and change them. */
const readScopes = [scopes.chatRead]
const writeScopes = [scopes.chatWrite]

export function agentRoutes(app: KitServer, deps: AgentDeps): void {
  const repo = agentsRepository(deps.pool)
  const { catalog } = deps

  /** The org's agent, or 404; a built-in one when `writable` is asked is a 400 (it is read-only). */
  const requireAgent = async (orgId: string, id: string, writable = false): Promise<Agent> => {
    const agent = await catalog.get(orgId, id)
    if (agent === null) throw new agentErrors.AgentNotFound(id)
    if (writable && agent.builtin) {
      throw new agentErrors.InvalidRequest(`${agent.name} is a built-in agent: it is read-only`)
    }
    return agent
  }

  app.post(
    '/v1/agents',
    {
      config: { scopes: writeScopes },
      schema: { summary: 'Create an agent', body: AgentCreate, response: { 200: AgentView } },
    },
    async (request) => {
      const { orgId, userId } = request.identity
      const fields = await checkAgent(request.body, null, orgId, deps)
      const taken = await catalog.get(orgId, fields.name)
      if (taken?.builtin) throw Object.assign(new agentErrors.AgentExists(fields.name), { param: 'name' })
      const agent = await repo.create(orgId, userId, newId('agent'), fields)
      if (agent === null) throw Object.assign(new agentErrors.AgentExists(fields.name), { param: 'name' })
      return toAgentView(agent)
    },
  )

  app.get(
    '/v1/agents',
    {
      config: { scopes: readScopes },
      schema: {
        summary: "The org's agents, built-ins first",
        querystring: AgentListQuery,
        response: { 200: AgentList },
      },
    },
    async (request) => {
      const { limit, after } = request.query
      // Built-ins lead the first page; a cursor is always a stored agent's id.
      const builtins = after === undefined ? deps.builtins.slice(0, limit) : []
      const stored = await repo.list(request.identity.orgId, limit - builtins.length, after)
      const page = [...builtins, ...stored]
      return listOf(page.slice(0, limit).map(toAgentView), page.length > limit)
    },
  )

  app.get(
    '/v1/agents/:agent_id',
    {
      config: { scopes: readScopes },
      schema: { summary: 'One agent (by id or name)', params: AgentParams, response: { 200: AgentView } },
    },
    async (request) => toAgentView(await requireAgent(request.identity.orgId, request.params.agent_id)),
  )

  app.post(
    '/v1/agents/:agent_id',
    {
      config: { scopes: writeScopes },
      schema: {
        summary: 'Change an agent',
        params: AgentParams,
        body: AgentUpdate,
        response: { 200: AgentView },
      },
    },
    async (request) => {
      const { orgId } = request.identity
      const current = await requireAgent(orgId, request.params.agent_id, true)
      const body = request.body
      const merged: AgentCreate = {
        name: body.name ?? current.name,
        description: body.description ?? current.description,
        instructions: body.instructions ?? current.instructions,
        tools: body.tools ?? current.tools,
        delegates: body.delegates ?? current.delegates,
        limits: { ...current.limits, ...body.limits },
        tool_choice: body.tool_choice ?? current.toolChoice,
        output_schema: body.output_schema === undefined ? current.outputSchema : body.output_schema,
        examples: body.examples ?? current.examples,
        metadata: body.metadata ?? current.metadata,
        ...((body.model ?? current.model) !== undefined && { model: body.model ?? current.model }),
      }
      const fields = await checkAgent(merged, current, orgId, deps)
      const updated = await repo.update(orgId, current.id, fields)
      if (updated === 'name-taken')
        throw Object.assign(new agentErrors.AgentExists(fields.name), { param: 'name' })
      if (updated === null) throw new agentErrors.AgentNotFound(request.params.agent_id)
      return toAgentView(updated)
    },
  )

  app.delete(
    '/v1/agents/:agent_id',
    {
      config: { scopes: writeScopes },
      schema: {
        summary: 'Delete an agent (its runs stay)',
        params: AgentParams,
        response: { 200: AgentDeleted },
      },
    },
    async (request) => {
      const agent = await requireAgent(request.identity.orgId, request.params.agent_id, true)
      await repo.delete(request.identity.orgId, agent.id)
      return { id: agent.id, object: 'agent.deleted' as const, deleted: true }
    },
  )
}
