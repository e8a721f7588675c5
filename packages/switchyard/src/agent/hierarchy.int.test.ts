// Hierarchical runs of issue 11 on single targets over real PostgreSQL, Kafka and Redis: a planner
// whose child run pauses for approval survives the SIGKILL of the replica that ran both, is
// approved (through the planner) on another replica, and the tree finishes once.
import { type FakeUpstream, startFakeOpenAI } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AgentReplica, type AgentTargets, startAgentTargets } from './agent-targets.ts'

let upstream: FakeUpstream
let targets: AgentTargets
let b: AgentReplica

const deployment = (model: string) => ({
  deployments: [{ id: `${model}-1`, provider: 'openai', baseUrl: upstream.url, model }],
})

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: ['fake-chat', 'fake-plan'] })
  targets = await startAgentTargets({
    'fake-chat': deployment('fake-chat'),
    'fake-plan': deployment('fake-plan'),
  })
  b = await targets.startReplica()
}, 180_000)

afterAll(async () => {
  await targets?.close()
  await upstream?.close()
})

const json = async (res: Response) =>
  (await res.json()) as Record<string, unknown> & { id: string; status: string }

const chatRequests = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions')

test('a planner paused on its child survives a SIGKILL, is approved on another replica, and ends once', async () => {
  const ids: string[] = []
  for (const body of [
    { name: 'janitor', instructions: 'You clean up.', model: 'fake-chat', tools: ['delete_everything'] },
    { name: 'lead', instructions: 'You lead.', model: 'fake-plan', delegates: ['janitor'] },
  ]) {
    const res = await targets.request(b, 'POST', '/v1/agents', body)
    expect(res.status).toBe(200)
    ids.push((await json(res)).id)
  }
  // The planner plans one step for the janitor, then reviews; the janitor asks for the risky tool.
  upstream.setBehavior(
    {
      reply: (input) =>
        input.lastUserText.startsWith('The steps of your plan are done')
          ? 'Reviewed: clean.'
          : JSON.stringify({ steps: [{ agent: 'janitor', task: 'clean /tmp' }] }),
    },
    'fake-plan',
  )
  upstream.setBehavior(
    { toolCalls: [{ name: 'delete_everything', arguments: { what: 'tmp' } }] },
    'fake-chat',
  )

  const a = await targets.spawnReplica()
  const paused = await json(
    await targets.request(a, 'POST', `/v1/agents/${ids[1]}/runs`, { input: 'tidy the box' }),
  )
  expect(paused.status).toBe('awaiting_approval')
  const required = (await targets.events(b, paused.id)).at(-1)
  expect(required?.event).toBe('approval.required')
  const childId = required?.data.childRunId as string
  const [call] = (required?.data.calls ?? []) as { callId: string; name: string }[]
  expect(call?.name).toBe('delete_everything')

  await a.stop() // SIGKILL: neither the planner nor its child lives in that process any more
  upstream.setBehavior({ reply: 'Cleaned.' }, 'fake-chat')
  const before = chatRequests().length

  // Two approvals race, addressed to the planner: the child's row lock lets exactly one resume the tree.
  const answers = await Promise.all(
    [0, 1].map(() =>
      targets.request(b, 'POST', `/v1/runs/${paused.id}/approvals/${call?.callId}`, { decision: 'approve' }),
    ),
  )
  expect(answers.filter((r) => r.status === 200)).toHaveLength(1)
  // A reader from the start passes the pause (approved since) and waits for the quiet planner's end.
  const tail = await targets.events(b, paused.id)
  expect(tail.at(-1)).toMatchObject({
    event: 'done',
    data: { status: 'succeeded', output: 'Reviewed: clean.' },
  })

  const stored = await json(await targets.request(b, 'GET', `/v1/runs/${paused.id}`))
  expect(stored).toMatchObject({ status: 'succeeded', plan: { phase: 'review' } })
  expect(stored.children).toMatchObject([{ id: childId, status: 'succeeded', output: 'Cleaned.' }])
  expect(b.toolCalls?.filter((c) => c.name === 'delete_everything')).toHaveLength(1)
  // The child: its org's row under its planner, one tool step; after the approval, one turn each.
  const { rows } = await targets.sql.query<{ org_id: string; parent_run_id: string; tools: number }>(
    `SELECT org_id, parent_run_id,
            (SELECT count(*)::int FROM run_steps s WHERE s.run_id = r.id AND s.type = 'tool') AS tools
       FROM runs r WHERE id = $1`,
    [childId],
  )
  expect(rows).toEqual([{ org_id: targets.identity.orgId, parent_run_id: paused.id, tools: 1 }])
  expect(chatRequests().length).toBe(before + 2)
}, 90_000)
