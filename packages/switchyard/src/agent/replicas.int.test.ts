// Must-shows 2 and 3 of issue 11 on single targets over real PostgreSQL, Kafka and Redis, with the
// fake upstream scripting tool calls: a paused run survives the SIGKILL of the replica that ran it
// and is approved through another, once; a cancel on one replica stops the model call running on
// another; a client that leaves does not stop its run.
import { type FakeUpstream, startFakeOpenAI } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AgentReplica, type AgentTargets, startAgentTargets } from './agent-targets.ts'

let upstream: FakeUpstream
let targets: AgentTargets
let b: AgentReplica
let agentId: string

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: ['fake-chat'] })
  targets = await startAgentTargets({
    'fake-chat': {
      deployments: [{ id: 'fake-chat-1', provider: 'openai', baseUrl: upstream.url, model: 'fake-chat' }],
    },
  })
  b = await targets.startReplica()
  const res = await targets.request(b, 'POST', '/v1/agents', {
    name: 'janitor',
    instructions: 'You clean up.',
    model: 'fake-chat',
    tools: ['add', 'delete_everything'],
  })
  expect(res.status).toBe(200)
  agentId = ((await res.json()) as { id: string }).id
}, 180_000)

afterAll(async () => {
  await targets?.close()
  await upstream?.close()
})

const json = async (res: Response) =>
  (await res.json()) as Record<string, unknown> & { id: string; status: string }

const chatRequests = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions')

test('a cancel on one replica stops the model call running on another (the fake upstream records the abort)', async () => {
  const a = await targets.spawnReplica()
  upstream.setBehavior({ hang: true })
  const before = chatRequests().length
  const run = await json(
    await targets.request(a, 'POST', `/v1/agents/${agentId}/runs`, { input: 'think hard', background: true }),
  )
  expect(run.status).toBe('running')
  await expect.poll(() => chatRequests().length, { timeout: 20_000 }).toBe(before + 1)
  const inFlight = chatRequests().at(-1)
  expect(inFlight?.aborted).toBe(false)

  const cancelledAt = performance.now()
  expect((await targets.request(b, 'POST', `/v1/runs/${run.id}/cancel`)).status).toBe(200)
  await expect.poll(() => chatRequests().at(-1)?.aborted, { timeout: 10_000, interval: 20 }).toBe(true)
  console.log(
    `agent cancel_to_upstream_abort_ms=${(performance.now() - cancelledAt).toFixed(0)} (other replica)`,
  )
  await expect
    .poll(async () => (await json(await targets.request(b, 'GET', `/v1/runs/${run.id}`))).status)
    .toBe('cancelled')
  expect((await targets.events(b, run.id)).at(-1)).toMatchObject({
    event: 'done',
    data: { status: 'cancelled' },
  })
  await a.stop()
}, 60_000)

test('a paused run survives the SIGKILL of its replica, is approved through another, and finishes once', async () => {
  const a = await targets.spawnReplica()
  upstream.setBehavior({ toolCalls: [{ name: 'delete_everything', arguments: { what: 'tmp' } }] })
  const paused = await json(
    await targets.request(a, 'POST', `/v1/agents/${agentId}/runs`, { input: 'clean /tmp' }),
  )
  expect(paused.status).toBe('awaiting_approval')
  const [pending] = paused.pending_approvals as { call_id: string; name: string }[]
  expect(pending?.name).toBe('delete_everything')

  await a.stop() // SIGKILL: nothing of the run lives in that process any more
  upstream.setBehavior({ reply: 'Cleaned.' })
  const before = chatRequests().length

  // Two approvals race on the surviving replica: the row lock lets exactly one resume the run.
  const answers = await Promise.all(
    [0, 1].map(() =>
      targets.request(b, 'POST', `/v1/runs/${paused.id}/approvals/${pending?.call_id}`, {
        decision: 'approve',
      }),
    ),
  )
  expect(answers.filter((r) => r.status === 200)).toHaveLength(1)
  const tail = await targets.events(b, paused.id)
  expect(tail.at(-1)).toMatchObject({ event: 'done', data: { status: 'succeeded', output: 'Cleaned.' } })

  const stored = await json(await targets.request(b, 'GET', `/v1/runs/${paused.id}`))
  expect(stored.status).toBe('succeeded')
  expect(b.toolCalls?.filter((c) => c.name === 'delete_everything')).toHaveLength(1)
  const { rows } = await targets.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM run_steps WHERE run_id = $1 AND type = 'tool'",
    [paused.id],
  )
  expect(rows[0]?.n).toBe(1)
  expect(chatRequests().length).toBe(before + 1)
}, 60_000)

test('a client that disconnects mid-stream leaves a run that finishes and is stored', async () => {
  upstream.setBehavior({ reply: 'one two three four five six seven eight', tokensPerSecond: 20 })
  const controller = new AbortController()
  const res = await targets.request(
    b,
    'POST',
    `/v1/agents/${agentId}/runs`,
    { input: 'count', stream: true },
    controller.signal,
  )
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  let seen = ''
  while (!seen.includes('event: message.delta')) seen += new TextDecoder().decode((await reader.read()).value)
  const runId = /"runId":"([^"]+)"/.exec(seen)?.[1] as string
  controller.abort()
  await expect
    .poll(async () => (await json(await targets.request(b, 'GET', `/v1/runs/${runId}`))).status, {
      timeout: 20_000,
    })
    .toBe('succeeded')
  const stored = await json(await targets.request(b, 'GET', `/v1/runs/${runId}`))
  expect(stored.output).toBe('one two three four five six seven eight')
}, 60_000)
