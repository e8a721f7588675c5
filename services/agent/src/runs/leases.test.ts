import { alice } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AgentUnderTest, scriptRouter, sseFrames, startAgent, testTools } from '../test-support.ts'

let t: AgentUnderTest
const tools = testTools()

// Starting the process (PGlite, migrations) is slow on a busy machine. Leases of a second: tended
// every third of one.
beforeAll(async () => {
  t = await startAgent({ tools: tools.source }, { AGENT_RUN_LEASE: '1s' })
}, 120_000)
afterAll(() => t.close())

test('a run whose lease ran out mid-turn is claimed and resumed from its saved state, once', async () => {
  const created = await t.request(alice, 'POST', '/v1/agents', {
    name: 'resumable',
    instructions: 'You add.',
    tools: ['add'],
  })
  const agent = created.json() as { id: string }
  const script = scriptRouter(t.router, [
    { toolCalls: [{ name: 'add', arguments: '{"a":2,"b":3}' }] },
    { hang: true },
    { content: 'Recovered: 5.' },
  ])
  tools.calls.length = 0
  const run = (
    await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'add 2 and 3', background: true })
  ).json()
  // The first turn and its tool call are saved; the second model call hangs.
  await expect.poll(() => script.calls(), { timeout: 10_000 }).toBe(2)

  // As if the replica running it died: its lease belongs to another replica and ran out.
  await t
    .sql()
    .query(
      "UPDATE runs SET lease_owner = 'dead-replica', lease_expires_at = now() - interval '1 second' WHERE id = $1",
      [run.id],
    )
  await expect
    .poll(async () => (await t.request(alice, 'GET', `/v1/runs/${run.id}`)).json().status, {
      timeout: 15_000,
    })
    .toBe('succeeded')

  const stored = (await t.request(alice, 'GET', `/v1/runs/${run.id}`)).json()
  expect(stored.output).toBe('Recovered: 5.')
  // Resumed from the saved state: the tool ran once, and the new turn saw its result.
  expect(tools.calls.filter((c) => c.name === 'add')).toHaveLength(1)
  expect(script.calls()).toBe(3)
  const resumedTurn = JSON.parse(t.router.received.at(-1)?.body ?? '{}') as { messages: { role: string }[] }
  expect(resumedTurn.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool'])
  // One end in the log, and the lease is this replica's now.
  const events = sseFrames((await t.request(alice, 'GET', `/v1/runs/${run.id}/events`)).body)
  expect(events.filter((e) => e.event === 'done')).toHaveLength(1)
  const { rows } = await t
    .sql()
    .query<{ lease_owner: string }>('SELECT lease_owner FROM runs WHERE id = $1', [run.id])
  expect(rows[0]?.lease_owner).not.toBe('dead-replica')
})
