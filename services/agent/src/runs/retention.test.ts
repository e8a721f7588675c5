import { alice, fakeClock } from '@switchyard/testing'
import pino from 'pino'
import { expect, onTestFinished, test } from 'vitest'
import { scriptRouter, startAgent, testTools } from '../test-support.ts'
import { runsRepository } from './repository.ts'
import { createRetention } from './retention.ts'

test('retention deletes finished runs (with their steps) once older than the setting, never a paused one', async () => {
  const clock = fakeClock()
  const tools = testTools()
  const t = await startAgent({ tools: tools.source }, {}, clock.now)
  onTestFinished(() => t.close())
  const agent = (
    await t.request(alice, 'POST', '/v1/agents', {
      name: 'a',
      instructions: 'x',
      tools: ['delete_everything'],
    })
  ).json()
  scriptRouter(t.router, [{ content: 'ok' }])
  const finished = (await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'hi' })).json()
  expect(finished.status).toBe('succeeded')
  scriptRouter(t.router, [{ toolCalls: [{ name: 'delete_everything', arguments: '{"what":"x"}' }] }])
  const paused = (await t.request(alice, 'POST', `/v1/agents/${agent.id}/runs`, { input: 'clean' })).json()
  expect(paused.status).toBe('awaiting_approval')

  const day = 86_400_000
  const retention = createRetention({
    repo: runsRepository(t.sql()),
    logger: pino({ level: 'silent' }),
    retentionMs: 30 * day,
    intervalMs: day,
    now: clock.now,
  })
  onTestFinished(() => retention.stop())
  const steps = async () =>
    Number(
      (
        await t
          .sql()
          .query<{ n: string }>('SELECT count(*) AS n FROM run_steps WHERE run_id = $1', [finished.id])
      ).rows[0]?.n,
    )
  expect(await steps()).toBeGreaterThan(0)

  clock.advance(30 * day - 1)
  expect(await retention.sweep()).toBe(0)
  clock.advance(2)
  expect(await retention.sweep()).toBe(1)
  expect((await t.request(alice, 'GET', `/v1/runs/${finished.id}`)).statusCode).toBe(404)
  expect(await steps()).toBe(0)
  expect((await t.request(alice, 'GET', `/v1/runs/${paused.id}`)).json().status).toBe('awaiting_approval')
}, 120_000)
