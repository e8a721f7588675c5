// The tools' tables on a real PostgreSQL, migrated by the runtime's own `migrate`, in a database
// of their own: every repository filters on the org, and the ToolSource merges built-ins, an HTTP
// tool and a real MCP server's tools (must-show 6 through the source) for one org only.
import { loadConfig } from '@switchyard/config'
import { createRagClient } from '@switchyard/contracts'
import { migrate } from '@switchyard/runtime'
import { createScratchDatabase } from '@switchyard/testing'
import { pino } from 'pino'
import { MockAgent } from 'undici'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { agentService } from '../service.ts'
import { callContext } from './builtins/test-context.ts'
import { ToolsConfig } from './config.ts'
import { fetchAllowRepository } from './fetch-allow/repository.ts'
import { httpToolsRepository } from './http-tools/repository.ts'
import { newId } from './ids.ts'
import { mcpServersRepository } from './mcp/repository.ts'
import { testMcpServer } from './mcp/test-mcp-server.ts'
import { localServer } from './net/local-server.ts'
import { createTools } from './source.ts'

const database = await createScratchDatabase('agent_tools')
afterAll(() => database.drop())
const { pool } = database
const orgA = 'org_a'
const orgB = 'org_b'

beforeAll(async () => {
  await migrate(pool, [agentService])
})

const httpRow = (orgId: string, name: string, url = 'https://example.com/x') => ({
  id: newId('httpTool'),
  org_id: orgId,
  created_by: 'user_1',
  name,
  description: `${name} tool`,
  parameters: { type: 'object', properties: { q: { type: 'string' } } },
  url,
  method: 'POST' as const,
  secret: null,
  needs_approval: false,
})

test("every repository reads and changes its own org's rows only", async () => {
  const a = await httpToolsRepository.insert(pool, httpRow(orgA, 'lookup'))
  const b = await httpToolsRepository.insert(pool, httpRow(orgB, 'lookup'))
  expect(a?.name).toBe('lookup')
  expect(b?.org_id).toBe(orgB)
  // The same name again in the same org is refused; in another org it was fine.
  expect(await httpToolsRepository.insert(pool, httpRow(orgA, 'lookup'))).toBeNull()

  expect((await httpToolsRepository.list(pool, orgA)).map((row) => row.id)).toEqual([a?.id])
  expect(await httpToolsRepository.get(pool, orgB, a?.id as string)).toBeNull()
  expect(await httpToolsRepository.delete(pool, orgB, a?.id as string)).toBe(false)
  expect(await httpToolsRepository.get(pool, orgA, a?.id as string)).toMatchObject({
    parameters: httpRow(orgA, 'x').parameters,
  })
  expect(await httpToolsRepository.delete(pool, orgA, a?.id as string)).toBe(true)
  expect(await httpToolsRepository.delete(pool, orgB, b?.id as string)).toBe(true)

  const server = {
    id: newId('mcpServer'),
    org_id: orgA,
    created_by: 'user_1',
    name: 'srv',
    url: 'https://mcp.example/mcp',
    secret: { name: 's', header: 'x-key', prefix: '' },
    needs_approval: ['danger'],
  }
  await mcpServersRepository.insert(pool, server)
  expect(await mcpServersRepository.list(pool, orgB)).toEqual([])
  expect(await mcpServersRepository.get(pool, orgB, server.id)).toBeNull()
  expect(await mcpServersRepository.delete(pool, orgB, server.id)).toBe(false)
  expect(await mcpServersRepository.get(pool, orgA, server.id)).toMatchObject({
    secret: server.secret,
    needs_approval: ['danger'],
  })
  expect(await mcpServersRepository.delete(pool, orgA, server.id)).toBe(true)

  await fetchAllowRepository.put(pool, orgA, ['https://a.example'], 'user_1')
  await fetchAllowRepository.put(pool, orgA, ['https://b.example'], 'user_1')
  expect(await fetchAllowRepository.get(pool, orgA)).toEqual(['https://b.example'])
  expect(await fetchAllowRepository.get(pool, orgB)).toEqual([])
})

test("the source merges built-ins, the org's HTTP tools and its MCP servers' tools, and calls them", async () => {
  const mcp = await testMcpServer()
  const endpoint = await localServer('127.0.0.1', (hit, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ echo: JSON.parse(hit.body) }))
  })
  const rag = new MockAgent()
  rag.disableNetConnect()
  afterAll(() => rag.close())
  const config = loadConfig(ToolsConfig, {
    AGENT_TOOLS_TRUSTED_NETWORKS: '127.0.0.1/32',
    AGENT_TOOL_SECRETS: JSON.stringify({
      echo: { value: 'k-123', origins: [endpoint.origin], orgs: [orgA] },
    }),
  })
  const tools = createTools({
    sql: pool,
    config,
    rag: createRagClient({ dispatcher: rag, origin: 'http://rag.internal' }),
    now: () => 0,
    logger: pino({ level: 'silent' }),
  })
  afterAll(() => tools.close())

  await httpToolsRepository.insert(pool, {
    ...httpRow(orgA, 'echo', `${endpoint.origin}/echo`),
    secret: { name: 'echo', header: 'x-api-key', prefix: '' },
    needs_approval: true,
  })
  await mcpServersRepository.insert(pool, {
    id: newId('mcpServer'),
    org_id: orgA,
    created_by: 'user_1',
    name: 'calc',
    url: mcp.url,
    secret: null,
    needs_approval: false,
  })

  const signal = AbortSignal.timeout(30_000)
  const mine = await tools.source.tools(orgA, signal)
  expect(mine.map((tool) => tool.name).sort()).toEqual(
    ['calc__add', 'calc__fail', 'calculator', 'current_time', 'echo', 'http_fetch', 'rag_search'].sort(),
  )
  const theirs = await tools.source.tools(orgB, signal)
  expect(theirs.map((tool) => tool.name).sort()).toEqual([
    'calculator',
    'current_time',
    'http_fetch',
    'rag_search',
  ])

  const byName = new Map(mine.map((tool) => [tool.name, tool]))
  expect(await byName.get('calc__add')?.call({ a: 19, b: 23 }, callContext())).toBe(String(19 + 23))
  expect(mcp.calls.map((call) => call.tool)).toEqual(['add'])

  const echo = byName.get('echo')
  expect(echo?.needsApproval).toBe(true)
  expect(await echo?.call({ q: 'hi' }, callContext())).toEqual({ echo: { q: 'hi' } })
  expect(endpoint.hits[0]?.headers['x-api-key']).toBe('k-123')
})
