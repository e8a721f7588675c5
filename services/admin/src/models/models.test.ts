import type { Identity } from '@switchyard/contracts'
import { afterAll, expect, test } from 'vitest'
import { startAdmin } from '../admin-under-test.ts'

const admin = await startAdmin()
afterAll(() => admin.close())
const tenant = await admin.createOrg('Tenant')
const operatorAdmin = await admin.addMember(admin.operator, 'admin')

const vllm = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  provider: 'openai',
  baseUrl: `http://${id}:8000/v1`,
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  ...extra,
})

test('the operator adds a model; the router gets the whole catalog and the price schedule', async () => {
  const res = await admin.request(operatorAdmin, 'POST', '/admin/v1/models', {
    alias: 'llama-3.1-8b',
    description: 'Small and fast',
    deployments: [vllm('vllm-a', { weight: 3, maxConcurrency: 64 }), vllm('vllm-b')],
    price: { inputPerMillion: 0.2, outputPerMillion: 0.6 },
  })
  expect(res.statusCode, res.body).toBe(201)
  expect(res.json()).toMatchObject({
    alias: 'llama-3.1-8b',
    strategy: 'weighted-round-robin',
    listed: true,
    price: { inputPerMillion: 0.2, outputPerMillion: 0.6 },
  })
  expect(res.json().deployments.map((d: { id: string }) => d.id)).toEqual(['vllm-a', 'vllm-b'])

  // One event per alias: this one's entry, not the whole catalog.
  const routes = await admin.configEvent((e) => e.kind === 'routes' && e.payload.alias === 'llama-3.1-8b')
  expect(routes.orgId).toBeNull()
  expect(Object.keys(routes.payload).sort()).toEqual(['alias', 'model'])
  expect(routes.payload.model).toEqual({
    strategy: 'weighted-round-robin',
    listed: true,
    pricing: { inputPerMillion: 0.2, outputPerMillion: 0.6 },
    deployments: [
      {
        id: 'vllm-a',
        provider: 'openai',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        weight: 3,
        baseUrl: 'http://vllm-a:8000/v1',
        maxConcurrency: 64,
      },
      {
        id: 'vllm-b',
        provider: 'openai',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        weight: 1,
        baseUrl: 'http://vllm-b:8000/v1',
      },
    ],
  })
  const prices = await admin.configEvent((e) => e.kind === 'prices' && e.payload.alias === 'llama-3.1-8b')
  expect(prices.payload.prices).toMatchObject([{ inputPerMillion: 0.2, outputPerMillion: 0.6 }])
})

test('a future price is scheduled: the current one holds until then, the schedule lists both', async () => {
  const from = new Date(Date.now() + 7 * 86_400_000).toISOString()
  const res = await admin.request(operatorAdmin, 'POST', '/admin/v1/models/llama-3.1-8b/prices', {
    inputPerMillion: 0.15,
    outputPerMillion: 0.45,
    effectiveFrom: from,
  })
  expect(res.statusCode, res.body).toBe(201)
  const model = (await admin.request(tenant.owner, 'GET', '/admin/v1/models/llama-3.1-8b')).json()
  expect(model.price).toMatchObject({ inputPerMillion: 0.2, outputPerMillion: 0.6 })
  const schedule = (await admin.request(tenant.owner, 'GET', '/admin/v1/models/llama-3.1-8b/prices')).json()
    .data
  expect(schedule.map((p: { inputPerMillion: number }) => p.inputPerMillion)).toEqual([0.2, 0.15])
  expect(schedule[1].effectiveFrom).toBe(from)
  const again = await admin.request(operatorAdmin, 'POST', '/admin/v1/models/llama-3.1-8b/prices', {
    inputPerMillion: 1,
    outputPerMillion: 1,
    effectiveFrom: from,
  })
  expect(again.statusCode).toBe(409)
})

test('other orgs read the catalog without deployments and cannot change it', async () => {
  const list = (await admin.request(tenant.owner, 'GET', '/admin/v1/models')).json().data
  expect(list.map((m: { alias: string }) => m.alias)).toContain('llama-3.1-8b')
  expect(list.every((m: object) => !('deployments' in m))).toBe(true)
  for (const [method, url, body] of [
    ['POST', '/admin/v1/models', { alias: 'mine' }],
    ['PATCH', '/admin/v1/models/llama-3.1-8b', { listed: false }],
    ['DELETE', '/admin/v1/models/llama-3.1-8b'],
    ['POST', '/admin/v1/models/llama-3.1-8b/deployments', vllm('sneaky')],
    ['POST', '/admin/v1/models/llama-3.1-8b/prices', { inputPerMillion: 0, outputPerMillion: 0 }],
  ] as const) {
    const res = await admin.request(tenant.owner, method, url, body)
    expect(res.statusCode, url).toBe(403)
    expect(res.json().error.code).toBe('ADMIN_ERR_FORBIDDEN')
  }
  const internal = await admin.request(tenant.owner, 'GET', '/admin/v1/internal/catalog')
  expect(internal.statusCode).toBe(403)
  const router: Identity = {
    orgId: 'platform',
    userId: 'llm-router',
    keyId: null,
    scopes: ['internal:catalog:read'],
  }
  const catalog = await admin.request(router, 'GET', '/admin/v1/internal/catalog')
  expect(Object.keys(catalog.json().models)).toContain('llama-3.1-8b')
})

test('fallbacks must exist, a model in use as a fallback cannot go, a deployment id is unique', async () => {
  const unknown = await admin.request(operatorAdmin, 'POST', '/admin/v1/models', {
    alias: 'llama-3.1-70b',
    fallbacks: ['nope'],
  })
  expect(unknown.statusCode).toBe(400)
  expect(unknown.json().error).toMatchObject({ code: 'ADMIN_ERR_INVALID_REQUEST', param: 'fallbacks' })

  const big = await admin.request(operatorAdmin, 'POST', '/admin/v1/models', {
    alias: 'llama-3.1-70b',
    fallbacks: ['llama-3.1-8b'],
    deployments: [vllm('vllm-big')],
  })
  expect(big.statusCode, big.body).toBe(201)
  const inUse = await admin.request(operatorAdmin, 'DELETE', '/admin/v1/models/llama-3.1-8b')
  expect(inUse.statusCode).toBe(409)

  const duplicate = await admin.request(
    operatorAdmin,
    'POST',
    '/admin/v1/models/llama-3.1-70b/deployments',
    vllm('vllm-a'),
  )
  expect(duplicate.statusCode).toBe(409)
  const added = await admin.request(
    operatorAdmin,
    'POST',
    '/admin/v1/models/llama-3.1-70b/deployments',
    vllm('vllm-big-2'),
  )
  expect(added.json().deployments.map((d: { id: string }) => d.id)).toEqual(['vllm-big', 'vllm-big-2'])

  const drained = await admin.request(
    operatorAdmin,
    'PATCH',
    '/admin/v1/models/llama-3.1-70b/deployments/vllm-big',
    {
      weight: 0,
      maxConcurrency: null,
    },
  )
  expect(drained.json().deployments[0]).toMatchObject({ id: 'vllm-big', weight: 0, maxConcurrency: null })
  const routes = await admin.configEvent((e) => {
    const spec = e.payload.model as { deployments: { id: string; weight: number }[] } | null | undefined
    return (
      e.kind === 'routes' &&
      e.payload.alias === 'llama-3.1-70b' &&
      spec?.deployments.find((d) => d.id === 'vllm-big')?.weight === 0
    )
  })
  expect(routes.version).toBeGreaterThan(1)

  expect((await admin.request(operatorAdmin, 'DELETE', '/admin/v1/models/llama-3.1-70b')).statusCode).toBe(
    204,
  )
  // A removed alias is announced as gone.
  const removed = await admin.configEvent(
    (e) => e.kind === 'routes' && e.payload.alias === 'llama-3.1-70b' && e.payload.model === null,
  )
  expect(removed.version).toBeGreaterThan(routes.version)
  expect((await admin.request(operatorAdmin, 'GET', '/admin/v1/models/llama-3.1-70b')).statusCode).toBe(404)
})

test('routes versions are monotonic in publish order', async () => {
  const versions = admin.configEvents.filter((e) => e.data.kind === 'routes').map((e) => e.data.version)
  expect(versions.length).toBeGreaterThan(2)
  expect(versions).toEqual([...versions].sort((x, y) => x - y))
  expect(new Set(versions).size).toBe(versions.length)
})

test('bad catalog input is a 400', async () => {
  const cases: unknown[] = [
    { alias: 'has space' },
    { alias: 'ok', strategy: 'random' },
    { alias: 'ok', deployments: [{ id: 'd', provider: 'openai' }] },
    { alias: 'ok', price: { inputPerMillion: -1, outputPerMillion: 0 } },
  ]
  for (const body of cases) {
    const res = await admin.request(operatorAdmin, 'POST', '/admin/v1/models', body)
    expect(res.statusCode, JSON.stringify(body)).toBe(400)
    expect(res.json().error.code).toBe('KIT_ERR_VALIDATION')
  }
})
