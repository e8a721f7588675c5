import type { RagClient } from '@switchyard/contracts'
import type { SqlQueryable } from '@switchyard/kit'
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import type { Agent } from 'undici'
import { calculatorTool } from './builtins/calculator.ts'
import { currentTimeTool } from './builtins/current-time.ts'
import { httpFetchTool } from './builtins/http-fetch.ts'
import { ragSearchTool } from './builtins/rag-search.ts'
import type { ToolsConfig } from './config.ts'
import { fetchAllowRepository } from './fetch-allow/repository.ts'
import { httpTool } from './http-tools/http-tool.ts'
import { httpToolsRepository } from './http-tools/repository.ts'
import { listMcpTools, type McpToolSpec, mcpTool } from './mcp/mcp-tools.ts'
import { mcpServersRepository } from './mcp/repository.ts'
import { createAddressPolicy } from './net/address-policy.ts'
import { createAllowList } from './net/allow-list.ts'
import { createGuardedAgent, type ResolveHost } from './net/guarded-agent.ts'
import { createSafeFetch, type SafeFetch } from './net/safe-fetch.ts'
import type { Tool, ToolSource } from './tool.ts'

export interface ToolsDeps {
  sql: SqlQueryable
  config: ToolsConfig
  rag: RagClient
  now: () => number
  logger: Logger
  /** Host names to addresses (default DNS); tests give a table. */
  resolve?: ResolveHost
}

/** Every tool of an org, and the MCP servers that could not be listed (their tools are left out). */
export interface ToolCatalog {
  tools: Array<Tool & { source: 'builtin' | 'http' | 'mcp' }>
  unavailable: { server: string; error: string }[]
}

/** The org's tools, the fetch they share, and what the routes need. */
export interface Tools {
  source: ToolSource
  catalog(orgId: string, signal: AbortSignal): Promise<ToolCatalog>
  /** The tools' one fetch: addresses checked on every connection, redirects re-checked. */
  fetch: SafeFetch
  dispatcher: Agent
  config: ToolsConfig
  sql: SqlQueryable
  close(): Promise<void>
}

/**
 * The ToolSource of the agent: built-ins (calculator, current_time, rag_search, http_fetch with
 * the org's allow-list), the org's HTTP tools and its MCP servers' tools, read per call so a new
 * tool is visible at once. An MCP server's list is kept for AGENT_MCP_TOOLS_TTL; one that does
 * not answer is left out (logged), never failing the others.
 */
export function createTools(deps: ToolsDeps): Tools {
  const { config, sql } = deps
  const dispatcher = createGuardedAgent({
    policy: createAddressPolicy(config.AGENT_TOOLS_TRUSTED_NETWORKS),
    ...(deps.resolve !== undefined && { resolve: deps.resolve }),
  })
  const fetch = createSafeFetch({
    dispatcher,
    maxBytes: config.AGENT_TOOLS_FETCH_MAX_BYTES,
    timeoutMs: config.AGENT_TOOLS_FETCH_TIMEOUT,
    maxRedirects: config.AGENT_TOOLS_FETCH_MAX_REDIRECTS,
  })
  const mcpOptions = { dispatcher, timeoutMs: config.AGENT_TOOLS_FETCH_TIMEOUT }
  const secrets = config.AGENT_TOOL_SECRETS
  const fixed = [calculatorTool(), currentTimeTool(deps.now), ragSearchTool(deps.rag)]
  // Rows never change (a server is deleted and added again), so the id keys its list.
  const mcpLists = new LRUCache<string, McpToolSpec[]>({
    max: 1000,
    ttl: Math.max(config.AGENT_MCP_TOOLS_TTL, 1),
    perf: { now: deps.now },
  })

  async function catalog(orgId: string, signal: AbortSignal): Promise<ToolCatalog> {
    const [allow, httpRows, servers] = await Promise.all([
      fetchAllowRepository.get(sql, orgId),
      httpToolsRepository.list(sql, orgId),
      mcpServersRepository.list(sql, orgId),
    ])
    const tools: ToolCatalog['tools'] = [
      ...[...fixed, httpFetchTool(fetch, createAllowList(allow))].map((t) => ({
        ...t,
        source: 'builtin' as const,
      })),
      ...httpRows.map((row) => ({ ...httpTool(row, fetch, secrets), source: 'http' as const })),
    ]
    const unavailable: ToolCatalog['unavailable'] = []
    const listed = await Promise.all(
      servers.map(async (row) => {
        const cached = mcpLists.get(row.id)
        if (cached !== undefined) return { row, specs: cached }
        try {
          const specs = await listMcpTools(row, secrets, mcpOptions, signal)
          mcpLists.set(row.id, specs)
          return { row, specs }
        } catch (error) {
          if (signal.aborted) throw error
          deps.logger.warn({ err: error, mcpServer: row.id }, 'an MCP server did not list its tools')
          unavailable.push({ server: row.name, error: (error as Error).message })
          return { row, specs: [] }
        }
      }),
    )
    for (const { row, specs } of listed) {
      tools.push(
        ...specs.map((spec) => ({ ...mcpTool(row, spec, secrets, mcpOptions), source: 'mcp' as const })),
      )
    }
    return { tools, unavailable }
  }

  return {
    source: { tools: async (orgId, signal) => (await catalog(orgId, signal)).tools },
    catalog,
    fetch,
    dispatcher,
    config,
    sql,
    close: () => dispatcher.close(),
  }
}
