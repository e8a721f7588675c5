import { agentRunsV1 } from '@switchyard/contracts'
import { alice, eve, recordEvents } from '@switchyard/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AgentUnderTest, scriptRouter, sseFrames, startAgent, testTools } from '../test-support.ts'

let t: AgentUnderTest
const tools = testTools()

// Starting the process (PGlite, migrations) is slow on a busy machine.
beforeAll(async () => {
  t = await startAgent({ tools: tools.source })
}, 120_000)
afterAll(() => t.close())

const createAgent = async (body: Record<string, unknown>) => {
  const res = await t.request(alice, 'POST', '/v1/agents', { instructions: 'You help.', ...body })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { id: string; name: string }
}

const plan = (...steps: [string, string][]) => ({
  content: JSON.stringify({ steps: steps.map(([agent, task]) => ({ agent, task })) }),
})

/** The router's requests since `from`, parsed. */
const modelCalls = (from: number) =>
  t.router.received
    .slice(from)
    .map(
      (r) =>
        JSON.parse(r.body) as { messages: { role: string; content: string }[] } & Record<string, unknown>,
    )

/** What the scripted router reports for each request: prompt = messages sent, completion = 5. */
const tokensOf = (calls: { messages: unknown[] }[]) => calls.map((call) => call.messages.length + 5)
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

const getRun = async (id: string) => (await t.request(alice, 'GET', `/v1/runs/${id}`)).json()

describe('hierarchical runs', () => {
  test('a planner plans, each step runs as a child run with its own log, and a review answers', async () => {
    await createAgent({ name: 'summer', description: 'Adds numbers', tools: ['add'] })
    await createAgent({ name: 'writer', description: 'Writes sentences' })
    const lead = await createAgent({ name: 'lead', description: 'Plans', delegates: ['summer', 'writer'] })
    expect(lead).toMatchObject({ delegates: ['summer', 'writer'] })
    scriptRouter(t.router, [
      plan(['summer', 'add 2 and 3'], ['writer', 'write a sentence about the sum']),
      { toolCalls: [{ name: 'add', arguments: '{"a":2,"b":3}' }] },
      { content: 'The sum is 5.' },
      { content: 'Five is fine.' },
      { content: 'It is 5. Five is fine.' },
    ])
    const published = await recordEvents(t.peer.context().bus, agentRunsV1)
    const from = t.router.received.length
    const res = await t.request(alice, 'POST', `/v1/agents/${lead.id}/runs`, {
      input: 'sum and write',
      stream: true,
    })
    const events = sseFrames(res.body)
    expect(events.map((e) => e.event)).toEqual([
      'run.start',
      'step',
      'plan',
      'child.start',
      'step',
      'child.start',
      'step',
      'message.delta',
      'message.delta',
      'step',
      'usage',
      'done',
    ])
    const runId = events[0]?.data.runId as string
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded', output: 'It is 5. Five is fine.' })
    expect(events.find((e) => e.event === 'plan')?.data.steps).toEqual([
      { index: 0, agent: 'summer', task: 'add 2 and 3' },
      { index: 1, agent: 'writer', task: 'write a sentence about the sum' },
    ])
    const childIds = events.filter((e) => e.event === 'child.start').map((e) => e.data.childRunId as string)
    expect(childIds).toHaveLength(2)
    const childSteps = events.filter((e) => e.event === 'step' && e.data.type === 'child').map((e) => e.data)
    expect(childSteps).toMatchObject([
      { childRunId: childIds[0], status: 'succeeded', output: 'The sum is 5.' },
      { childRunId: childIds[1], status: 'succeeded', output: 'Five is fine.' },
    ])

    // The plan turn: a JSON schema answer naming only the delegates, no tools; no text streamed.
    const calls = modelCalls(from)
    expect(calls).toHaveLength(5)
    expect(calls[0]?.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'plan' },
    })
    expect(JSON.stringify(calls[0]?.response_format)).toContain('"enum":["summer","writer"]')
    expect(calls[0]?.tools).toBeUndefined()
    // The second step sees the first one's result; the review sees both.
    expect(calls[3]?.messages.at(-1)?.content).toContain('The sum is 5.')
    expect(calls[4]?.messages.at(-1)?.content).toMatch(/The sum is 5\.[\s\S]*Five is fine\./)

    // Each child has its own log, naming its parent, and its own row.
    const childLog = sseFrames((await t.request(alice, 'GET', `/v1/runs/${childIds[0]}/events`)).body)
    expect(childLog.map((e) => e.event)).toEqual([
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
    expect(childLog[0]?.data).toMatchObject({ parentRunId: runId, agentName: 'summer' })

    // GET shows the plan and the children; the planner's usage is the whole tree's.
    const stored = await getRun(runId)
    expect(stored.plan).toEqual({
      phase: 'review',
      steps: [
        { agent: 'summer', task: 'add 2 and 3', child_run_id: childIds[0], status: 'succeeded' },
        {
          agent: 'writer',
          task: 'write a sentence about the sum',
          child_run_id: childIds[1],
          status: 'succeeded',
        },
      ],
    })
    expect(stored.children.map((c: { id: string }) => c.id)).toEqual(childIds)
    expect(stored.children.map((c: { parent_run_id: string }) => c.parent_run_id)).toEqual([runId, runId])
    const tokens = tokensOf(calls)
    const total = sum(tokens)
    expect(stored.usage.total_tokens).toBe(total)
    const childUsage = stored.children.map((c: { usage: { total_tokens: number } }) => c.usage.total_tokens)
    expect(childUsage).toEqual([sum(tokens.slice(1, 3)), tokens[3]])
    // A plan turn, two steps and the review.
    expect(stored.turns).toBe(4)

    // agent.runs.v1: children name their parent; every last event carries its run's usage.
    await expect
      .poll(
        () =>
          published.filter(
            (e) => e.data.status === 'succeeded' && [runId, ...childIds].includes(e.data.runId),
          ).length,
      )
      .toBe(3)
    const ends = published.filter((e) => e.data.status === 'succeeded')
    expect(ends.find((e) => e.data.runId === runId)?.data).toMatchObject({
      parentRunId: null,
      usage: { totalTokens: total },
    })
    expect(ends.find((e) => e.data.runId === childIds[1])?.data).toMatchObject({
      parentRunId: runId,
      usage: { totalTokens: tokens[3] },
    })
    expect(
      published.find((e) => e.data.runId === runId && e.data.status === 'running')?.data.usage,
    ).toBeUndefined()

    // Another org sees neither the planner nor its children.
    expect((await t.request(eve, 'GET', `/v1/runs/${runId}`)).statusCode).toBe(404)
    expect((await t.request(eve, 'GET', `/v1/runs/${childIds[0]}`)).statusCode).toBe(404)
  })

  test('a plan that does not match its schema is asked again, a turn each time', async () => {
    await createAgent({ name: 'solo', description: 'Answers' })
    const boss = await createAgent({ name: 'boss', delegates: ['solo'], limits: { max_turns: 3 } })
    scriptRouter(t.router, [plan(['nobody', 'x']), { content: 'not json' }, plan(['solo', 'say hi'])])
    const run = (await t.request(alice, 'POST', `/v1/agents/${boss.id}/runs`, { input: 'go' })).json()
    // Two bad plans and a good one: the turns are spent before any step can run.
    expect(run).toMatchObject({ status: 'failed', error: { code: 'AGENT_RUN_TURN_LIMIT' }, turns: 3 })
    const stored = await getRun(run.id)
    expect(stored.children).toEqual([])
    expect(stored.plan.phase).toBe('steps')
  })

  test('a child that needs approval pauses its planner; an approval sent to the planner resumes both once', async () => {
    await createAgent({ name: 'cleaner', tools: ['delete_everything'] })
    const lead = await createAgent({ name: 'ops', delegates: ['cleaner'] })
    scriptRouter(t.router, [
      plan(['cleaner', 'clean prod']),
      { toolCalls: [{ name: 'delete_everything', arguments: '{"what":"prod"}' }] },
      { content: 'Cleaned.' },
      { content: 'All clean.' },
    ])
    tools.calls.length = 0
    const paused = (await t.request(alice, 'POST', `/v1/agents/${lead.id}/runs`, { input: 'tidy up' })).json()
    expect(paused.status).toBe('awaiting_approval')
    const log = sseFrames((await t.request(alice, 'GET', `/v1/runs/${paused.id}/events`)).body)
    const required = log.at(-1)
    expect(required?.event).toBe('approval.required')
    const childId = required?.data.childRunId as string
    expect(required?.data.calls).toEqual([
      { callId: expect.any(String), name: 'delete_everything', arguments: '{"what":"prod"}' },
    ])
    const child = await getRun(childId)
    expect(child).toMatchObject({ status: 'awaiting_approval', parent_run_id: paused.id })
    const callId = child.pending_approvals[0].call_id
    expect(tools.calls).toHaveLength(0)

    expect(
      (await t.request(eve, 'POST', `/v1/runs/${paused.id}/approvals/${callId}`, { decision: 'approve' }))
        .statusCode,
    ).toBe(404)
    const approved = await t.request(alice, 'POST', `/v1/runs/${paused.id}/approvals/${callId}`, {
      decision: 'approve',
    })
    expect(approved.statusCode).toBe(200)
    const twice = await t.request(alice, 'POST', `/v1/runs/${childId}/approvals/${callId}`, {
      decision: 'approve',
    })
    expect(twice.statusCode).toBe(404)

    // A reader from the start passes the pause (approved since) while the child works quietly.
    const whole = sseFrames((await t.request(alice, 'GET', `/v1/runs/${paused.id}/events`)).body)
    expect(whole.map((e) => e.event).slice(log.length - 1)).toEqual([
      'approval.required',
      'step',
      'message.delta',
      'message.delta',
      'step',
      'usage',
      'done',
    ])
    expect(whole.at(-1)).toMatchObject({ event: 'done', data: { status: 'succeeded', output: 'All clean.' } })
    expect(tools.calls.map((c) => c.args)).toEqual([{ what: 'prod' }])
    expect(await getRun(childId)).toMatchObject({ status: 'succeeded', output: 'Cleaned.' })
  })

  test('a cancel of the planner stops the child in flight; a cancel of a paused child cancels its planner', async () => {
    await createAgent({ name: 'thinker' })
    const lead = await createAgent({ name: 'waiter', delegates: ['thinker'] })
    scriptRouter(t.router, [plan(['thinker', 'think']), { hang: true }])
    const run = (
      await t.request(alice, 'POST', `/v1/agents/${lead.id}/runs`, { input: 'go', background: true })
    ).json()
    await expect
      .poll(async () => (await getRun(run.id)).children.map((c: { status: string }) => c.status))
      .toEqual(['running'])
    const cancelled = await t.request(alice, 'POST', `/v1/runs/${run.id}/cancel`)
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' })
    const [child] = (await getRun(run.id)).children
    expect(child.status).toBe('cancelled')
    expect(
      sseFrames((await t.request(alice, 'GET', `/v1/runs/${child.id}/events`)).body).at(-1),
    ).toMatchObject({
      event: 'done',
      data: { status: 'cancelled' },
    })

    await createAgent({ name: 'wiper', tools: ['delete_everything'] })
    const other = await createAgent({ name: 'wipe-lead', delegates: ['wiper'] })
    scriptRouter(t.router, [
      plan(['wiper', 'wipe']),
      { toolCalls: [{ name: 'delete_everything', arguments: '{"what":"x"}' }] },
    ])
    const paused = (await t.request(alice, 'POST', `/v1/agents/${other.id}/runs`, { input: 'wipe' })).json()
    expect(paused.status).toBe('awaiting_approval')
    const [pausedChild] = (await getRun(paused.id)).children
    expect((await t.request(eve, 'POST', `/v1/runs/${pausedChild.id}/cancel`)).statusCode).toBe(404)
    expect((await t.request(alice, 'POST', `/v1/runs/${pausedChild.id}/cancel`)).json().status).toBe(
      'cancelled',
    )
    expect((await getRun(paused.id)).status).toBe('cancelled')
    expect(
      sseFrames((await t.request(alice, 'GET', `/v1/runs/${paused.id}/events`)).body).at(-1),
    ).toMatchObject({
      event: 'done',
      data: { status: 'cancelled' },
    })
  })

  test("the planner's token limit covers its children: a child gets what is left, and the tree stops there", async () => {
    await createAgent({ name: 'looper', tools: ['add'] })
    const lead = await createAgent({
      name: 'frugal',
      delegates: ['looper'],
      limits: { max_total_tokens: 100 },
    })
    // The child asks for the tool on every turn, so only its token budget ends it.
    scriptRouter(t.router, [
      plan(['looper', 'add forever']),
      { toolCalls: [{ name: 'add', arguments: '{"a":1,"b":1}' }] },
    ])
    const from = t.router.received.length
    const run = (await t.request(alice, 'POST', `/v1/agents/${lead.id}/runs`, { input: 'go' })).json()
    expect(run).toMatchObject({ status: 'failed', error: { code: 'AGENT_RUN_TOKEN_LIMIT' } })
    const [planTokens = 0, ...childCalls] = tokensOf(modelCalls(from))
    const [child] = (await getRun(run.id)).children
    expect(child).toMatchObject({ status: 'failed', error: { code: 'AGENT_RUN_TOKEN_LIMIT' } })
    const { rows } = await t
      .sql()
      .query<{ budget: number }>(
        "SELECT (agent->'limits'->>'max_total_tokens')::int AS budget FROM runs WHERE id = $1",
        [child.id],
      )
    expect(rows[0]?.budget).toBe(100 - planTokens)
    // The child stopped at its first turn past the budget; the planner counts it all, and made no review.
    const childTokens = sum(childCalls)
    expect(child.usage.total_tokens).toBe(childTokens)
    expect(sum(childCalls.slice(0, -1))).toBeLessThan(100 - planTokens)
    expect(run.usage.total_tokens).toBe(planTokens + childTokens)
  })

  test('delegates must be agents of the org, not the agent itself: 400 and nothing stored', async () => {
    const count = async () =>
      Number((await t.sql().query<{ n: string }>('SELECT count(*) AS n FROM agents')).rows[0]?.n)
    const before = await count()
    const unknown = await t.request(alice, 'POST', '/v1/agents', {
      name: 'p1',
      instructions: 'x',
      delegates: ['ghost'],
    })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().error).toMatchObject({ code: 'AGENT_ERR_UNKNOWN_DELEGATE', param: 'delegates' })
    // Another org's agent is no delegate either.
    await t.request(eve, 'POST', '/v1/agents', { name: 'eves-helper', instructions: 'x' })
    const foreign = await t.request(alice, 'POST', '/v1/agents', {
      name: 'p2',
      instructions: 'x',
      delegates: ['eves-helper'],
    })
    expect(foreign.json().error.code).toBe('AGENT_ERR_UNKNOWN_DELEGATE')
    expect(await count()).toBe(before + 1)

    const self = await createAgent({ name: 'narcissus' })
    const loop = await t.request(alice, 'POST', `/v1/agents/${self.id}`, { delegates: ['narcissus'] })
    expect(loop.statusCode).toBe(400)
    expect(loop.json().error.param).toBe('delegates')
    expect((await t.request(alice, 'GET', `/v1/agents/${self.id}`)).json().delegates).toEqual([])
  })

  test('a delegate deleted since the planner was written: the run does not start (400)', async () => {
    const gone = await createAgent({ name: 'temp' })
    const lead = await createAgent({ name: 'orphan', delegates: ['temp'] })
    await t.request(alice, 'DELETE', `/v1/agents/${gone.id}`)
    const res = await t.request(alice, 'POST', `/v1/agents/${lead.id}/runs`, { input: 'go' })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('AGENT_ERR_UNKNOWN_DELEGATE')
  })
})
