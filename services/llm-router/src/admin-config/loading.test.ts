import { type AdminConfigV1, adminConfigKey, adminConfigV1 } from '@switchyard/contracts'
import { createInProcessBus, type EventBus } from '@switchyard/events'
import { alice, startFakeOpenAI } from '@switchyard/testing'
import { pino } from 'pino'
import { expect, onTestFinished, test } from 'vitest'
import { errorBody, oneModel, startRouter } from '../router-under-test.ts'

const logger = pino({ level: 'silent' })

async function upstream() {
  const fake = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => fake.close())
  return fake
}

function testBus(): EventBus {
  const bus = createInProcessBus({ logger })
  onTestFinished(() => bus.close())
  return bus
}

const chat = (url: string, headers: Record<string, string>, model: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
  })

test('until admin.config.v1 is read to its end the router answers 503 with Retry-After, and is not ready', async () => {
  const fake = await upstream()
  const bus = testBus()
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  // The bus's own subscription, with its catch-up held by the test: a replay still under way.
  const holding: EventBus = {
    ...bus,
    publish: bus.publish,
    async subscribe(topic, group, handler) {
      const subscription = await bus.subscribe(topic, group, handler)
      if (topic.name !== adminConfigV1.name) return subscription
      return { close: () => subscription.close(), caughtUp: subscription.caughtUp.then(() => held) }
    },
  }
  const router = await startRouter(oneModel('m', { provider: 'openai', baseUrl: fake.url, model: 'm' }), {
    bus: holding,
  })

  const loading = await chat(router.url, router.headers, 'm')
  expect(loading.status).toBe(503)
  expect(loading.headers.get('retry-after')).toBe('1')
  expect((await errorBody(loading)).error.code).toBe('LLM_ROUTER_ERR_CONFIG_LOADING')
  const models = await fetch(`${router.url}/v1/models`, { headers: router.headers })
  expect(models.status).toBe(503)
  expect(fake.requests).toHaveLength(0)
  expect((await fetch(`${router.url}/readyz`)).status).toBe(503)

  release()
  await held
  await expect.poll(async () => (await fetch(`${router.url}/readyz`)).status, { timeout: 10_000 }).toBe(200)
  expect((await chat(router.url, router.headers, 'm')).status).toBe(200)
})

test('a budget and a route admin announced before the router started hold on its first request', async () => {
  const fake = await upstream()
  const bus = testBus()
  const pricing = { inputPerMillion: 1, outputPerMillion: 1 }
  const route: AdminConfigV1 = {
    kind: 'routes',
    orgId: null,
    version: 1,
    payload: {
      alias: 'admins',
      model: {
        deployments: [{ id: 'admins-1', weight: 1, provider: 'openai', baseUrl: fake.url, model: 'm' }],
        pricing,
      },
    },
  }
  // One micro-dollar a day: any request's worst case is more.
  const budget: AdminConfigV1 = {
    kind: 'budget',
    orgId: alice.orgId,
    version: 1,
    payload: { scope: 'user', subjectId: alice.userId, budget: { amountUsd: 0.000001, period: 'day' } },
  }
  for (const change of [route, budget]) await bus.publish(adminConfigV1, adminConfigKey(change), change)

  const router = await startRouter(oneModel('files', { provider: 'openai', baseUrl: fake.url, model: 'm' }), {
    bus,
    config: { LLM_ROUTER_LIMITS: {} },
  })
  // No wait, no retry: the very first request already sees admin's catalog and alice's budget.
  const first = await chat(router.url, router.headers, 'admins')
  expect(first.status).toBe(429)
  expect(fake.requests).toHaveLength(0)
  const bob = await router.headersFor({ ...alice, userId: 'user_bob' })
  expect((await chat(router.url, bob, 'admins')).status).toBe(200)
})
