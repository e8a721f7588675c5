import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { type Dispatcher, fetch as undiciFetch } from 'undici'

export interface McpConnection {
  url: string
  /** Headers every request carries (a secret's). */
  headers: Record<string, string>
}

export interface McpClientOptions {
  /** The guarded Agent: every connection the transport opens, redirects included, is checked. */
  dispatcher: Dispatcher
  /** One MCP request, in milliseconds. */
  timeoutMs: number
}

/**
 * Runs `use` with a client connected to an MCP server over streamable HTTP, then ends the session
 * (a DELETE, so the server frees it) and closes. A connection per use keeps replicas stateless:
 * any replica can list or call any server's tools.
 */
export async function withMcpClient<T>(
  server: McpConnection,
  options: McpClientOptions,
  signal: AbortSignal,
  use: (client: Client, request: { signal: AbortSignal; timeout: number }) => Promise<T>,
): Promise<T> {
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    fetch: (url, init) =>
      undiciFetch(url, {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher: options.dispatcher,
      }) as never,
    requestInit: { headers: server.headers },
  })
  const client = new Client({ name: 'switchyard-agent', version: '0.1.0' })
  const request = { signal, timeout: options.timeoutMs }
  await client.connect(transport, request)
  try {
    return await use(client, request)
  } finally {
    await transport.terminateSession().catch(() => {})
    await client.close()
  }
}
