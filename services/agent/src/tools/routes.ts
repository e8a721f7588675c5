import type { KitServer } from '@switchyard/kit'
import { fetchAllowRoutes } from './fetch-allow/routes.ts'
import { httpToolRoutes } from './http-tools/routes.ts'
import { mcpServerRoutes } from './mcp/routes.ts'
import { ToolList } from './schemas.ts'
import { toolScopes } from './scopes.ts'
import type { Tools } from './source.ts'

/**
 * The tools' API under `/v1/agents/tools` (the gateway routes `/v1/agents*` to the agent): the
 * org's catalog, its HTTP tools, MCP servers and http_fetch allow-list.
 */
export function toolRoutes(app: KitServer, tools: Tools): void {
  app.get(
    '/v1/agents/tools',
    {
      config: { scopes: toolScopes.read },
      schema: { summary: "The org's tools: what an agent may name", response: { 200: ToolList } },
    },
    async (request) => {
      const signal = AbortSignal.timeout(tools.config.AGENT_TOOLS_FETCH_TIMEOUT)
      const { tools: list, unavailable } = await tools.catalog(request.identity.orgId, signal)
      return {
        object: 'list' as const,
        data: list.map((tool) => ({
          name: tool.name,
          description: tool.description,
          parameters: tool.parameters,
          needs_approval: tool.needsApproval === true,
          source: tool.source,
        })),
        unavailable,
      }
    },
  )
  httpToolRoutes(app, tools)
  mcpServerRoutes(app, tools)
  fetchAllowRoutes(app, tools)
}
