import { createMemoryState } from '@switchyard/state'
import { pino } from 'pino'
import { expect, onTestFinished, test } from 'vitest'
import { DeploymentHealth } from '../routing/health.ts'
import { UpstreamError } from '../upstreams/provider.ts'
import { recordFailure } from './failures.ts'

function health() {
  const state = createMemoryState()
  onTestFinished(() => state.close())
  return new DeploymentHealth({
    values: state.values,
    logger: pino({ level: 'silent' }),
    cooldown: () => ({ baseMs: 1_000, maxMs: 60_000 }),
  })
}

test('an error of the router’s own (a body JSON.stringify cannot write) is not the deployment’s', () => {
  const h = health()
  const failure = recordFailure(h, 'd', new RangeError('Maximum call stack size exceeded'))
  expect(failure.unhealthy).toBe(false)
  expect(h.cooling('d')).toBeUndefined()
})

test('the upstream’s failures still count: a 5xx cools the deployment down', () => {
  const h = health()
  recordFailure(h, 'd', new UpstreamError('server', 'upstream 503', { status: 503 }))
  expect(h.cooling('d')).toBeDefined()
})
