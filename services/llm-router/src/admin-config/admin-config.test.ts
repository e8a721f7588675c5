import { type AdminConfigV1, adminConfigKey, adminConfigV1 } from '@switchyard/contracts'
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

/** One alias's entry of a catalog document: what admin announces per alias. */
const entryOf = (doc: unknown, alias: string) => (doc as { models: Record<string, unknown> }).models[alias]

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
    payload: {
      alias: 'new',
      model: entryOf(oneModel('new', { provider: 'openai', baseUrl: fake.url, model: 'm' }), 'new'),
    },
  }
  await router.bus.publish(adminConfigV1, adminConfigKey(change), change)

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
  const budget = (version: number, amountUsd: number | null): AdminConfigV1 => ({
    kind: 'budget',
    orgId: alice.orgId,
    version,
    payload: {
      scope: 'user',
      subjectId: alice.userId,
      budget: amountUsd === null ? null : { amountUsd, period: 'day' },
    },
  })
  await router.bus.publish(adminConfigV1, adminConfigKey(budget(1, 0.000001)), budget(1, 0.000001))

  await vi.waitFor(async () => {
    const refused = await chat(router.url, router.headers, 'priced')
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'LLM_ROUTER_ERR_BUDGET_EXCEEDED',
    )
  })
  expect((await chat(router.url, await router.headersFor(bob), 'priced')).status).toBe(200)
  expect((await chat(router.url, await router.headersFor(eve), 'priced')).status).toBe(200)

  // Removed: the next event for that budget says so.
  await router.bus.publish(adminConfigV1, adminConfigKey(budget(2, null)), budget(2, null))
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
  const entry = (alias: string, extra: Record<string, unknown> = {}) => ({
    ...(entryOf(catalog(alias), alias) as Record<string, unknown>),
    ...extra,
  })
  const aliases = () => [...(router.catalog?.aliases.keys() ?? [])].sort()

  expect(apply(routes(2, { alias: 'second', model: entry('second') }))).toBe('applied')
  expect(apply(routes(2, { alias: 'second', model: entry('replayed') }))).toBe('stale')
  expect(apply(routes(1, { alias: 'second', model: entry('older') }))).toBe('stale')
  expect(aliases()).toEqual(['second'])
  // Versions are per item: another alias's lower version (another partition, a compacted
  // replay) is still news.
  expect(apply(routes(1, { alias: 'first', model: entry('first') }))).toBe('applied')
  expect(aliases()).toEqual(['first', 'second'])
  const unknownProvider = { deployments: [{ id: 'x', provider: 'nope', model: 'm' }] }
  expect(apply(routes(3, { alias: 'x', model: unknownProvider }))).toBe('invalid')
  expect(apply(routes(4, {}))).toBe('invalid')
  expect(apply(routes(5, { catalog: catalog('whole') }))).toBe('invalid')
  expect(aliases()).toEqual(['first', 'second'])
  // A fallback announced before the alias it names: kept, served once that alias arrives.
  expect(apply(routes(6, { alias: 'third', model: entry('third', { fallbacks: ['fourth'] }) }))).toBe(
    'applied',
  )
  expect(aliases()).toEqual(['first', 'second'])
  expect(apply(routes(7, { alias: 'fourth', model: entry('fourth') }))).toBe('applied')
  expect(aliases()).toEqual(['first', 'fourth', 'second', 'third'])
  expect(apply(routes(8, { alias: 'first', model: null }))).toBe('applied')
  expect(aliases()).toEqual(['fourth', 'second', 'third'])

  const budget = (
    orgId: string | null,
    version: number,
    subject: string,
    value: Record<string, unknown> | null,
  ): AdminConfigV1 => ({
    kind: 'budget',
    orgId,
    version,
    payload: { scope: 'user', subjectId: subject, budget: value },
  })
  const request = (identity: typeof alice) => ({
    identity,
    alias: 'second',
    operation: 'chat' as const,
    promptTokens: 10,
    maxTokens: 10,
    pricing: { inputPerMillion: 1, outputPerMillion: 1 },
  })
  const tiny = { amountUsd: 0.000001, period: 'day' }
  const admitted = (identity: typeof alice) =>
    Promise.resolve()
      .then(() => admission.admit(request(identity)))
      .then(
        () => 'admitted',
        (error: { code?: string }) => error.code,
      )
  expect(apply(budget(alice.orgId, 1, alice.userId, tiny))).toBe('applied')
  expect(await admitted(alice)).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
  // Another budget of the same org is an item of its own: alice's stays.
  expect(apply(budget(alice.orgId, 2, bob.userId, tiny))).toBe('applied')
  expect(await admitted(alice)).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
  expect(await admitted(bob)).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
  // Another org's does not undo these; a broken one is refused and changes nothing.
  expect(apply(budget('org_other', 1, 'user_x', tiny))).toBe('applied')
  expect(apply(budget(alice.orgId, 3, alice.userId, { amountUsd: -5 }))).toBe('invalid')
  expect(apply(budget(alice.orgId, 4, alice.userId, undefined as never))).toBe('invalid')
  expect(apply(budget(null, 3, alice.userId, tiny))).toBe('invalid')
  expect(await admitted(alice)).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
  // Removing bob's budget leaves alice's.
  expect(apply(budget(alice.orgId, 5, bob.userId, null))).toBe('applied')
  expect(await admitted(bob)).toBe('admitted')
  expect(await admitted(alice)).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
  expect(apply({ kind: 'prices', orgId: null, version: 9, payload: {} })).toBe('ignored')
  expect(apply({ kind: 'key-revoked', orgId: alice.orgId, version: 9, payload: { keyId: 'k' } })).toBe(
    'ignored',
  )
})
