import { createMemoryState } from '@switchyard/state'
import { fakeClock } from '@switchyard/testing'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { expect, onTestFinished, test } from 'vitest'
import { buildCatalog } from '../catalog/load.ts'
import { providers } from '../upstreams/registry.ts'
import { cooldownMetricName, registerCooldownMetric } from './cooldown-metric.ts'
import { ModelRouter } from './router.ts'

test('the cooldown gauge shows 1 for a deployment held out, labelled by its alias, and 0 once it is back', async () => {
  const clock = fakeClock()
  const state = createMemoryState()
  const router = new ModelRouter({ providers, state, logger: pino({ level: 'silent' }), now: clock.now })
  onTestFinished(async () => {
    await router.close()
    await state.close()
  })
  const deployment = (id: string) => ({ id, provider: 'openai', baseUrl: 'http://127.0.0.1:9', model: 'm' })
  router.applyCatalog(
    buildCatalog(
      {
        models: {
          a: { deployments: [deployment('d1'), deployment('d2')] },
          b: { deployments: [deployment('d3')] },
        },
        defaults: { cooldown: { baseMs: 1_000, maxMs: 8_000 } },
      },
      { providers },
    ),
  )
  const registry = new Registry()
  registerCooldownMetric(registry, router)
  const values = async () => {
    const metric = await registry.getSingleMetric(cooldownMetricName)?.get()
    return Object.fromEntries(
      (metric?.values ?? []).map((v) => [`${v.labels.model}/${v.labels.deployment}`, v.value]),
    )
  }

  const held = router.health.recordFailure('d2', { rateLimited: false })
  expect(await values()).toEqual({ 'a/d1': 0, 'a/d2': 1, 'b/d3': 0 })
  clock.advance(held.until - clock.now())
  expect(await values()).toEqual({ 'a/d1': 0, 'a/d2': 0, 'b/d3': 0 })
})
