import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { createAdminClient, createLlmRouterClient, type Identity } from '@switchyard/contracts'
import { grantsScope, type ServicePlugin, workerTokenScopes } from '@switchyard/kit'
import OpenAI from 'openai'
import { loadBuiltinAgents } from './agents/builtin.ts'
import { createAgentCatalog } from './agents/catalog.ts'
import { agentRoutes } from './agents/routes.ts'
import type { AgentConfig } from './config.ts'
import type { AgentDeps } from './deps.ts'
import { agentErrors } from './errors.ts'
import { runsRepository } from './runs/repository.ts'
import { createRetention } from './runs/retention.ts'
import { runRoutes } from './runs/routes.ts'
import { Runner } from './runs/runner.ts'
import type { Supervisor } from './runs/supervisor-port.ts'
import { createRouterSupervisor } from './supervisor/port.ts'
import { registerTools } from './tools/register.ts'
import type { ToolSource } from './tools/tool.ts'

export interface AgentPluginOptions {
  /** Where the org's tools come from (default: built-ins, org HTTP tools and MCP servers). */
  tools?: ToolSource
  /** Routes `POST /v1/runs` (default: src/supervisor through the router; tests may pass their own). */
  supervisor?: Supervisor
}

/**
 * Agent: agents, runs and their tool loop. The database is migrated by the runtime before this
 * runs. Order: the stores, the runner (loops of this replica), retention, then the routes; on
 * close the runner stops its loops before the runtime closes the pool.
 */
export function createAgentPlugin(options: AgentPluginOptions = {}): ServicePlugin<AgentConfig> {
  return async (app, ctx) => {
    const { config, logger, bus, state, signer } = ctx
    if (ctx.sql === undefined) throw new agentErrors.NoSql()
    if (signer === undefined) throw new Error('agent needs ctx.signer: its definition sets signsWorkerTokens')
    const pool = ctx.sql
    // The org's tools and their routes, unless a test gives the loop tools of its own.
    const tools = options.tools ?? registerTools(app, ctx).source
    const builtins = loadBuiltinAgents(config.AGENT_BUILTIN_AGENTS_FILE, config.AGENT_DEFAULT_MODEL)
    const deps: AgentDeps = {
      config,
      pool,
      bus,
      state,
      logger,
      tools,
      builtins,
      catalog: createAgentCatalog(pool, builtins),
      now: ctx.now,
    }
    const router = createLlmRouterClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('llm-router') })
    // A worker token for the caller: a run outlives the request that started it. It carries what
    // the caller held of the worker scopes: llm:use for the model calls, files:read when they may
    // read files (rag_search), so rag's own checks see who asked and with what.
    const sign = (identity: Identity) =>
      signer.sign({
        ...identity,
        scopes: workerTokenScopes.filter((scope) => grantsScope(identity.scopes, scope)),
      })
    const llm = (token: string) =>
      new OpenAI({ apiKey: token, baseURL: router.baseURL, fetch: router.fetch, maxRetries: 0 })
    const repo = runsRepository(pool)
    const logLimits = { maxLen: config.AGENT_STREAM_MAX_EVENTS, ttlMs: config.AGENT_STREAM_TTL_MS }
    // Names this replica in the leases of the runs it runs.
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
    const runner = new Runner({
      repo,
      lease: () => ({ owner, expiresAt: ctx.now() + config.AGENT_RUN_LEASE }),
      leaseMs: config.AGENT_RUN_LEASE,
      logger,
      llm,
      sign,
      concurrency: config.AGENT_TOOL_CONCURRENCY,
      now: ctx.now,
      state,
      bus,
      tools,
      logLimits,
    })
    const retention = createRetention({
      repo,
      logger,
      retentionMs: config.AGENT_RUN_RETENTION,
      intervalMs: config.AGENT_RETENTION_INTERVAL,
      now: ctx.now,
    })

    agentRoutes(app, deps)
    runRoutes(app, {
      repo,
      catalog: deps.catalog,
      runner,
      supervisor: options.supervisor ?? createRouterSupervisor({ config, router }),
      admin: createAdminClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('admin') }),
      state,
      bus,
      logger,
      logLimits,
      sign,
      now: ctx.now,
    })

    app.addHook('onClose', async () => {
      retention.stop()
      await runner.close()
    })
  }
}

export const agentPlugin = createAgentPlugin()
