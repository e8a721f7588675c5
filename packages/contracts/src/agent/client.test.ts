import { MockAgent } from 'undici'
import { expect, onTestFinished, test } from 'vitest'
import { createAgentClient } from './client.ts'
import { agentErrorCodes } from './errors.ts'
import type { AgentRunEvent, AgentRunView } from './runs.ts'

const origin = 'http://agent.internal'
const run: AgentRunView = {
  id: 'run_1',
  object: 'agent.run',
  agent_id: 'agent_1',
  thread_id: null,
  status: 'running',
  output: null,
  error: null,
  pending_approvals: [],
  usage: { input_tokens: 0, output_tokens: 0 },
}

function agent() {
  const mock = new MockAgent()
  mock.disableNetConnect()
  onTestFinished(() => mock.close())
  return { pool: mock.get(origin), client: createAgentClient({ dispatcher: mock, origin }) }
}

test("a run starts with the caller's token and body, and answers the run", async () => {
  const { pool, client } = agent()
  let sent: { auth: unknown; body: unknown } | undefined
  pool.intercept({ path: '/v1/agents/agent%2F1/runs', method: 'POST' }).reply((request) => {
    sent = {
      auth: (request.headers as Record<string, string>).authorization,
      body: JSON.parse(String(request.body)),
    }
    return { statusCode: 200, data: { ...run, created_at: 1, turns: 0 } }
  })
  const answer = await client.runAgent(
    'agent/1',
    { input: 'hi', thread_id: 'run_0', background: true },
    { token: 'tok' },
  )
  expect(answer.ok && answer.body.id).toBe('run_1')
  expect(sent).toEqual({ auth: 'Bearer tok', body: { input: 'hi', thread_id: 'run_0', background: true } })
})

test("another org's agent is agent's 404 with its code", async () => {
  const { pool, client } = agent()
  pool.intercept({ path: '/v1/agents/theirs', method: 'GET' }).reply(404, {
    error: {
      type: 'invalid_request_error',
      message: 'No such agent: theirs',
      code: agentErrorCodes.AgentNotFound,
    },
  })
  const answer = await client.getAgent('theirs', { token: 'tok' })
  expect(answer.ok).toBe(false)
  expect(!answer.ok && answer.error?.code).toBe(agentErrorCodes.AgentNotFound)
})

test('run events arrive parsed, with their sequence, after the one given', async () => {
  const { pool, client } = agent()
  let path: string | undefined
  const frames = [
    'id: run_1:3\nevent: tool.call\ndata: {"callId":"c1","name":"add"}\n\n',
    ': keep-alive\n\n',
    'id: run_1:4\nevent: message.delta\ndata: {"delta":"4"}\n\n',
  ].join('')
  pool.intercept({ path: /^\/v1\/runs\/run_1\/events/, method: 'GET' }).reply((request) => {
    path = request.path
    return {
      statusCode: 200,
      data: frames,
      responseOptions: { headers: { 'content-type': 'text/event-stream' } },
    }
  })
  const answer = await client.runEvents('run_1', 2, { token: 'tok' })
  if (!answer.ok) throw new Error(`status ${answer.status}`)
  const events: AgentRunEvent[] = []
  for await (const event of answer.body) events.push(event)
  expect(path).toBe(`/v1/runs/run_1/events?after=${encodeURIComponent('run_1:2')}`)
  expect(events).toEqual([
    { seq: 3, event: 'tool.call', data: { callId: 'c1', name: 'add' } },
    { seq: 4, event: 'message.delta', data: { delta: '4' } },
  ])
})

test('the events of a run the caller may not read are an error answer, not a stream', async () => {
  const { pool, client } = agent()
  pool.intercept({ path: '/v1/runs/run_x/events', method: 'GET' }).reply(404, {
    error: {
      type: 'invalid_request_error',
      message: 'No such run: run_x',
      code: agentErrorCodes.RunNotFound,
    },
  })
  const answer = await client.runEvents('run_x', 0, { token: 'tok' })
  expect(answer).toMatchObject({ ok: false, status: 404, error: { code: agentErrorCodes.RunNotFound } })
})
