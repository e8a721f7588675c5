import type { KitServer } from '@switchyard/kit'
import { agentErrors } from '../../errors.ts'
import { builtinToolNames } from '../builtins/names.ts'
import { toolErrors } from '../errors.ts'
import { newId } from '../ids.ts'
import { schemaProblem } from '../json-schema.ts'
import { Deleted, ToolIdParams } from '../schemas.ts'
import { toolScopes } from '../scopes.ts'
import { checkedSecretRef } from '../secrets.ts'
import type { Tools } from '../source.ts'
import { type HttpToolRow, httpToolsRepository } from './repository.ts'
import { HttpToolList, HttpToolView, NewHttpTool } from './schemas.ts'

const HttpToolDeleted = Deleted('agent.http_tool.deleted')

export function httpToolRoutes(app: KitServer, tools: Tools): void {
  const { sql } = tools

  app.post(
    '/v1/agents/tools/http',
    {
      config: { scopes: toolScopes.write },
      schema: { summary: 'Define an HTTP tool', body: NewHttpTool, response: { 200: HttpToolView } },
    },
    async (request) => {
      const { orgId, userId } = request.identity
      const body = request.body
      if (builtinToolNames.includes(body.name)) throw new toolErrors.ToolExists(body.name)
      const problem = schemaProblem(body.parameters)
      if (problem !== null) throw new agentErrors.InvalidSchema(problem)
      const secret = checkedSecretRef(tools.config.AGENT_TOOL_SECRETS, body.secret, orgId, body.url)
      const row = await httpToolsRepository.insert(sql, {
        id: newId('httpTool'),
        org_id: orgId,
        created_by: userId,
        name: body.name,
        description: body.description,
        parameters: body.parameters,
        url: body.url,
        method: body.method ?? 'POST',
        secret,
        needs_approval: body.needs_approval ?? false,
      })
      if (row === null) throw new toolErrors.ToolExists(body.name)
      return toView(row)
    },
  )

  app.get(
    '/v1/agents/tools/http',
    {
      config: { scopes: toolScopes.read },
      schema: { summary: "The org's HTTP tools", response: { 200: HttpToolList } },
    },
    async (request) => ({
      object: 'list' as const,
      data: (await httpToolsRepository.list(sql, request.identity.orgId)).map(toView),
    }),
  )

  app.get(
    '/v1/agents/tools/http/:id',
    {
      config: { scopes: toolScopes.read },
      schema: { summary: 'One HTTP tool', params: ToolIdParams, response: { 200: HttpToolView } },
    },
    async (request) => {
      const row = await httpToolsRepository.get(sql, request.identity.orgId, request.params.id)
      if (row === null) throw new toolErrors.HttpToolNotFound(request.params.id)
      return toView(row)
    },
  )

  app.delete(
    '/v1/agents/tools/http/:id',
    {
      config: { scopes: toolScopes.write },
      schema: { summary: 'Delete an HTTP tool', params: ToolIdParams, response: { 200: HttpToolDeleted } },
    },
    async (request) => {
      const { id } = request.params
      if (!(await httpToolsRepository.delete(sql, request.identity.orgId, id))) {
        throw new toolErrors.HttpToolNotFound(id)
      }
      return { id, object: 'agent.http_tool.deleted' as const, deleted: true as const }
    },
  )
}

function toView(row: HttpToolRow): HttpToolView {
  return {
    id: row.id,
    object: 'agent.http_tool',
    name: row.name,
    description: row.description,
    parameters: row.parameters,
    url: row.url,
    method: row.method,
    secret: row.secret,
    needs_approval: row.needs_approval,
    created_at: Math.floor(row.created_at.getTime() / 1000),
  }
}
