import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { AddressRefusedError } from '../net/guarded-agent.ts'
import { type Secrets, secretHeader } from '../secrets.ts'
import { type Tool, ToolError } from '../tool.ts'
import { type McpClientOptions, withMcpClient } from './mcp-client.ts'
import type { McpServerRow } from './repository.ts'

/** Pages of `tools/list` read from one server at most (a server that never stops paging). */
const maxPages = 10

/** A tool as its server lists it. */
export interface McpToolSpec {
  name: string
  description?: string | undefined
  inputSchema: Record<string, unknown>
}

/** `<server>__<tool>`, made to fit OpenAI's function names (64 of [a-zA-Z0-9_-]). */
export function prefixedName(server: string, tool: string): string {
  return `${server}__${tool.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64)
}

function connection(row: McpServerRow, secrets: Secrets) {
  const url = new URL(row.url)
  return {
    url: row.url,
    headers: row.secret === null ? {} : secretHeader(secrets, row.secret, row.org_id, url),
  }
}

/** The tools a server lists now. */
export async function listMcpTools(
  row: McpServerRow,
  secrets: Secrets,
  options: McpClientOptions,
  signal: AbortSignal,
): Promise<McpToolSpec[]> {
  return withMcpClient(connection(row, secrets), options, signal, async (client, request) => {
    const tools: McpToolSpec[] = []
    let cursor: string | undefined
    for (let page = 0; page < maxPages; page++) {
      const answer = await client.listTools(cursor === undefined ? {} : { cursor }, request)
      tools.push(...answer.tools)
      cursor = answer.nextCursor
      if (cursor === undefined) break
    }
    return tools
  })
}

/** One of a server's tools as a Tool: each call connects, calls it by its own name, and closes. */
export function mcpTool(
  row: McpServerRow,
  spec: McpToolSpec,
  secrets: Secrets,
  options: McpClientOptions,
): Tool {
  const approval = row.needs_approval
  return {
    name: prefixedName(row.name, spec.name),
    description: spec.description ?? `${spec.name} (MCP server ${row.name})`,
    parameters: spec.inputSchema,
    needsApproval: Array.isArray(approval) ? approval.includes(spec.name) : approval,
    async call(args, ctx) {
      let result: Awaited<ReturnType<Client['callTool']>>
      try {
        result = await withMcpClient(connection(row, secrets), options, ctx.signal, (client, request) =>
          client.callTool(
            { name: spec.name, arguments: (args ?? {}) as Record<string, unknown> },
            undefined,
            request,
          ),
        )
      } catch (error) {
        if (ctx.signal.aborted || error instanceof ToolError) throw error
        const refused =
          error instanceof AddressRefusedError || (error as Error).cause instanceof AddressRefusedError
        throw new ToolError(`${refused ? 'refused' : 'MCP call failed'}: ${(error as Error).message}`)
      }
      const content = Array.isArray(result.content) ? result.content : []
      const text = content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n')
      if (result.isError === true) throw new ToolError(text || `${spec.name} failed`)
      if (result.structuredContent !== undefined) return result.structuredContent
      // Text parts as text; anything else (images, resources) as the server sent it.
      return content.every((part) => part.type === 'text') ? text : content
    },
  }
}
