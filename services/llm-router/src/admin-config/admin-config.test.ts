import { type AdminConfigV1, adminConfigV1 } from '@switchyard/contracts'
import { createMemoryState } from '@switchyard/state'
import { alice, bob, eve, startFakeOpenAI } from '@switchyard/testing'
import { pino } from 'pino'
import { expect, onTestFinished, test, vi } from 'vitest'
import { buildCatalog } from '../catalog/load.ts'
import { adminCatalogPolicy } from '../catalog/policy.ts'
import { createAdmission } from '../limits/admission.ts'
import { oneModel, startRouter } from '../router-under-test.ts'
import { ModelRouter } from '../routing/router.ts'
import { providers } from '../upstreams/registry.ts'
import { createAdminConfigApplier } from './subscriber.ts'

const logger = pino({ level: 'silent' })

async function upstream() {
  const fake = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => fake.close())
  return fake
}

const chat = (url: string, headers: Record<string, string>, model: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
  })

test('a routes change from admin swaps the catalog without a restart', async () => {
  const fake = await upstream()
  const router = await startRouter(oneModel('old', { provider: 'openai', baseUrl: fake.url, model: 'm' }))
  const change: AdminConfigV1 = {
    kind: 'routes',
    orgId: null,
    version: 1,
    payload: { catalog: oneModel('new', { provider: 'openai', baseUrl: fake.url, model: 'm' }) },
  }
  await router.bus.publish(adminConfigV1, 'routes:platform', change)

  await vi.waitFor(async () => {
    const models = (await (await fetch(`${router.url}/v1/models`, { headers: router.headers })).json()) as {
      data: { id: string }[]
    }
    expect(models.data.map((m) => m.id)).toEqual(['new'])
  })
  const answered = await chat(router.url, router.headers, 'new')
  expect(answered.status).toBe(200)
  expect(answered.headers.get('x-switchyard-deployment')).toBe('new-1')
  expect((await chat(router.url, router.headers, 'old')).status).toBe(404)
})

test("a budget change from admin applies to its org's requests only, and a later one lifts it", async () => {
  const fake = await upstream()
  const pricing = { inputPerMillion: 1, outputPerMillion: 1 }
  const router = await startRouter(
    oneModel('priced', { provider: 'openai', baseUrl: fake.url, model: 'm' }, { pricing }),
    { config: { LLM_ROUTER_LIMITS: {} } },
  )
  // One micro-dollar a day: any request's worst case is more.
  const tiny = { users: { [alice.userId]: { amountUsd: 0.000001, period: 'day' } } }
  await router.bus.publish(adminConfigV1, `budget:${alice.orgId}`, {
    kind: 'budget',
    orgId: alice.orgId,
    version: 1,
    payload: { budgets: tiny },
  })

  await vi.waitFor(async () => {
    const refused = await chat(router.url, router.headers, 'priced')
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'LLM_ROUTER_ERR_BUDGET_EXCEEDED',
    )
  })
  expect((await chat(router.url, await router.headersFor(bob), 'priced')).status).toBe(200)
  expect((await chat(router.url, await router.headersFor(eve), 'priced')).status).toBe(200)

  await router.bus.publish(adminConfigV1, `budget:${alice.orgId}`, {
    kind: 'budget',
    orgId: alice.orgId,
    version: 2,
    payload: { budgets: { orgs: {}, users: {}, keys: {} } },
  })
  await vi.waitFor(async () => expect((await chat(router.url, router.headers, 'priced')).status).toBe(200))
})

test('versions already held, changes that do not validate and kinds of other services change nothing', async () => {
  const state = createMemoryState()
  onTestFinished(() => state.close())
  const router = new ModelRouter({ providers, state, logger })
  onTestFinished(() => router.close())
  const catalog = (alias: string) =>
    oneModel(alias, { provider: 'openai', baseUrl: 'http://u/v1', model: 'm' })
  const start = buildCatalog(catalog('start'), { providers })
  router.applyCatalog(start)
  const admission = createAdmission({ store: state.limits, config: {}, logger })
  const apply = createAdminConfigApplier({
    router,
    providers,
    logger,
    policy: adminCatalogPolicy({}, start),
    limits: { admission, base: {} },
  })
  const routes = (version: number, payload: Record<string, unknown>): AdminConfigV1 => ({
    kind: 'routes',
    orgId: null,
    version,
    payload,
  })
  const aliases = () => [...(router.catalog?.aliases.keys() ?? [])]

  expect(apply(routes(2, { catalog: catalog('second') }))).toBe('applied')
  expect(apply(routes(2, { catalog: catalog('replayed') }))).toBe('stale')
  expect(apply(routes(1, { catalog: catalog('older') }))).toBe('stale')
  expect(aliases()).toEqual(['second'])
  const unknownProvider = { models: { x: { deployments: [{ id: 'x', provider: 'nope', model: 'm' }] } } }
  expect(apply(routes(3, { catalog: unknownProvider }))).toBe('invalid')
  expect(apply(routes(4, {}))).toBe('invalid')
  expect(aliases()).toEqual(['second'])

  const budget = (orgId: string | null, version: number, budgets: unknown): AdminConfigV1 => ({
    kind: 'budget',
    orgId,
    version,
    payload: { budgets },
  })
  const request = {
    identity: alice,
    alias: 'second',
    operation: 'chat' as const,
    promptTokens: 10,
    maxTokens: 10,
    pricing: { inputPerMillion: 1, outputPerMillion: 1 },
  }
  const tiny = { users: { [alice.userId]: { amountUsd: 0.000001, period: 'day' } } }
  expect(apply(budget(alice.orgId, 1, tiny))).toBe('applied')
  await expect(Promise.resolve().then(() => admission.admit(request))).rejects.toMatchObject({
    code: 'LLM_ROUTER_ERR_BUDGET_EXCEEDED',
  })
  // A budget for another org does not undo this one; a broken one is refused whole.
  expect(apply(budget('org_other', 1, {}))).toBe('applied')
  expect(apply(budget(alice.orgId, 2, { users: { [alice.userId]: { amountUsd: -5 } } }))).toBe('invalid')
  expect(apply(budget(null, 3, {}))).toBe('invalid')
  await expect(Promise.resolve().then(() => admission.admit(request))).rejects.toMatchObject({
    code: 'LLM_ROUTER_ERR_BUDGET_EXCEEDED',
  })
  expect(apply({ kind: 'prices', orgId: null, version: 9, payload: {} })).toBe('ignored')
  expect(apply({ kind: 'key-revoked', orgId: alice.orgId, version: 9, payload: { keyId: 'k' } })).toBe(
    'ignored',
  )
})
