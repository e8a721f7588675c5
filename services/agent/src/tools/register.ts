import { createRagClient } from '@switchyard/contracts'
import type { KitServer, ServiceContext } from '@switchyard/kit'
import type { ToolsConfig } from './config.ts'
import { toolRoutes } from './routes.ts'
import { createTools, type Tools } from './source.ts'

/**
 * The tools for the agent's plugin: builds them over the service's SQL and rag's client,
 * registers `/v1/agents/tools*`, and closes their connections with the app. The loop takes
 * `tools.source`.
 */
export function registerTools(app: KitServer, ctx: ServiceContext<ToolsConfig>): Tools {
  if (ctx.sql === undefined) throw new Error('the tools need the SQL pool (agent lists sql in its needs)')
  const tools = createTools({
    sql: ctx.sql,
    config: ctx.config,
    rag: createRagClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('rag') }),
    now: ctx.now,
    logger: ctx.logger,
  })
  toolRoutes(app, tools)
  app.addHook('onClose', () => tools.close())
  return tools
}
