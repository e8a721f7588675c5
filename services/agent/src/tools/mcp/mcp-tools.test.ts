// Must-show 6, the tool's half: a real MCP server from the SDK (streamable HTTP on 127.0.0.1)
// lists its tools and runs them through our client. The source and the API use these.
import { expect, test } from 'vitest'
import { callContext } from '../builtins/test-context.ts'
import { createAddressPolicy } from '../net/address-policy.ts'
import { createGuardedAgent } from '../net/guarded-agent.ts'
import { ToolError } from '../tool.ts'
import { listMcpTools, mcpTool, prefixedName } from './mcp-tools.ts'
import type { McpServerRow } from './repository.ts'
import { testMcpServer } from './test-mcp-server.ts'

const trusting = {
  dispatcher: createGuardedAgent({ policy: createAddressPolicy(['127.0.0.1/32']) }),
  timeoutMs: 10_000,
}

function row(url: string, over: Partial<McpServerRow> = {}): McpServerRow {
  return {
    id: 'mcp_1',
    org_id: 'org_a',
    created_by: 'user_alice',
    name: 'calc',
    url,
    secret: null,
    needs_approval: false,
    created_at: new Date(0),
    ...over,
  }
}

test("a server's tools are listed with their schemas, and called under the server's prefix", async () => {
  const server = await testMcpServer()
  const specs = await listMcpTools(row(server.url), {}, trusting, AbortSignal.timeout(10_000))
  expect(specs.map((spec) => spec.name).sort()).toEqual(['add', 'fail'])
  const add = specs.find((spec) => spec.name === 'add')
  expect(add?.inputSchema).toMatchObject({ type: 'object', properties: { a: { type: 'number' } } })

  const tool = mcpTool(
    row(server.url, { needs_approval: ['fail'] }),
    add as NonNullable<typeof add>,
    {},
    trusting,
  )
  expect(tool.name).toBe('calc__add')
  expect(tool.needsApproval).toBe(false)
  expect(await tool.call({ a: 2, b: 40 }, callContext())).toBe(String(2 + 40))
  expect(server.calls.map((call) => [call.tool, call.args])).toEqual([['add', { a: 2, b: 40 }]])
})

test("an error result is a tool error with the server's text", async () => {
  const server = await testMcpServer()
  const specs = await listMcpTools(row(server.url), {}, trusting, AbortSignal.timeout(10_000))
  const fail = specs.find((spec) => spec.name === 'fail') as (typeof specs)[number]
  const tool = mcpTool(row(server.url, { needs_approval: ['fail'] }), fail, {}, trusting)
  expect(tool.needsApproval).toBe(true)
  const error = await tool.call({}, callContext()).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ToolError)
  expect((error as Error).message).toBe('the fail tool failed, as asked')
})

test("the server's secret goes in its header, on every request", async () => {
  const server = await testMcpServer()
  const secrets = { calc: { value: 'mcp-s3cret', origins: [new URL(server.url).origin], orgs: ['org_a'] } }
  const withSecret = row(server.url, { secret: { name: 'calc', header: 'authorization', prefix: 'Bearer ' } })
  const [spec] = (await listMcpTools(withSecret, secrets, trusting, AbortSignal.timeout(10_000))).filter(
    (s) => s.name === 'add',
  )
  await mcpTool(withSecret, spec as NonNullable<typeof spec>, secrets, trusting).call(
    { a: 1, b: 1 },
    callContext(),
  )
  expect(server.calls[0]?.headers.authorization).toBe('Bearer mcp-s3cret')
})

test('a server on a loopback address nobody trusts is refused before any request', async () => {
  const server = await testMcpServer()
  const strict = { dispatcher: createGuardedAgent({ policy: createAddressPolicy() }), timeoutMs: 10_000 }
  await expect(listMcpTools(row(server.url), {}, strict, AbortSignal.timeout(10_000))).rejects.toThrow()
  expect(server.calls).toEqual([])
})

test.each([
  ['calc', 'add', 'calc__add'],
  ['srv', 'ns.tool/x', 'srv__ns_tool_x'],
  ['s', 'x'.repeat(80), `s__${'x'.repeat(61)}`],
])('%s + %s is named %s', (server, tool, name) => {
  expect(prefixedName(server, tool)).toBe(name)
})
