// Issue 11 on single targets over real PostgreSQL, Kafka and Redis: a run whose replica is
// SIGKILLed mid-turn does not stay `running` forever. Its lease runs out, one of two other
// replicas claims it under a row lock and resumes it from its saved state, and it ends once.
import { type FakeUpstream, startFakeOpenAI } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AgentReplica, type AgentTargets, startAgentTargets } from './agent-targets.ts'

let upstream: FakeUpstream
let targets: AgentTargets
let b: AgentReplica
let c: AgentReplica

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: ['fake-chat'] })
  targets = await startAgentTargets(
    {
      'fake-chat': {
        deployments: [{ id: 'fake-chat-1', provider: 'openai', baseUrl: upstream.url, model: 'fake-chat' }],
      },
    },
    // Short leases, tended every second, so a dead replica's run moves soon.
    { AGENT_RUN_LEASE: '3s' },
  )
  b = await targets.startReplica()
  c = await targets.startReplica()
}, 180_000)

afterAll(async () => {
  await targets?.close()
  await upstream?.close()
})

const json = async (res: Response) =>
  (await res.json()) as Record<string, unknown> & { id: string; status: string }

const chatRequests = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions')

test('a run whose replica dies mid-turn is resumed by exactly one other replica and ends once', async () => {
  const created = await targets.request(b, 'POST', '/v1/agents', {
    name: 'survivor',
    instructions: 'You answer.',
    model: 'fake-chat',
  })
  expect(created.status).toBe(200)
  const agentId = (await json(created)).id

  const a = await targets.spawnReplica()
  upstream.setBehavior({ hang: true })
  const before = chatRequests().length
  const run = await json(
    await targets.request(a, 'POST', `/v1/agents/${agentId}/runs`, { input: 'hello', background: true }),
  )
  await expect.poll(() => chatRequests().length, { timeout: 20_000 }).toBe(before + 1)

  await a.stop() // SIGKILL mid-turn: the model call in flight dies with it
  upstream.setBehavior({ reply: 'Back again.' })
  const killedAt = performance.now()
  await expect
    .poll(async () => (await json(await targets.request(b, 'GET', `/v1/runs/${run.id}`))).status, {
      timeout: 20_000,
      interval: 100,
    })
    .toBe('succeeded')
  console.log(`agent kill_to_resumed_end_ms=${(performance.now() - killedAt).toFixed(0)} (lease 3s)`)

  const stored = await json(await targets.request(c, 'GET', `/v1/runs/${run.id}`))
  expect(stored.output).toBe('Back again.')
  // Exactly once: one more model call (the interrupted turn, again), one stored turn, one end.
  await upstream.idle()
  expect(chatRequests().length).toBe(before + 2)
  const { rows } = await targets.sql.query<{ steps: number; owner: string }>(
    `SELECT (SELECT count(*)::int FROM run_steps WHERE run_id = $1) AS steps, lease_owner AS owner
       FROM runs WHERE id = $1`,
    [run.id],
  )
  expect(rows[0]?.steps).toBe(1)
  const body = await (await targets.request(b, 'GET', `/v1/runs/${run.id}/events`)).text()
  expect(body.match(/^event: done$/gm)).toHaveLength(1)
}, 90_000)
