// End to end in the one-process shape, through the runtime's own start path: the gateway is the
// listener, admin (on PGlite) resolves its keys and keeps the ledger, the llm-router answers over
// a fake OpenAI upstream, and the official `openai` client talks to the gateway like any user.
import { adminService, bootstrapAdmin } from '@switchyard/admin'
import { gatewayService } from '@switchyard/gateway'
import type { SqlPool } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import type { Switchyard } from '@switchyard/runtime'
import {
  buildTestApp,
  countPromptTokens,
  countTokens,
  type FakeUpstream,
  jsonBody,
  standIn,
  startFakeOpenAI,
  type TestApp,
} from '@switchyard/testing'
import OpenAI from 'openai'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'

const model = 'gpt-fake'
const pricing = { inputPerMillion: 2, outputPerMillion: 6 }

let upstream: FakeUpstream
let switchyard: Switchyard
let testApp: TestApp
/** The bootstrapped owner's API key (an owner's role defaults: every scope). */
let ownerKey: string

beforeAll(async () => {
  upstream = await startFakeOpenAI({ models: [model] })
  // Holds the SQL port, so the test can bootstrap admin as `switchyard admin bootstrap` would.
  const keeper = standIn('rag', { needs: ['sql'] })
  testApp = await buildTestApp({
    services: {
      gateway: gatewayService,
      'llm-router': llmRouterService,
      admin: adminService,
      rag: keeper.service,
    },
    env: {
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          [model]: {
            pricing,
            deployments: [{ id: 'fake-1', provider: 'openai', baseUrl: upstream.url, model }],
          },
        },
      }),
    },
    listen: true,
  })
  switchyard = testApp.switchyard
  const sql = keeper.context().sql as SqlPool
  ownerKey = (await bootstrapAdmin(sql, { orgName: 'Acme', ownerEmail: 'owner@acme.test' })).key
}, 60_000)

afterAll(async () => {
  await testApp?.close()
  await upstream?.close()
})

test('bootstrap, create a key through the gateway, chat with the openai client, and find the usage in the report', async () => {
  expect(switchyard.app).toBe(switchyard.apps.gateway)
  const asOwner = { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' }

  const created = await fetch(`${switchyard.url}/admin/v1/keys`, {
    method: 'POST',
    headers: asOwner,
    body: JSON.stringify({ name: 'app' }),
  })
  expect(created.status).toBe(201)
  const { key, secret } = (await created.json()) as { key: { id: string }; secret: string }

  const openai = new OpenAI({ baseURL: `${switchyard.url}/v1`, apiKey: secret, maxRetries: 0 })
  const messages = [{ role: 'user' as const, content: 'hello through the gateway' }]
  const reply = `echo: ${messages[0]?.content}`
  const completion = await openai.chat.completions.create({ model, messages })
  expect(completion.choices[0]?.message.content).toBe(reply)

  const stream = await openai.chat.completions.create({ model, messages, stream: true })
  let streamed = ''
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? ''
  expect(streamed).toBe(reply)

  const models = await openai.models.list()
  expect(models.data.map((m) => m.id)).toEqual([model])

  // Two requests, each with the fake's token counts, priced by the catalog.
  const input = 2 * countPromptTokens(messages)
  const output = 2 * countTokens(reply)
  const cost = (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1_000_000
  await vi.waitFor(
    async () => {
      const res = await fetch(`${switchyard.url}/admin/v1/usage?groupBy=key`, { headers: asOwner })
      expect(res.status).toBe(200)
      const report = await jsonBody(res)
      expect(report.rows).toEqual([
        {
          keyId: key.id,
          requests: 2,
          failed: 0,
          inputTokens: input,
          outputTokens: output,
          costUsd: expect.any(Number),
        },
      ])
      expect(report.rows[0].costUsd).toBeCloseTo(cost, 9)
    },
    { timeout: 10_000, interval: 100 },
  )
})

test('the gateway and the router each keep their own /v1/chat/completions: the router behind it wants an internal token', async () => {
  const direct = await switchyard.apps['llm-router']?.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: { model, messages: [{ role: 'user', content: 'hi' }] },
  })
  expect(direct?.statusCode).toBe(401)
  expect(direct?.json().error.code).toBe('KIT_ERR_UNAUTHENTICATED')
  const viaGateway = await fetch(`${switchyard.url}/v1/chat/completions`, { method: 'POST' })
  expect(viaGateway.status).toBe(401)
  expect((await jsonBody(viaGateway)).error.code).toBe('GATEWAY_ERR_UNAUTHENTICATED')
})

test('a key revoked through the gateway stops working at once (key-revoked over the in-process bus)', async () => {
  const asOwner = { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' }
  const created = await fetch(`${switchyard.url}/admin/v1/keys`, {
    method: 'POST',
    headers: asOwner,
    body: JSON.stringify({ name: 'short-lived' }),
  })
  const { key, secret } = (await created.json()) as { key: { id: string }; secret: string }
  const asKey = { authorization: `Bearer ${secret}` }
  expect((await fetch(`${switchyard.url}/v1/models`, { headers: asKey })).status).toBe(200)
  const revoked = await fetch(`${switchyard.url}/admin/v1/keys/${key.id}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ownerKey}` },
  })
  expect(revoked.status).toBe(200)
  await vi.waitFor(
    async () => expect((await fetch(`${switchyard.url}/v1/models`, { headers: asKey })).status).toBe(401),
    { timeout: 1_000, interval: 10 },
  )
})

test('an admin:read-only key reads the admin API but cannot spend at the router (403 KIT_ERR_MISSING_SCOPE)', async () => {
  const created = await fetch(`${switchyard.url}/admin/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'auditor', scopes: ['admin:read'] }),
  })
  expect(created.status).toBe(201)
  const { secret } = (await created.json()) as { secret: string }
  const asAuditor = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }
  expect((await fetch(`${switchyard.url}/admin/v1/keys`, { headers: asAuditor })).status).toBe(200)
  const requestsBefore = upstream.requests.length
  const spend = await fetch(`${switchyard.url}/v1/chat/completions`, {
    method: 'POST',
    headers: asAuditor,
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'spend for me' }] }),
  })
  expect(spend.status).toBe(403)
  expect((await jsonBody(spend)).error).toMatchObject({
    code: 'KIT_ERR_MISSING_SCOPE',
    type: 'permission_error',
  })
  expect(upstream.requests.length).toBe(requestsBefore)
})
