import type { KitServer } from '@switchyard/kit'
import { toolErrors } from '../errors.ts'
import { newId } from '../ids.ts'
import { Deleted, ToolIdParams } from '../schemas.ts'
import { toolScopes } from '../scopes.ts'
import { checkedSecretRef } from '../secrets.ts'
import type { Tools } from '../source.ts'
import { listMcpTools } from './mcp-tools.ts'
import { type McpServerRow, mcpServersRepository } from './repository.ts'
import { McpServerList, McpServerView, NewMcpServer } from './schemas.ts'

const McpServerDeleted = Deleted('agent.mcp_server.deleted')

export function mcpServerRoutes(app: KitServer, tools: Tools): void {
  const { sql, config } = tools

  app.post(
    '/v1/agents/tools/mcp_servers',
    {
      config: { scopes: toolScopes.write },
      schema: {
        summary: 'Register an MCP server (streamable HTTP); its tools are listed first',
        body: NewMcpServer,
        response: { 200: McpServerView },
      },
    },
    async (request) => {
      const { orgId, userId } = request.identity
      const body = request.body
      const row: Omit<McpServerRow, 'created_at'> = {
        id: newId('mcpServer'),
        org_id: orgId,
        created_by: userId,
        name: body.name,
        url: body.url,
        secret: checkedSecretRef(config.AGENT_TOOL_SECRETS, body.secret, orgId, body.url),
        needs_approval: body.needs_approval ?? false,
      }
      // Listing proves the URL is an MCP server tools may reach (the address rules apply here
      // too) before anything is stored.
      try {
        await listMcpTools(
          { ...row, created_at: new Date() },
          config.AGENT_TOOL_SECRETS,
          { dispatcher: tools.dispatcher, timeoutMs: config.AGENT_TOOLS_FETCH_TIMEOUT },
          AbortSignal.timeout(config.AGENT_TOOLS_FETCH_TIMEOUT),
        )
      } catch (error) {
        const cause = (error as Error).cause
        throw new toolErrors.McpServerUnreachable(
          body.url,
          cause instanceof Error ? cause.message : (error as Error).message,
        )
      }
      const saved = await mcpServersRepository.insert(sql, row)
      if (saved === null) throw new toolErrors.ToolExists(body.name)
      return toView(saved)
    },
  )

  app.get(
    '/v1/agents/tools/mcp_servers',
    {
      config: { scopes: toolScopes.read },
      schema: { summary: "The org's MCP servers", response: { 200: McpServerList } },
    },
    async (request) => ({
      object: 'list' as const,
      data: (await mcpServersRepository.list(sql, request.identity.orgId)).map(toView),
    }),
  )

  app.get(
    '/v1/agents/tools/mcp_servers/:id',
    {
      config: { scopes: toolScopes.read },
      schema: { summary: 'One MCP server', params: ToolIdParams, response: { 200: McpServerView } },
    },
    async (request) => {
      const row = await mcpServersRepository.get(sql, request.identity.orgId, request.params.id)
      if (row === null) throw new toolErrors.McpServerNotFound(request.params.id)
      return toView(row)
    },
  )

  app.delete(
    '/v1/agents/tools/mcp_servers/:id',
    {
      config: { scopes: toolScopes.write },
      schema: { summary: 'Remove an MCP server', params: ToolIdParams, response: { 200: McpServerDeleted } },
    },
    async (request) => {
      const { id } = request.params
      if (!(await mcpServersRepository.delete(sql, request.identity.orgId, id))) {
        throw new toolErrors.McpServerNotFound(id)
      }
      return { id, object: 'agent.mcp_server.deleted' as const, deleted: true as const }
    },
  )
}

function toView(row: McpServerRow): McpServerView {
  return {
    id: row.id,
    object: 'agent.mcp_server',
    name: row.name,
    url: row.url,
    secret: row.secret,
    needs_approval: row.needs_approval,
    created_at: Math.floor(row.created_at.getTime() / 1000),
  }
}
