import { agentRunsV1 } from '@switchyard/contracts'
import { alice, eve, recordEvents, session } from '@switchyard/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AgentUnderTest, scriptRouter, sseFrames, startAgent, testTools } from '../test-support.ts'

let t: AgentUnderTest
const tools = testTools()

// Starting the process (PGlite, migrations) is slow on a busy machine.
beforeAll(async () => {
  t = await startAgent({ tools: tools.source })
}, 120_000)
afterAll(() => t.close())

const createAgent = async (name: string, extra: Record<string, unknown> = {}) => {
  const res = await t.request(alice, 'POST', '/v1/agents', {
    name,
    instructions: 'You are careful.',
    tools: ['add', 'delete_everything'],
    ...extra,
  })
  expect(res.statusCode).toBe(200)
  return res.json() as { id: string }
}

describe('the tool loop', () => {
  test('a tool call runs with the caller identity, its result goes back, the answer streams and is stored', async () => {
    const agent = await createAgent('adder')
    scriptRouter(t.router, [
      { toolCalls: [{ name: 'add', arguments: '{"a":2,"b":3}' }] },
      { content: 'It is 5.' },
    ])
    tools.calls.length = 0
    const published = await recordEvents(t.peer.context().bus, agentRunsV1)
    const res = await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, {
      input: 'what is 2+3?',
      stream: true,
    })
    expect(res.statusCode).toBe(200)
    const events = sseFrames(res.body)
    expect(events.map((e) => e.event)).toEqual([
      'run.start',
      'step',
      'tool.call',
      'tool.result',
      'step',
      'message.delta',
      'message.delta',
      'step',
      'usage',
      'done',
    ])
    expect(events.find((e) => e.event === 'tool.result')?.data).toMatchObject({
      name: 'add',
      ok: true,
      content: '5',
    })
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded', output: 'It is 5.' })
    // Ids are `<runId>:<seq>`, consecutive.
    const runId = events[0]?.data.runId as string
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `${runId}:${i + 1}`))

    // The tool saw who asked, with a worker token for them.
    expect(tools.calls).toHaveLength(1)
    expect(tools.calls[0]?.identity).toMatchObject({ orgId: alice.orgId, userId: alice.userId })
    // Both model calls carried alice's identity with what she holds of the worker scopes: a
    // member may spend and read files, and nothing more goes into a worker token.
    const modelCalls = t.router.received.slice(-2)
    for (const call of modelCalls)
      expect(call.identity).toMatchObject({ orgId: alice.orgId, scopes: ['llm:use', 'files:read'] })
    const second = JSON.parse(modelCalls[1]?.body ?? '{}')
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', content: '5' })
    expect(second.tools.map((x: { function: { name: string } }) => x.function.name)).toEqual([
      'add',
      'delete_everything',
    ])

    const stored = (await t.request(alice, 'GET', `/v1/runs/${runId}`)).json()
    expect(stored).toMatchObject({ status: 'succeeded', output: 'It is 5.', turns: 2 })
    // agent.runs.v1: started, then finished (metadata only).
    await expect
      .poll(() => published.filter((e) => e.data.runId === runId).map((e) => e.data.status))
      .toEqual(['running', 'succeeded'])
    expect(
      published.find((e) => e.data.runId === runId && e.data.status === 'succeeded')?.data,
    ).toMatchObject({
      orgId: alice.orgId,
      agentId: agent.id,
      steps: 2,
      errorCode: null,
      usage: { inputTokens: 2 + 4, outputTokens: 5 + 5, totalTokens: 16 },
    })
    // Only a run's last event carries usage: summing them counts each run once.
    expect(published.find((e) => e.data.runId === runId && e.data.status === 'running')?.data.usage).toBe(
      undefined,
    )
    expect(stored.steps.map((s: { type: string }) => s.type)).toEqual(['model', 'tool', 'model'])
    // Usage: the script reports prompt = messages sent (2, then 4), completion 5 per turn.
    expect(stored.usage).toEqual({ input_tokens: 2 + 4, output_tokens: 5 + 5, total_tokens: 16 })

    // A late reader resumes after the id it saw.
    const resumed = await t.request(alice, 'GET', `/v1/runs/${runId}/events?after=${runId}:8`)
    expect(sseFrames(resumed.body).map((e) => e.event)).toEqual(['usage', 'done'])
  })

  test('bad arguments go back to the model as a tool error, count as a turn, and the turn limit ends the run', async () => {
    const agent = await createAgent('stubborn', { limits: { max_turns: 3 } })
    scriptRouter(t.router, [{ toolCalls: [{ name: 'add', arguments: '{"a":"two"}' }] }])
    tools.calls.length = 0
    const published = await recordEvents(t.peer.context().bus, agentRunsV1, 'test.record.failed')
    const run = (await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'add' })).json()
    // Turn 1 (model) + 1 (bad call) + turn 3 (model) = 3: the limit.
    expect(run).toMatchObject({ status: 'failed', error: { code: 'AGENT_RUN_TURN_LIMIT' } })
    expect(tools.calls).toHaveLength(0)
    const stored = (await t.request(alice, 'GET', `/v1/runs/${run.id}`)).json()
    const toolStep = stored.steps.find((s: { type: string }) => s.type === 'tool')
    expect(toolStep.data).toMatchObject({ ok: false })
    expect(toolStep.data.content).toMatch(/Invalid arguments/)
    // A failed run's last event carries what it spent: two model turns of the script (2 and 4 messages).
    await expect
      .poll(() => published.find((e) => e.data.runId === run.id && e.data.status === 'failed')?.data.usage)
      .toEqual({ inputTokens: 2 + 4, outputTokens: 10, totalTokens: 16 })
  })

  test('a tool that needs approval pauses the run; an approval with edited arguments resumes it once', async () => {
    const agent = await createAgent('janitor')
    scriptRouter(t.router, [
      { toolCalls: [{ name: 'delete_everything', arguments: '{"what":"prod"}' }] },
      { content: 'Done.' },
    ])
    tools.calls.length = 0
    const paused = (
      await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'clean up' })
    ).json()
    expect(paused).toMatchObject({ status: 'awaiting_approval' })
    expect(paused.pending_approvals).toEqual([
      { call_id: expect.any(String), name: 'delete_everything', arguments: '{"what":"prod"}' },
    ])
    expect(tools.calls).toHaveLength(0)
    const callId = paused.pending_approvals[0].call_id

    // Another org cannot see or decide it.
    const foreign = await t.request(eve, 'POST', `/v1/runs/${paused.id}/approvals/${callId}`, {
      decision: 'approve',
    })
    expect(foreign.statusCode).toBe(404)

    const approved = await t.request(alice, 'POST', `/v1/runs/${paused.id}/approvals/${callId}`, {
      decision: 'approve',
      arguments: { what: 'staging' },
    })
    expect(approved.statusCode).toBe(200)
    const twice = await t.request(alice, 'POST', `/v1/runs/${paused.id}/approvals/${callId}`, {
      decision: 'approve',
    })
    expect(twice.statusCode).toBe(404)

    const events = await t.request(alice, 'GET', `/v1/runs/${paused.id}/events`)
    expect(sseFrames(events.body).at(-1)?.data).toMatchObject({ status: 'succeeded', output: 'Done.' })
    expect(tools.calls.map((c) => c.args)).toEqual([{ what: 'staging' }])
  })

  test('a rejected call tells the model why and the run goes on', async () => {
    const agent = await createAgent('careful')
    scriptRouter(t.router, [
      { toolCalls: [{ name: 'delete_everything', arguments: '{"what":"prod"}' }] },
      { content: 'Understood.' },
    ])
    tools.calls.length = 0
    const paused = (
      await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'clean up' })
    ).json()
    const callId = paused.pending_approvals[0].call_id
    await t.request(alice, 'POST', `/v1/runs/${paused.id}/approvals/${callId}`, {
      decision: 'reject',
      reason: 'not today',
    })
    await t.request(alice, 'GET', `/v1/runs/${paused.id}/events`)
    const stored = (await t.request(alice, 'GET', `/v1/runs/${paused.id}`)).json()
    expect(stored.status).toBe('succeeded')
    expect(tools.calls).toHaveLength(0)
    const lastModelCall = JSON.parse(t.router.received.at(-1)?.body ?? '{}')
    expect(lastModelCall.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: 'A human rejected this call: not today',
    })
  })

  test('a cancel stops the model call in flight and the run is stored as cancelled', async () => {
    const agent = await createAgent('slow')
    scriptRouter(t.router, [{ hang: true }])
    const published = await recordEvents(t.peer.context().bus, agentRunsV1, 'test.record.cancelled')
    const run = (
      await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'think', background: true })
    ).json()
    expect(run.status).toBe('running')
    expect((await t.request(eve, 'POST', `/v1/runs/${run.id}/cancel`)).statusCode).toBe(404)
    const cancelled = await t.request(alice, 'POST', `/v1/runs/${run.id}/cancel`)
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' })
    const events = sseFrames((await t.request(alice, 'GET', `/v1/runs/${run.id}/events`)).body)
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'cancelled' } })
    // Cancelled in its first model call: it spent nothing the router reported.
    await expect
      .poll(() => published.find((e) => e.data.runId === run.id && e.data.status === 'cancelled')?.data.usage)
      .toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 })
  })

  test("runs are the org's own: list and read are 404 or empty for another org", async () => {
    const mine = (await t.request(alice, 'GET', '/v1/runs')).json().data
    expect(mine.length).toBeGreaterThan(0)
    expect((await t.request(eve, 'GET', '/v1/runs')).json().data).toEqual([])
    const res = await t.request(eve, 'GET', `/v1/runs/${mine[0].id}`)
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('AGENT_ERR_RUN_NOT_FOUND')
    expect((await t.request(eve, 'GET', `/v1/runs/${mine[0].id}/events`)).statusCode).toBe(404)
  })

  test('POST /v1/runs routes to the agent named, records the decision, 404 for an unknown one', async () => {
    const agent = await createAgent('named')
    scriptRouter(t.router, [{ content: 'hello' }])
    const run = (await t.request(alice, 'POST', '/v1/runs', { input: 'hi', agent: 'named' })).json()
    expect(run).toMatchObject({
      agent_id: agent.id,
      status: 'succeeded',
      route: { stage: 'requested', agentId: agent.id },
    })
    const missing = await t.request(alice, 'POST', '/v1/runs', { input: 'hi', agent: 'nobody' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error).toMatchObject({ code: 'AGENT_ERR_AGENT_NOT_FOUND', param: 'agent' })
  })
})

test('an agent whose prompt reference admin cannot resolve does not start: 502 with a stable code', async () => {
  const agent = await createAgent('prompted', { instructions: { prompt: 'greeting@production' } })
  const before = (await t.request(alice, 'GET', '/v1/runs?limit=100')).json().data.length
  const res = await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'hi' })
  expect(res.statusCode).toBe(502)
  expect(res.json().error.code).toBe('AGENT_ERR_PROMPT_UNAVAILABLE')
  expect((await t.request(alice, 'GET', '/v1/runs?limit=100')).json().data.length).toBe(before)
})

describe('worker tokens', () => {
  test("a run's model calls carry only the worker scopes its caller holds", async () => {
    const agent = await createAgent('plain-speaker')
    // Held: chat and llm:use, not files:read, so a rag_search in this run would be refused by rag.
    const carol = session(alice.orgId, 'user_carol', ['chat:read', 'chat:write', 'llm:use'])
    scriptRouter(t.router, [{ content: 'Hello.' }])
    const res = await t.request(carol, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'Hi' })
    expect(res.json()).toMatchObject({ status: 'succeeded', output: 'Hello.' })
    expect(t.router.received.at(-1)?.identity).toMatchObject({ userId: 'user_carol', scopes: ['llm:use'] })
  })
})
