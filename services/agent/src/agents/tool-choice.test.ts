import { alice } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AgentUnderTest, scriptRouter, startAgent, testTools } from '../test-support.ts'

let t: AgentUnderTest
const tools = testTools()

// Starting the process (PGlite, migrations) is slow on a busy machine.
beforeAll(async () => {
  t = await startAgent({ tools: tools.source })
}, 120_000)
afterAll(() => t.close())

const modelRequests = (from: number) =>
  t.router.received.slice(from).map((r) => JSON.parse(r.body) as { tool_choice?: unknown })

test('a named tool_choice forces the turn that answers the message; the turn after the result is auto', async () => {
  const created = await t.request(alice, 'POST', '/v1/agents', {
    name: 'forced-adder',
    instructions: 'You add.',
    tools: ['add', 'delete_everything'],
    tool_choice: 'add',
  })
  expect(created.statusCode).toBe(200)
  expect(created.json().tool_choice).toBe('add')
  scriptRouter(t.router, [{ toolCalls: [{ name: 'add', arguments: '{"a":4,"b":5}' }] }, { content: '9.' }])
  const before = t.router.received.length
  const run = (
    await t.request(alice, 'POST', `/v1/agents/${created.json().id}/runs`, { input: 'four and five?' })
  ).json()
  expect(run).toMatchObject({ status: 'succeeded', output: '9.' })
  const [first, second] = modelRequests(before)
  expect(first?.tool_choice).toEqual({ type: 'function', function: { name: 'add' } })
  expect(second).not.toHaveProperty('tool_choice')

  // `required` goes as it is; a change keeps what it does not name.
  const changed = await t.request(alice, 'POST', `/v1/agents/${created.json().id}`, {
    tool_choice: 'required',
  })
  expect(changed.json().tool_choice).toBe('required')
  const renamed = await t.request(alice, 'POST', `/v1/agents/${created.json().id}`, { description: 'Adds' })
  expect(renamed.json().tool_choice).toBe('required')
  scriptRouter(t.router, [{ toolCalls: [{ name: 'add', arguments: '{"a":1,"b":1}' }] }, { content: '2.' }])
  const next = t.router.received.length
  await t.request(alice, 'POST', `/v1/agents/${created.json().id}/runs`, { input: 'one and one?' })
  expect(modelRequests(next).map((r) => r.tool_choice)).toEqual(['required', undefined])
})

test('an agent that names no tool_choice leaves it to the model', async () => {
  const created = (
    await t.request(alice, 'POST', '/v1/agents', { name: 'free', instructions: 'x', tools: ['add'] })
  ).json()
  expect(created.tool_choice).toBe('auto')
  scriptRouter(t.router, [{ content: 'hi' }])
  const before = t.router.received.length
  await t.request(alice, 'POST', `/v1/agents/${created.id}/runs`, { input: 'hi' })
  expect(modelRequests(before)[0]).not.toHaveProperty('tool_choice')
})

test.each([
  ['a tool the agent does not have', { tools: ['add'], tool_choice: 'delete_everything' }],
  ['required without tools', { tool_choice: 'required' }],
])('tool_choice naming %s is a 400 on tool_choice, and nothing is stored', async (_, extra) => {
  const count = async () =>
    Number((await t.sql().query<{ n: string }>('SELECT count(*) AS n FROM agents')).rows[0]?.n)
  const before = await count()
  const res = await t.request(alice, 'POST', '/v1/agents', {
    name: 'bad-choice',
    instructions: 'x',
    ...extra,
  })
  expect(res.statusCode).toBe(400)
  expect(res.json().error).toMatchObject({ code: 'AGENT_ERR_INVALID_REQUEST', param: 'tool_choice' })
  expect(await count()).toBe(before)
})
