import { createMemoryState } from '@switchyard/state'
import { startFakeOpenAI } from '@switchyard/testing'
import { pino } from 'pino'
import { expect, onTestFinished, test } from 'vitest'
import { buildCatalog } from '../catalog/load.ts'
import { providers } from '../upstreams/registry.ts'
import { probeAll } from './probes.ts'
import { ModelRouter } from './router.ts'

test('an active probe cools down a deployment that does not answer, and ends the cooldown once it does', async () => {
  const up = await startFakeOpenAI({ models: ['m'] })
  const down = await startFakeOpenAI({ models: ['m'] })
  const downUrl = down.url
  await down.close()
  onTestFinished(() => up.close())
  const logger = pino({ level: 'silent' })
  const state = createMemoryState()
  const router = new ModelRouter({ providers, state, logger })
  onTestFinished(async () => {
    await router.close()
    await state.close()
  })
  router.applyCatalog(
    buildCatalog(
      {
        models: {
          m: {
            deployments: [
              { id: 'up', provider: 'openai', baseUrl: up.url, model: 'm' },
              { id: 'down', provider: 'openai', baseUrl: downUrl, model: 'm' },
            ],
          },
        },
      },
      { providers },
    ),
  )
  router.health.recordFailure('up', { rateLimited: false })
  await probeAll(router, logger)
  expect(router.health.cooling('down')).toBeDefined()
  expect(router.health.cooling('up')).toBeUndefined()
  expect(up.requests.map((r) => r.path)).toEqual(['/v1/models'])
})
