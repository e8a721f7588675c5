import { MockAgent } from 'undici'
import { expect, onTestFinished, test } from 'vitest'
import { kitErrorCodes } from '../kit-errors.ts'
import { createAdminClient } from './client.ts'
import { adminErrorCodes } from './errors.ts'
import type { KeyResolution } from './key-resolution.ts'

const origin = 'http://admin.internal'
const resolution: KeyResolution = {
  orgId: 'org_acme',
  userId: 'user_alice',
  keyId: 'key_1',
  scopes: ['chat:write'],
  expiresAt: null,
}
const error = (code: string) => ({ error: { type: 'authentication_error', message: 'no', code } })

function admin() {
  const agent = new MockAgent()
  agent.disableNetConnect()
  onTestFinished(() => agent.close())
  return { pool: agent.get(origin), client: createAdminClient({ dispatcher: agent, origin }) }
}

test('a resolved key comes back as its schema types it, the token and body sent as admin reads them', async () => {
  const { pool, client } = admin()
  let sent: { auth: unknown; body: unknown } | undefined
  pool.intercept({ path: '/admin/v1/internal/keys/resolve', method: 'POST' }).reply((request) => {
    sent = {
      auth: (request.headers as Record<string, string>).authorization,
      body: JSON.parse(String(request.body)),
    }
    return { statusCode: 200, data: resolution }
  })
  expect(await client.resolveKey('sk-1', { token: 'tok' })).toEqual({
    ok: true,
    status: 200,
    body: resolution,
  })
  expect(sent).toEqual({ auth: 'Bearer tok', body: { key: 'sk-1' } })
})

test("admin's error answer carries its code, to compare with the exported constants", async () => {
  const { pool, client } = admin()
  pool
    .intercept({ path: '/admin/v1/internal/keys/resolve', method: 'POST' })
    .reply(401, error(adminErrorCodes.InvalidApiKey))
  const answer = await client.resolveKey('sk-bad', { token: 'tok' })
  expect(answer.ok).toBe(false)
  expect(!answer.ok && answer.error?.code).toBe(adminErrorCodes.InvalidApiKey)
})

test('a 200 that is not the route schema is no answer, and neither is a body that is not JSON', async () => {
  const { pool, client } = admin()
  pool.intercept({ path: '/admin/v1/internal/keys/resolve', method: 'POST' }).reply(200, { orgId: 'x' })
  expect(await client.resolveKey('sk-1', { token: 'tok' })).toEqual({ ok: false, status: 200, error: null })
  pool.intercept({ path: '/v1/prompts/greeting?label=production', method: 'GET' }).reply(502, 'Bad gateway')
  expect(await client.resolvePrompt('greeting', { label: 'production' }, { token: 'tok' })).toEqual({
    ok: false,
    status: 502,
    error: null,
  })
})

test('a prompt is asked by name and label; a route that is not there is the kit 404', async () => {
  const { pool, client } = admin()
  pool.intercept({ path: '/v1/prompts/greeting?label=staging', method: 'GET' }).reply(200, {
    name: 'greeting',
    version: 2,
    label: 'staging',
    template: 'Hi',
    variables: [],
    modelConfig: {},
  })
  const found = await client.resolvePrompt('greeting', { label: 'staging' }, { token: 'tok' })
  expect(found.ok && found.body.template).toBe('Hi')
  pool
    .intercept({ path: '/v1/prompts/greeting?version=3', method: 'GET' })
    .reply(404, error(kitErrorCodes.NotFound))
  const missing = await client.resolvePrompt('greeting', { version: 3 }, { token: 'tok' })
  expect(!missing.ok && missing.error?.code).toBe(kitErrorCodes.NotFound)
})
