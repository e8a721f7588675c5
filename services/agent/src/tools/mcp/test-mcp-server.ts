import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { onTestFinished } from 'vitest'
import { z } from 'zod'

/** A call a test MCP server ran: the tool, its arguments, the headers of its request. */
export interface McpCall {
  tool: string
  args: unknown
  headers: IncomingHttpHeaders
}

/**
 * A real MCP server from the SDK, streamable HTTP on a loopback address (stateless: a server and
 * transport per request, as the SDK's example does), with tools `add` (a + b) and `fail` (an
 * error result). Records every tool call; closed when the test ends.
 */
export async function testMcpServer(host = '127.0.0.1'): Promise<{ url: string; calls: McpCall[] }> {
  const calls: McpCall[] = []
  const http = createServer(async (req, res) => {
    const mcp = new McpServer({ name: 'test-tools', version: '1.0.0' })
    mcp.registerTool(
      'add',
      { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
      async ({ a, b }) => {
        calls.push({ tool: 'add', args: { a, b }, headers: req.headers })
        return { content: [{ type: 'text', text: String(a + b) }] }
      },
    )
    mcp.registerTool('fail', { description: 'Always fails', inputSchema: {} }, async () => {
      calls.push({ tool: 'fail', args: {}, headers: req.headers })
      return { isError: true, content: [{ type: 'text', text: 'the fail tool failed, as asked' }] }
    })
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    res.on('close', () => {
      void transport.close()
      void mcp.close()
    })
    await mcp.connect(transport)
    await transport.handleRequest(req, res)
  })
  await new Promise<void>((resolve) => http.listen(0, host, resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  )
  return { url: `http://${host}:${(http.address() as AddressInfo).port}/mcp`, calls }
}
