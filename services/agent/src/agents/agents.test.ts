import { alice, bob, eve } from '@switchyard/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AgentUnderTest, startAgent, testTools } from '../test-support.ts'

let t: AgentUnderTest
const { source } = testTools()

// Starting the process (PGlite, migrations) is slow on a busy machine.
beforeAll(async () => {
  t = await startAgent({ tools: source })
}, 120_000)
afterAll(() => t.close())

const countAgents = async () => {
  const { rows } = await t.sql().query<{ n: string }>('SELECT count(*) AS n FROM agents')
  return Number(rows[0]?.n)
}

describe('agents API', () => {
  test('create, read by id and by name, list, change, delete', async () => {
    const created = await t.request(alice, 'POST', '/v1/agents', {
      name: 'math',
      description: 'Does sums',
      instructions: 'You add numbers.',
      tools: ['add'],
      limits: { max_turns: 4 },
      examples: ['what is 2 plus 2'],
    })
    expect(created.statusCode).toBe(200)
    const agent = created.json()
    expect(agent).toMatchObject({
      object: 'agent',
      name: 'math',
      instructions: { text: 'You add numbers.' },
      model: 'local',
      tools: ['add'],
      limits: { max_turns: 4, max_total_tokens: 100_000 },
      builtin: false,
    })
    expect((await t.request(alice, 'GET', `/v1/agents/${agent.id}`)).json().name).toBe('math')
    expect((await t.request(alice, 'GET', '/v1/agents/math')).json().id).toBe(agent.id)
    const list = (await t.request(alice, 'GET', '/v1/agents')).json()
    expect(list.data.map((a: { id: string }) => a.id)).toContain(agent.id)

    const changed = await t.request(alice, 'POST', `/v1/agents/${agent.id}`, {
      description: 'Adds',
      limits: { max_turns: 6 },
    })
    expect(changed.json()).toMatchObject({ description: 'Adds', limits: { max_turns: 6 }, tools: ['add'] })

    const again = await t.request(alice, 'POST', '/v1/agents', { name: 'math', instructions: 'x' })
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('AGENT_ERR_AGENT_EXISTS')

    expect((await t.request(alice, 'DELETE', `/v1/agents/${agent.id}`)).json()).toMatchObject({
      deleted: true,
    })
    expect((await t.request(alice, 'GET', `/v1/agents/${agent.id}`)).statusCode).toBe(404)
  })

  test.each([
    ['an unknown tool', { tools: ['add', 'rm_rf'] }, 'AGENT_ERR_UNKNOWN_TOOL', 'tools'],
    [
      'an output schema that does not compile',
      { output_schema: { type: 'nope' } },
      'AGENT_ERR_INVALID_SCHEMA',
      'output_schema',
    ],
    ['turns out of range', { limits: { max_turns: 0 } }, 'KIT_ERR_VALIDATION', undefined],
    ['wall time out of range', { limits: { max_wall_time_ms: 10 } }, 'KIT_ERR_VALIDATION', undefined],
    [
      'a bad prompt reference',
      { instructions: { prompt: 'Not A Ref' } },
      'AGENT_ERR_INVALID_REQUEST',
      'instructions',
    ],
  ])('%s is a 400 naming the field, and nothing is stored', async (_, extra, code, param) => {
    const before = await countAgents()
    const res = await t.request(alice, 'POST', '/v1/agents', { name: 'bad', instructions: 'x', ...extra })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe(code)
    if (param !== undefined) expect(res.json().error.param).toBe(param)
    expect(await countAgents()).toBe(before)
  })

  test("another org's agent is a 404 on every route, and stays as it was", async () => {
    const agent = (
      await t.request(alice, 'POST', '/v1/agents', { name: 'private', instructions: 'secret' })
    ).json()
    expect(eve.orgId).not.toBe(alice.orgId)
    for (const [method, url, body] of [
      ['GET', `/v1/agents/${agent.id}`],
      ['GET', '/v1/agents/private'],
      ['POST', `/v1/agents/${agent.id}`, { description: 'mine now' }],
      ['DELETE', `/v1/agents/${agent.id}`],
      ['POST', `/v1/agents/${agent.id}/runs`, { input: 'hi' }],
    ] as const) {
      const res = await t.request(eve, method, url, body)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json().error.code).toBe('AGENT_ERR_AGENT_NOT_FOUND')
    }
    expect((await t.request(eve, 'GET', '/v1/agents')).json().data).toEqual([])
    // Same org, another member: sees it.
    expect((await t.request(bob, 'GET', `/v1/agents/${agent.id}`)).statusCode).toBe(200)
    expect((await t.request(alice, 'GET', `/v1/agents/${agent.id}`)).json().description).toBe('')
  })
})
