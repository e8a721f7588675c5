// The tools' API on the agent as it starts (one process, its migrated database): validation,
// secrets by reference, tenancy, the allow-list, and MCP servers registered and listed.
import { alice, buildTestApp, eve, standIn } from '@switchyard/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { agentService } from '../service.ts'
import { testMcpServer } from './mcp/test-mcp-server.ts'

const weatherOrigin = 'https://weather.example'
const secretValue = 'sk-weather-never-shown'

async function agentApp() {
  const app = await buildTestApp({
    services: {
      agent: agentService,
      'llm-router': standIn('llm-router').service,
      rag: standIn('rag').service,
      admin: standIn('admin').service,
    },
    env: {
      AGENT_TOOL_SECRETS: JSON.stringify({
        weather: { value: secretValue, origins: [weatherOrigin], orgs: [alice.orgId] },
      }),
      // The test MCP servers listen here; 127.0.0.2 stays untrusted.
      AGENT_TOOLS_TRUSTED_NETWORKS: '127.0.0.1/32',
    },
  })
  const agent = app.app('agent')
  const as = async (identity = alice) => app.headers(identity)
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
    who = alice,
  ) => agent.inject({ method, url, headers: await as(who), ...(payload !== undefined && { payload }) })
  return { app, call }
}

const weatherTool = {
  name: 'weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  url: `${weatherOrigin}/v1/now`,
  method: 'GET',
  secret: { name: 'weather', prefix: 'Bearer ' },
  needs_approval: true,
}

let t: Awaited<ReturnType<typeof agentApp>>
// Starting the one-process agent (PGlite, migrations) takes seconds on a shared CPU.
beforeAll(async () => {
  t = await agentApp()
}, 120_000)
afterAll(() => t?.app.close())

describe('HTTP tools', () => {
  test.each([
    ['a type that does not exist', { type: 'object', properties: { city: { type: 'text' } } }],
    ['a misspelt keyword', { type: 'object', propertys: { city: { type: 'string' } } }],
    ['a $ref to nowhere', { type: 'object', properties: { city: { $ref: '#/$defs/missing' } } }],
  ])('parameters with %s are a 400 and store nothing', async (_, parameters) => {
    const res = await t.call('POST', '/v1/agents/tools/http', { ...weatherTool, parameters })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('AGENT_ERR_INVALID_SCHEMA')
    expect((await t.call('GET', '/v1/agents/tools/http')).json().data).toEqual([])
  })

  test.each([
    ['a secret the deployment does not have', { name: 'nope' }, 'no secret named nope'],
    ['a secret bound to another origin', { name: 'weather' }, 'may not be sent to https://evil.example'],
  ])('%s is a 400 and stores nothing', async (_, secret, message) => {
    const res = await t.call('POST', '/v1/agents/tools/http', {
      ...weatherTool,
      url: secret.name === 'weather' ? 'https://evil.example/collect' : weatherTool.url,
      secret,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'AGENT_ERR_INVALID_SECRET' })
    expect(res.json().error.message).toContain(message)
    expect((await t.call('GET', '/v1/agents/tools/http')).json().data).toEqual([])
  })

  test.each([
    ['a built-in name', { name: 'calculator' }, 409, 'AGENT_ERR_TOOL_EXISTS'],
    ['a name with the MCP separator', { name: 'a__b' }, 400, 'KIT_ERR_VALIDATION'],
    ['a URL with credentials', { url: 'https://user:pw@weather.example/' }, 400, 'KIT_ERR_VALIDATION'],
    ['a non-object schema', { parameters: { type: 'string' } }, 400, 'KIT_ERR_VALIDATION'],
  ])('%s is refused', async (_, change, status, code) => {
    const res = await t.call('POST', '/v1/agents/tools/http', { ...weatherTool, ...change })
    expect(res.statusCode).toBe(status)
    expect(res.json().error.code).toBe(code)
  })

  test("a tool is stored with its secret's name, never its value, and only its org sees it", async () => {
    const created = await t.call('POST', '/v1/agents/tools/http', weatherTool)
    expect(created.statusCode).toBe(200)
    const tool = created.json()
    expect(tool).toMatchObject({
      object: 'agent.http_tool',
      name: 'weather',
      method: 'GET',
      secret: { name: 'weather', header: 'authorization', prefix: 'Bearer ' },
      needs_approval: true,
    })
    expect(created.body).not.toContain(secretValue)

    const again = await t.call('POST', '/v1/agents/tools/http', weatherTool)
    expect(again.statusCode).toBe(409)

    const catalog = (await t.call('GET', '/v1/agents/tools')).json()
    expect(catalog.data.map((entry: { name: string }) => entry.name)).toEqual([
      'calculator',
      'current_time',
      'rag_search',
      'http_fetch',
      'weather',
    ])
    expect(catalog.data.at(-1)).toMatchObject({ source: 'http', needs_approval: true })
    expect(JSON.stringify(catalog)).not.toContain(secretValue)

    // Eve, in another org, finds nothing: not in lists, 404 by id, and cannot delete it.
    const path = `/v1/agents/tools/http/${tool.id}`
    expect((await t.call('GET', '/v1/agents/tools/http', undefined, eve)).json().data).toEqual([])
    expect((await t.call('GET', '/v1/agents/tools', undefined, eve)).json().data).toHaveLength(4)
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await t.call(method, path, undefined, eve)
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('AGENT_ERR_HTTP_TOOL_NOT_FOUND')
    }
    // Eve may not name alice's org's secret either.
    const stolen = await t.call('POST', '/v1/agents/tools/http', weatherTool, eve)
    expect(stolen.statusCode).toBe(400)
    expect(stolen.json().error.message).toContain('no secret named weather')

    expect((await t.call('GET', path)).json()).toEqual(tool)
    expect((await t.call('DELETE', path)).json()).toEqual({
      id: tool.id,
      object: 'agent.http_tool.deleted',
      deleted: true,
    })
    expect((await t.call('GET', path)).statusCode).toBe(404)
  })
})

describe("http_fetch's allow-list", () => {
  test('starts empty, takes entries per org, and refuses what is not an entry', async () => {
    const path = '/v1/agents/tools/http_fetch/allow_list'
    expect((await t.call('GET', path)).json()).toEqual({ object: 'agent.http_fetch.allow_list', entries: [] })
    const bad = await t.call('PUT', path, { entries: ['https://ok.example', 'ok.example/path'] })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('AGENT_ERR_INVALID_ALLOW_ENTRY')
    expect((await t.call('GET', path)).json().entries).toEqual([])

    const entries = ['https://docs.example', 'https://*.wiki.example']
    expect((await t.call('PUT', path, { entries })).json().entries).toEqual(entries)
    expect((await t.call('GET', path)).json().entries).toEqual(entries)
    expect((await t.call('GET', path, undefined, eve)).json().entries).toEqual([])
  })
})

describe('MCP servers', () => {
  test('a server on a network the operator trusts is registered, and its tools are listed', async () => {
    const server = await testMcpServer()
    const created = await t.call('POST', '/v1/agents/tools/mcp_servers', {
      name: 'calc',
      url: server.url,
      needs_approval: ['fail'],
    })
    expect(created.statusCode).toBe(200)
    expect(created.json()).toMatchObject({ object: 'agent.mcp_server', name: 'calc', url: server.url })
    const mcp = (await t.call('GET', '/v1/agents/tools'))
      .json()
      .data.filter((x: { source: string }) => x.source === 'mcp')
    expect(
      mcp.map((x: { name: string; needs_approval: boolean }) => [x.name, x.needs_approval]).sort(),
    ).toEqual([
      ['calc__add', false],
      ['calc__fail', true],
    ])
    const id = created.json().id
    expect((await t.call('GET', `/v1/agents/tools/mcp_servers/${id}`, undefined, eve)).statusCode).toBe(404)
    expect((await t.call('DELETE', `/v1/agents/tools/mcp_servers/${id}`, undefined, eve)).statusCode).toBe(
      404,
    )
    expect((await t.call('GET', '/v1/agents/tools/mcp_servers', undefined, eve)).json().data).toEqual([])
  })

  test('a server on a loopback address not trusted is refused, and nothing is stored', async () => {
    const server = await testMcpServer('127.0.0.2')
    const res = await t.call('POST', '/v1/agents/tools/mcp_servers', { name: 'loopy', url: server.url })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('AGENT_ERR_MCP_SERVER_UNREACHABLE')
    expect(res.json().error.message).toContain('loopback')
    expect(server.calls).toEqual([])
    const servers = (await t.call('GET', '/v1/agents/tools/mcp_servers')).json().data
    expect(servers.map((server: { name: string }) => server.name)).not.toContain('loopy')
  })
})
